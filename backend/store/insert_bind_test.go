package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestStmtHandleLayout fails when go-sqlite3's SQLiteStmt no longer keeps its
// sqlite3_stmt where stmtHandle reads it: the writer would then fall back to
// the driver's slower bind path.
func TestStmtHandleLayout(t *testing.T) {
	if !stmtHandleOK {
		t.Fatal("go-sqlite3's SQLiteStmt has no field s of type *C.sqlite3_stmt: update stmtHandle (insert_bind.go)")
	}
	w, _ := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}, KeepOriginal: true}
	mustWrite(t, w, s, []Row{{ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano(), SenderIP: "10.0.0.1", Values: []sql.NullString{str("x")}, Original: "x"}})
	n := 0
	for _, d := range w.days {
		for _, set := range d.w.sets {
			for rows, st := range set.byN {
				if st.h == nil {
					t.Fatalf("the %d-row insert has no sqlite3_stmt handle", rows)
				}
				if got := stmtSQL(st.h); !strings.HasPrefix(got, "INSERT INTO logs (") {
					t.Fatalf("stmtHandle found a statement with SQL %q; want the INSERT", got)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no insert statement prepared")
	}
}

// TestRawInsertsStoreWhatTheDriverStores writes the same rows through
// insertCells and through the driver (runInserts) and compares every cell of
// the two files: type, bytes, NULLs and column order.
func TestRawInsertsStoreWhatTheDriverStores(t *testing.T) {
	if !stmtHandleOK {
		t.Fatal("no raw insert path to compare")
	}
	base := time.Date(2026, 3, 4, 23, 59, 59, 500e6, time.UTC)
	values := []sql.NullString{str(""), null, str("ß ✓ \xff\xfe"), str("a\x00b"), str(strings.Repeat("long ", 3000)), str("O'Brien; DROP"), str("1")}
	mkRows := func(n int) []Row {
		rows := make([]Row, n)
		for i := range rows {
			vals := make([]sql.NullString, 3)
			for j := range vals {
				vals[j] = values[(i+j)%len(values)]
			}
			orig := fmt.Sprintf("<%d>line %d %s", i%192, i, vals[0].String)
			if i%9 == 4 {
				orig = "" // an empty original is text, not NULL
			}
			client := null
			if i%3 == 1 {
				client = str("client-" + fmt.Sprint(i%2))
			}
			ip := "10.0.0." + fmt.Sprint(i%5)
			if i%11 == 7 {
				ip = "fe80::1%eth0"
			}
			rows[i] = Row{
				// crosses midnight: two day files
				ReceivedAt: base.Add(time.Duration(i) * 7 * time.Millisecond).UnixNano(),
				SenderIP:   ip, Client: client, Values: vals, Original: orig,
			}
		}
		return rows
	}
	for _, keep := range []bool{true, false} {
		for _, n := range []int{1, 63, 64, 65, 200, 777} {
			t.Run(fmt.Sprintf("keep=%t/rows=%d", keep, n), func(t *testing.T) {
				s := &Schema{Columns: []string{"k1", "k 2", "k3"}, KeepOriginal: keep}
				write := func(raw bool) string {
					old := rawInserts
					rawInserts = raw
					defer func() { rawInserts = old }()
					w, dir := openTestWriter(t, time.UTC)
					rows := mkRows(n)
					mustWrite(t, w, s, rows[:n/2])
					mustWrite(t, w, s, rows[n/2:])
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					return dir
				}
				rawDir, drvDir := write(true), write(false)
				stored := 0
				for _, date := range []string{"2026-03-04", "2026-03-05"} {
					got, want := fileCells(t, rawDir, date), fileCells(t, drvDir, date)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("unexpected rows of %s; got %q; want %q", date, got, want)
					}
					stored += max(len(got)-1, 0)
				}
				if stored != n {
					t.Fatalf("compared %d rows; want %d", stored, n)
				}
			})
		}
	}
}

// fileCells returns the column names of a day file's logs table, then every
// row's cells as "typeof:hex" in column order (nil when the file is
// missing).
func fileCells(t *testing.T, dir, date string) [][]string {
	t.Helper()
	if _, err := os.Stat(dayPath(dir, date)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	cols := fileColumns(t, dir, date)
	if len(cols) == 0 {
		return nil
	}
	var sel []string
	for _, c := range cols {
		sel = append(sel, "typeof("+quoteIdent(c)+")||':'||hex("+quoteIdent(c)+")")
	}
	db, err := openReadOnly(dayPath(dir, date))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT " + strings.Join(sel, ", ") + " FROM logs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := [][]string{cols}
	for rows.Next() {
		r := make([]string, len(cols))
		dest := make([]any, len(cols))
		for i := range r {
			dest[i] = &r[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
