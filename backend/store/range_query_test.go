package store

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// rangeFixture writes 2026-03-01 and 2026-03-02 (column a) and 2026-03-04
// (columns a and b = "b<i%3>"), one row every 97 s, and returns the writer.
func rangeFixture(t *testing.T) (*Writer, string) {
	t.Helper()
	w, dir := openTestWriter(t, time.UTC)
	writeSpreadDays(t, w, 97, "2026-03-01", "2026-03-02")
	s := &Schema{Columns: []string{"a", "b"}}
	var rows []Row
	base := ns(t, time.UTC, "2026-03-04 00:00:03")
	for i := 0; i*97 < 86400-3; i++ {
		rows = append(rows, Row{ReceivedAt: base + int64(i*97)*1e9, SenderIP: "10.0.0.1",
			Values: []sql.NullString{str(fmt.Sprintf("n%d", i%5)), str(fmt.Sprintf("b%d", i%3))}})
	}
	mustWrite(t, w, s, rows)
	return w, dir
}

var rangeDates = []string{"2026-03-01", "2026-03-02", "2026-03-04"}

// plainRangeRows returns "<date>:<id>" of the rows of dates within
// start..end for which cond holds, by a plain scan, oldest first or newest
// first.
func plainRangeRows(t *testing.T, dir, start, end string, desc bool, cond string) []string {
	t.Helper()
	var out []string
	for _, date := range rangeDates {
		db, err := openReadOnly(dayPath(dir, date))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("SELECT id, time FROM logs WHERE " + cond + " ORDER BY id")
		if err != nil && strings.Contains(err.Error(), "no such column") {
			db.Close()
			continue // a filter on a column the file lacks matches nothing
		}
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var tm string
			if err := rows.Scan(&id, &tm); err != nil {
				t.Fatal(err)
			}
			if at := date + "T" + tm; (start == "" || at >= start) && (end == "" || at <= end) {
				out = append(out, fmt.Sprintf("%s:%d", date, id))
			}
		}
		rows.Close()
		db.Close()
	}
	if desc {
		slices.Reverse(out)
	}
	return out
}

// pagedRange follows the cursors of rq and returns "<date>:<id>" of every
// row, checking each page against the limits.
func pagedRange(t *testing.T, ds *Days, rq RangeQuery) (ids []string, reasons map[string]int) {
	t.Helper()
	reasons = map[string]int{}
	for range 2000 {
		p, err := ds.QueryRange(t.Context(), rq)
		if err != nil {
			t.Fatal(err)
		}
		if p.Columns[0] != "id" || p.Columns[1] != "date" {
			t.Fatalf("columns; got %q; want id, date first", p.Columns)
		}
		size := 0
		for _, r := range p.Rows {
			ids = append(ids, *r[1]+":"+*r[0])
			if tm := col(t, p, "time", r); *r[1]+"T"+tm < rq.Start || (rq.End != "" && *r[1]+"T"+tm > rq.End) {
				t.Fatalf("row %s:%s at %s is outside %s..%s", *r[1], *r[0], tm, rq.Start, rq.End)
			}
			size += cellBytes(r) - len(*r[1])
		}
		if rq.Limit > 0 && len(p.Rows) > rq.Limit || rq.MaxBytes > 0 && len(p.Rows) > 1 && size > rq.MaxBytes {
			t.Fatalf("page of %d rows, %d bytes passes limit %d, max bytes %d", len(p.Rows), size, rq.Limit, rq.MaxBytes)
		}
		if p.NextCursor == nil {
			if p.LimitReason != "" {
				t.Fatalf("last page with limit_reason %q", p.LimitReason)
			}
			return ids, reasons
		}
		if p.LimitReason == LimitRows && len(p.Rows) != rq.Limit {
			t.Fatalf("page ended by limit with %d rows; want %d", len(p.Rows), rq.Limit)
		}
		reasons[p.LimitReason]++
		rq.Cursor = *p.NextCursor
	}
	t.Fatal("too many pages")
	return nil, nil
}

// col returns the cell of column name in row r of p.
func col(t *testing.T, p *Page, name string, r []*string) string {
	t.Helper()
	i := slices.Index(p.Columns, name)
	if i < 0 || r[i] == nil {
		t.Fatalf("no %s in %q", name, p.Columns)
	}
	return *r[i]
}

func TestQueryRangePagesEveryRowOnceAcrossDays(t *testing.T) {
	w, dir := rangeFixture(t)
	ds := w.Days()
	p, err := ds.QueryRange(t.Context(), RangeQuery{Query: Query{Order: []string{"a"}, Desc: true}})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "columns", p.Columns, []string{"id", "date", "log_sender_ip", "client", "time", "time_zone", "a", "b"})
	f := func(start, end string, q Query, cond string) {
		t.Helper()
		for _, desc := range []bool{true, false} {
			q.Desc, q.Order = desc, []string{"a"}
			want := plainRangeRows(t, dir, start, end, desc, cond)
			got, reasons := pagedRange(t, ds, RangeQuery{Query: q, Start: start, End: end})
			checkEqual(t, fmt.Sprintf("rows of %s..%s q=%q filters=%v desc=%v", start, end, q.Q, q.Filters, desc), got, want)
			if q.Limit > 0 && q.Limit < len(want) && reasons[LimitRows] == 0 {
				t.Errorf("%d rows in pages of %d: no page ended by limit", len(want), q.Limit)
			}
			if q.MaxBytes > 0 && reasons[LimitBytes] == 0 {
				t.Errorf("max bytes %d: no page ended by bytes", q.MaxBytes)
			}
		}
	}
	f("2026-03-01T12:00:00", "2026-03-04T06:00:59", Query{Limit: 97}, "1")
	f("", "", Query{Limit: 1000}, "1")
	f("2026-03-01T23:50:00", "", Query{Limit: 7}, "1")
	f("", "2026-03-02T00:10:00", Query{Limit: 7}, "1")
	f("2026-03-01T12:00:00", "2026-03-04T06:00:59", Query{Limit: 40, Q: "N3"}, "instr(a, 'n3') > 0")
	f("2026-03-01T00:00:00", "2026-03-04T23:59:59", Query{Limit: 100, Filters: []Filter{{Column: "b", Text: "b1", Exact: true}}}, "b = 'b1'")
	f("2026-03-01T00:00:00", "2026-03-04T23:59:59", Query{Limit: 100, Filters: []Filter{{Column: "b", Text: ""}}}, "1")
	f("2026-03-01T22:00:00", "2026-03-02T02:00:00", Query{Limit: 1000, MaxBytes: 700}, "1")
	// A page that fills up exactly at the end of a day.
	n := len(plainRangeRows(t, dir, "2026-03-02T00:00:00", "2026-03-02T23:59:59", true, "1"))
	f("2026-03-02T00:00:00", "", Query{Limit: n}, "1")
}

func TestQueryRangeOutOfTimeEndsWithACursor(t *testing.T) {
	w, dir := rangeFixture(t)
	old := scanBudget
	scanBudget = 0
	p, err := w.Days().QueryRange(t.Context(), RangeQuery{Query: Query{Desc: true}, Start: "2026-03-01T00:00:00"})
	scanBudget = old
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 0 || p.LimitReason != LimitTime || p.NextCursor == nil || !strings.HasPrefix(*p.NextCursor, "2026-03-04:") {
		t.Fatalf("no time left; got %d rows, reason %q, cursor %v; want none, time and a cursor on 2026-03-04", len(p.Rows), p.LimitReason, p.NextCursor)
	}
	got, _ := pagedRange(t, w.Days(), RangeQuery{Query: Query{Desc: true, Limit: 1000, Cursor: *p.NextCursor}, Start: "2026-03-01T00:00:00"})
	checkEqual(t, "rows after the cursor", got, plainRangeRows(t, dir, "", "", true, "1"))
}

func TestQueryRangeRejectsBadCursors(t *testing.T) {
	w, _ := rangeFixture(t)
	f := func(rq RangeQuery, field string) {
		t.Helper()
		_, err := w.Days().QueryRange(t.Context(), rq)
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != field {
			t.Fatalf("%+v; got %v; want a *FieldError on %q", rq, err, field)
		}
	}
	for _, c := range []string{"x", "17", "2026-03-01", "2026-03-01:", "2026-03-01:abc", "2026-03-01:-1", "2026-13-01:5",
		"2026-03-01:99999999999999999999", "2026-02-28:5"} {
		f(RangeQuery{Query: Query{Cursor: c}, Start: "2026-03-01T00:00:00"}, "cursor")
	}
	f(RangeQuery{Query: Query{Cursor: "2026-03-05:1"}, End: "2026-03-04T23:00:00"}, "cursor")
	f(RangeQuery{Query: Query{Limit: 1001}}, "limit")
	f(RangeQuery{Start: "2026-03-01"}, "start")
	f(RangeQuery{Query: Query{Filters: []Filter{{Column: "zz", Text: "x"}}}}, "filter")
}

func TestQueryRangeByteLimitHoldsAcrossADayBoundary(t *testing.T) {
	w, dir := rangeFixture(t)
	start, end := "2026-03-01T23:50:00", "2026-03-02T00:10:00"
	for _, desc := range []bool{true, false} {
		q := Query{Desc: desc, Limit: 1000}
		all, err := w.Days().QueryRange(t.Context(), RangeQuery{Query: q, Start: start, End: end})
		if err != nil {
			t.Fatal(err)
		}
		// The cell bytes of the first day's rows: one byte more leaves no room
		// for the first row of the next day.
		first, size := *all.Rows[0][1], 0
		for _, r := range all.Rows {
			if *r[1] == first {
				size += cellBytes(r) - len(first)
			}
		}
		q.MaxBytes = size + 1
		p, err := w.Days().QueryRange(t.Context(), RangeQuery{Query: q, Start: start, End: end})
		if err != nil {
			t.Fatal(err)
		}
		if last := p.Rows[len(p.Rows)-1]; *last[1] != first || p.LimitReason != LimitBytes {
			t.Fatalf("desc=%v: page ends on %s with reason %q; want the last row of %s and bytes", desc, *last[1], p.LimitReason, first)
		}
		got, _ := pagedRange(t, w.Days(), RangeQuery{Query: q, Start: start, End: end})
		checkEqual(t, fmt.Sprintf("rows desc=%v", desc), got, plainRangeRows(t, dir, start, end, desc, "1"))
	}
}

func TestExportRangeClipsTheFirstAndLastDay(t *testing.T) {
	w, dir := rangeFixture(t)
	start, end := "2026-03-01T12:00:00", "2026-03-04T06:00:59"
	var b strings.Builder
	if err := w.Days().ExportRange(t.Context(), &b, RangeQuery{Query: Query{Order: []string{"a"}}, Start: start, End: end}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	checkEqual(t, "header", lines[0], "date,log_sender_ip,client,time,time_zone,a,b")
	var got []string
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		got = append(got, f[0]+"T"+f[3])
	}
	var want []string
	times := map[string][][]string{}
	for _, r := range plainRangeRows(t, dir, start, end, false, "1") {
		date, id, _ := strings.Cut(r, ":")
		if times[date] == nil {
			times[date] = fileRows(t, dir, date, "time")
		}
		want = append(want, date+"T"+times[date][atoi(t, id)-1][0])
	}
	checkEqual(t, "rows (date and time)", got, want)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
