package store

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// timeWindowFixture writes, in batches of 7 rows, a day whose receive clock
// steps back once (10:00:59.6 -> 09:59:50) and later jumps forward, with
// seconds that have no row (10:00:30..10:00:34), and returns the writer
// (still open) and the dir. Rows alternate "even"/"odd" in column a.
func timeWindowFixture(t *testing.T) (*Writer, string) {
	t.Helper()
	w, dir := openTestWriter(t, time.UTC)
	var at []int64
	base := ns(t, time.UTC, queryDate+" 10:00:00")
	for i := range 180 { // 10:00:00..10:00:59, 3 rows a second
		if s := i / 3; s < 30 || s > 34 {
			at = append(at, base+int64(i)*1e9/3)
		}
	}
	back := ns(t, time.UTC, queryDate+" 09:59:50")
	for i := range 62 { // 09:59:50..10:00:20.5, 2 rows a second
		at = append(at, back+int64(i)*5e8)
	}
	fwd := ns(t, time.UTC, queryDate+" 10:05:00")
	for i := range 10 {
		at = append(at, fwd+int64(i)*1e9)
	}
	s := &Schema{Columns: []string{"a"}}
	var batch []Row
	for i, ns := range at {
		v := "even"
		if i%2 == 1 {
			v = "odd"
		}
		batch = append(batch, Row{ReceivedAt: ns, SenderIP: "10.0.0.1", Values: []sql.NullString{str(v)}})
		if len(batch) == 7 || i == len(at)-1 {
			mustWrite(t, w, s, batch)
			batch = nil
		}
	}
	return w, dir
}

// windowCases are from/to pairs around the fixture's edges.
var windowCases = [][2]string{
	{"10:00:00", "10:00:00"}, {"10:00:20", "10:00:20"}, {"09:59:59", "10:00:01"},
	{"10:00:30", "10:00:34"}, {"10:00:29", "10:00:35"}, {"10:00:59", "10:05:00"},
	{"", "10:00:10"}, {"10:00:10", ""}, {"10:06:00", ""}, {"", "09:59:49"},
	{"10:00:10", "10:00:05"}, {"00:00:00", "23:59:59"}, {"09:59:50", "09:59:50"},
	{"10:05:09", "10:05:09"},
}

// scanIDs returns the ids, in the order asked, of the rows of the day file
// with from <= time <= to and a containing q, by a plain scan.
func scanIDs(t *testing.T, dir, from, to, q string, desc bool) []string {
	t.Helper()
	db, err := openReadOnly(dayPath(dir, queryDate))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmt := "SELECT id FROM logs WHERE (? = '' OR time >= ?) AND (? = '' OR time <= ?) AND instr(a, ?) > 0 ORDER BY id"
	if desc {
		stmt += " DESC"
	}
	rows, err := db.Query(stmt, from, from, to, to, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	return ids
}

// pagedIDs returns the ids of every page of q, following cursors.
func pagedIDs(t *testing.T, dir string, q Query) []string {
	t.Helper()
	ids := []string{}
	for range 1000 {
		p, err := QueryDay(t.Context(), dir, q)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, pageIDs(p)...)
		if p.NextCursor == nil {
			return ids
		}
		q.Cursor = *p.NextCursor
	}
	t.Fatal("too many pages")
	return nil
}

// checkWindows compares every window case, both orders, with and without
// q, paged 7 rows at a time, with the plain scan.
func checkWindows(t *testing.T, dir string) {
	t.Helper()
	for _, c := range windowCases {
		for _, desc := range []bool{true, false} {
			for _, q := range []string{"", "odd"} {
				want := scanIDs(t, dir, c[0], c[1], q, desc)
				got := pagedIDs(t, dir, Query{Date: queryDate, From: c[0], To: c[1], Q: q, Desc: desc, Limit: 7, Order: []string{"a"}})
				checkEqual(t, fmt.Sprintf("ids of from=%q to=%q q=%q desc=%v", c[0], c[1], q, desc), got, want)
			}
		}
	}
}

func TestQueryTimeWindowMatchesPlainScanAcrossClockStep(t *testing.T) {
	_, dir := timeWindowFixture(t)
	checkWindows(t, dir)
}

// breakIDs returns the ids of the time breaks table of the day file.
func breakIDs(t *testing.T, dir string) []int64 {
	t.Helper()
	db, err := openReadOnly(dayPath(dir, queryDate))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT id FROM " + timeBreaksTable + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// plainBreaks returns the ids whose time is earlier than the row before.
func plainBreaks(t *testing.T, dir string) []int64 {
	t.Helper()
	ids := []int64{}
	rows := fileRows(t, dir, queryDate, "id", "time")
	for i := 1; i < len(rows); i++ {
		if rows[i][1] < rows[i-1][1] {
			id, _ := strconv.ParseInt(rows[i][0], 10, 64)
			ids = append(ids, id)
		}
	}
	return ids
}

func TestWriterRecordsTimeBreaks(t *testing.T) {
	_, dir := timeWindowFixture(t)
	want := plainBreaks(t, dir)
	if len(want) != 1 {
		t.Fatalf("fixture has %d clock steps back; want 1", len(want))
	}
	checkEqual(t, "time breaks", breakIDs(t, dir), want)
}

func TestQueryTimeWindowScansOnlyTheBisectedRowidRange(t *testing.T) {
	w, dir := timeWindowFixture(t)
	w.CloseDaysBefore("9999-01-01") // a past day: it gets an index on time too
	path := dayPath(dir, queryDate)
	if err := buildIndexes(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	type call struct {
		stmt string
		args []any
	}
	var calls []call
	testHookScan = func(stmt string, args []any) { calls = append(calls, call{stmt, slices.Clone(args)}) }
	defer func() { testHookScan = nil }()
	// 10:05:02..10:05:04 are three rows after the clock step.
	p, err := QueryDay(t.Context(), dir, Query{Date: queryDate, From: "10:05:02", To: "10:05:04", Desc: true, Order: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	want := scanIDs(t, dir, "10:05:02", "10:05:04", "", true)
	checkEqual(t, "ids", pageIDs(p), want)
	first, _ := strconv.ParseInt(want[len(want)-1], 10, 64)
	last, _ := strconv.ParseInt(want[0], 10, 64)
	if len(calls) != 1 {
		t.Fatalf("%d scan statements; want 1", len(calls))
	}
	c := calls[0]
	if strings.Contains(c.stmt, "time >=") || strings.Contains(c.stmt, "time <=") {
		t.Fatalf("scan still tests the time column: %s", c.stmt)
	}
	// Desc: id < args[0] AND id >= args[1].
	if c.args[0] != last+1 || c.args[1] != first {
		t.Fatalf("scanned ids below %v down to %v; want below %d down to %d", c.args[0], c.args[1], last+1, first)
	}
	db, err := openReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+c.stmt, c.args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if len(plan) != 1 || !strings.Contains(plan[0], "INTEGER PRIMARY KEY (rowid>? AND rowid<?)") {
		t.Fatalf("plan %q; want a search of the rowid range", plan)
	}
}

func TestQueryTimeWindowOnFileWithoutBreaksTable(t *testing.T) {
	w, dir := timeWindowFixture(t)
	want := plainBreaks(t, dir)
	w.CloseDaysBefore("9999-01-01")
	db, err := sql.Open("sqlite3", fileDSN(dayPath(dir, queryDate), "_busy_timeout=5000"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE " + timeBreaksTable); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A file written before the breaks table existed is scanned plainly.
	checkWindows(t, dir)
	// A writer opening it fills the table from its rows.
	mustWrite(t, w, &Schema{Columns: []string{"a"}}, []Row{{ReceivedAt: ns(t, time.UTC, queryDate+" 09:00:00"), SenderIP: "10.0.0.1", Values: []sql.NullString{str("late")}}})
	want = append(want, int64(len(fileRows(t, dir, queryDate, "id"))))
	checkEqual(t, "time breaks", breakIDs(t, dir), want)
	checkWindows(t, dir)
}
