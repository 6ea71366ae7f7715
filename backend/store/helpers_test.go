package store

import (
	"database/sql"
	"os"
	"reflect"
	"testing"
	"time"
)

// ns returns the unix nanoseconds of a wall-clock time in loc.
func ns(t *testing.T, loc *time.Location, s string) int64 {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UnixNano()
}

// str and null build values.
func str(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

var null = sql.NullString{}

// openTestWriter opens a writer in a temp dir and closes it at cleanup.
func openTestWriter(t *testing.T, loc *time.Location) (*Writer, string) {
	t.Helper()
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	registerDays(t, w.Days())
	return w, dir
}

// mustWrite writes rows and checks all were stored.
func mustWrite(t *testing.T, w *Writer, s *Schema, rows []Row) {
	t.Helper()
	n, err := w.Write(s, rows)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	if n != len(rows) {
		t.Fatalf("stored %d rows; want %d", n, len(rows))
	}
}

// fileColumns returns the columns of the logs table of a day file.
func fileColumns(t *testing.T, dir, date string) []string {
	t.Helper()
	db, err := openReadOnly(dayPath(dir, date))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols, err := tableColumns(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// fileRows returns the given columns of every row of a day file in id
// order, "<nil>" for NULL.
func fileRows(t *testing.T, dir, date string, cols ...string) [][]string {
	t.Helper()
	db, err := openReadOnly(dayPath(dir, date))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := "SELECT "
	for i, c := range cols {
		if i > 0 {
			q += ", "
		}
		q += quoteIdent(c)
	}
	rows, err := db.Query(q + " FROM logs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		dests := make([]any, len(cols))
		for i := range vals {
			dests[i] = &vals[i]
		}
		if err := rows.Scan(dests...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "<nil>"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkEqual fails with got/want when they differ.
func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unexpected %s; got %q; want %q", what, got, want)
	}
}

func mkdir(path string) error { return os.MkdirAll(path, 0o750) }
