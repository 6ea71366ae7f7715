package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"
)

const queryDate = "2024-05-01"

// queryFixture writes 30 rows (ids 1..30, times 10:00:00..10:00:29) of a
// class that loses key b and gains c after row 20, and returns the dir.
func queryFixture(t *testing.T) string {
	t.Helper()
	w, dir := openTestWriter(t, time.UTC)
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	special := map[int]string{3: "50%off", 4: "a_b", 5: "axb", 6: "AXB"}
	oldS := &Schema{Columns: []string{"a", "b"}, KeepOriginal: true}
	newS := &Schema{Columns: []string{"a", "c"}, KeepOriginal: true}
	for i := range 30 {
		s := oldS
		second := str(fmt.Sprintf("b%d", i))
		if v, ok := special[i]; ok {
			second = str(v)
		}
		if i >= 20 {
			s, second = newS, str(fmt.Sprintf("c%d", i))
		}
		mustWrite(t, w, s, []Row{{
			ReceivedAt: at + int64(i)*1e9,
			SenderIP:   "10.0.0.1",
			Values:     []sql.NullString{str(fmt.Sprintf("Alpha%d", i)), second},
			Original:   fmt.Sprintf("line %d", i),
		}})
	}
	return dir
}

// pageIDs returns the id cells of a page.
func pageIDs(p *Page) []string {
	ids := []string{}
	for _, r := range p.Rows {
		ids = append(ids, *r[0])
	}
	return ids
}

// idRange returns the ids from..to (inclusive, either direction) as strings.
func idRange(from, to int) []string {
	var ids []string
	step := 1
	if to < from {
		step = -1
	}
	for i := from; ; i += step {
		ids = append(ids, fmt.Sprint(i))
		if i == to {
			return ids
		}
	}
}

func TestQueryDayColumnOrderAndCells(t *testing.T) {
	dir := queryFixture(t)
	p, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Order: []string{"a", "c", "d"}, Limit: 1, Desc: false})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "columns", p.Columns, []string{"id", "log_sender_ip", "client", "time", "time_zone", "a", "c", "d", "b", "original_log"})
	var cells []string
	for _, c := range p.Rows[0] {
		if c == nil {
			cells = append(cells, "<nil>")
		} else {
			cells = append(cells, *c)
		}
	}
	checkEqual(t, "first row", cells, []string{"1", "10.0.0.1", "<nil>", "10:00:00", "UTC", "Alpha0", "<nil>", "<nil>", "b0", "line 0"})
}

func TestQueryDayMatching(t *testing.T) {
	dir := queryFixture(t)
	f := func(name string, q Query, want []string) {
		t.Helper()
		q.Date, q.Order, q.Desc = queryDate, []string{"a", "c", "d"}, true
		p, err := QueryDay(t.Context(), dir, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkEqual(t, name+" ids", pageIDs(p), want)
		if p.NextCursor != nil {
			t.Fatalf("%s: got next cursor %q; want none", name, *p.NextCursor)
		}
	}
	f("no filter", Query{}, idRange(30, 1))
	f("q case-insensitive", Query{Q: "ALPHA1"}, append(idRange(20, 11), "2"))
	f("q in original_log", Query{Q: "line 2"}, append(idRange(30, 21), "3"))
	f("q percent literal", Query{Q: "%"}, []string{"4"})
	f("q underscore literal", Query{Q: "_"}, []string{"5"})
	f("q no match", Query{Q: "zzz"}, []string{})
	f("filter substring underscore", Query{Filters: []Filter{{Column: "b", Text: "A_B"}}}, []string{"5"})
	f("filter substring case-insensitive", Query{Filters: []Filter{{Column: "b", Text: "axb"}}}, []string{"7", "6"})
	f("filter exact", Query{Filters: []Filter{{Column: "b", Text: "axb", Exact: true}}}, []string{"6"})
	f("filter exact whole value", Query{Filters: []Filter{{Column: "a", Text: "Alpha1", Exact: true}}}, []string{"2"})
	f("filter on a column the file lacks", Query{Filters: []Filter{{Column: "d", Text: "x"}}}, []string{})
	f("filters combine", Query{Q: "alpha2", Filters: []Filter{{Column: "c", Text: "c2"}}}, idRange(30, 21))
	f("from to", Query{From: "10:00:05", To: "10:00:07"}, []string{"8", "7", "6"})
	f("from only", Query{From: "10:00:28"}, []string{"30", "29"})
	f("to only", Query{To: "10:00:01"}, []string{"2", "1"})
}

func TestQueryDayPagesWithCursorUntilTheEnd(t *testing.T) {
	dir := queryFixture(t)
	defer func(c int64) { scanChunk = c }(scanChunk)
	f := func(chunk int64, q Query, want []string) {
		t.Helper()
		scanChunk = chunk
		q.Date = queryDate
		var got []string
		for pages := 0; ; pages++ {
			if pages > 40 {
				t.Fatalf("no end after %d pages", pages)
			}
			p, err := QueryDay(t.Context(), dir, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rows) > q.Limit {
				t.Fatalf("got %d rows; want at most %d", len(p.Rows), q.Limit)
			}
			got = append(got, pageIDs(p)...)
			if p.NextCursor == nil {
				break
			}
			if len(p.Rows) != q.Limit {
				t.Fatalf("got a short page of %d rows with a cursor", len(p.Rows))
			}
			q.Cursor = *p.NextCursor
		}
		checkEqual(t, fmt.Sprintf("ids (chunk %d, readers %d, desc %v, limit %d)", chunk, scanReaders, q.Desc, q.Limit), got, want)
	}
	defer func(r int) { scanReaders = r }(scanReaders)
	for _, readers := range []int{1, 2} {
		scanReaders = readers
		for _, chunk := range []int64{1 << 15, 4, 1} {
			f(chunk, Query{Limit: 7, Desc: true}, idRange(30, 1))
			f(chunk, Query{Limit: 7}, idRange(1, 30))
			f(chunk, Query{Limit: 10, Desc: true}, idRange(30, 1))
			f(chunk, Query{Limit: 10}, idRange(1, 30))
			f(chunk, Query{Limit: 3, Desc: true, Q: "alpha1"}, append(idRange(20, 11), "2"))
			f(chunk, Query{Limit: 3, Q: "alpha1"}, append([]string{"2"}, idRange(11, 20)...))
		}
	}
}

func TestQueryDayOutOfTimeReturnsACursorToContinue(t *testing.T) {
	dir := queryFixture(t)
	defer func(b time.Duration) { scanBudget = b }(scanBudget)
	scanBudget = 0
	p, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Desc: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.NextCursor == nil {
		t.Fatalf("got no cursor after running out of time (%d rows)", len(p.Rows))
	}
	scanBudget = 2 * time.Second
	rest, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Desc: true, Cursor: *p.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "ids", append(pageIDs(p), pageIDs(rest)...), idRange(30, 1))
}

func TestQueryDayDefaultAndMaximumLimit(t *testing.T) {
	dir := queryFixture(t)
	f := func(limit, wantRows int) {
		t.Helper()
		p, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Limit: limit})
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if len(p.Rows) != wantRows {
			t.Fatalf("limit %d: got %d rows; want %d", limit, len(p.Rows), wantRows)
		}
	}
	f(0, 30)
	f(1, 1)
	f(1000, 30)
}

func TestQueryDayRejectsBadInput(t *testing.T) {
	dir := queryFixture(t)
	f := func(q Query, field, mention string) {
		t.Helper()
		if q.Date == "" {
			q.Date = queryDate
		}
		q.Order = []string{"a", "c"}
		_, err := QueryDay(t.Context(), dir, q)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field || !strings.Contains(err.Error(), mention) {
			t.Fatalf("got error %v; want a *FieldError on %q mentioning %q", err, field, mention)
		}
	}
	f(Query{Limit: 1001}, "limit", "1001")
	f(Query{Limit: -1}, "limit", "-1")
	f(Query{Filters: []Filter{{Column: "nope", Text: "x"}}}, "filter", `"nope"`)
	f(Query{Filters: []Filter{{Column: "received_at", Text: "1"}}}, "filter", `"received_at"`)
	f(Query{From: "25:00:00"}, "from", "25:00:00")
	f(Query{To: "1:00:00"}, "to", "1:00:00")
	f(Query{Cursor: "abc"}, "cursor", "abc")
	f(Query{Date: "2024-02-30"}, "date", "2024-02-30")
	f(Query{Date: "../x"}, "date", "../x")
}

func TestQueryDayOfMissingDayIsNotExist(t *testing.T) {
	dir := queryFixture(t)
	_, err := QueryDay(t.Context(), dir, Query{Date: "2024-05-02"})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v; want fs.ErrNotExist", err)
	}
}
