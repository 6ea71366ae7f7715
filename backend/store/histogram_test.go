package store

import (
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"
)

// histogramMap returns h's buckets as a map, checking they are ascending,
// non-empty and sum to Total.
func histogramMap(t *testing.T, h *Histogram) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	var sum int64
	for i, b := range h.Buckets {
		if b.N <= 0 || (i > 0 && h.Buckets[i-1].T >= b.T) {
			t.Fatalf("buckets must be non-empty and ascending; got %v", h.Buckets)
		}
		m[b.T] = b.N
		sum += b.N
	}
	if sum != h.Total {
		t.Fatalf("total; got %d; want the sum of the buckets %d", h.Total, sum)
	}
	return m
}

func TestHistogramOfADayEqualsAPlainCount(t *testing.T) {
	w, dir := timeWindowFixture(t)
	cases := append(slices.Clone(windowCases), [2]string{"09:59:55", "10:05:03"}, [2]string{"10:00:00", "10:05:59"},
		[2]string{"", ""}, [2]string{"10:00:59", "10:00:59"})
	for _, c := range cases {
		start, end := queryDate+"T"+c[0], queryDate+"T"+c[1]
		if c[0] == "" {
			start = ""
		}
		if c[1] == "" {
			end = ""
		}
		f := func(q Query, cond string, args ...any) {
			t.Helper()
			q.Date, q.From, q.To, q.Order = queryDate, c[0], c[1], []string{"a"}
			h, err := w.Days().Histogram(t.Context(), HistogramQuery{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			if h.BucketS != 60 || !h.Complete {
				t.Fatalf("from=%q to=%q: bucket_s %d complete %v; want 60 true", c[0], c[1], h.BucketS, h.Complete)
			}
			want := plainCounts(t, dir, []string{queryDate}, start, end, 60, cond, args...)
			checkEqual(t, fmt.Sprintf("buckets of from=%q to=%q q=%q filters=%v", c[0], c[1], q.Q, q.Filters), histogramMap(t, h), want)
		}
		f(Query{}, "1")
		f(Query{Q: "OD"}, "instr(a, 'od') > 0")
		// A word is not a substring: "od" is in "odd" but not a word of it.
		f(Query{Q: "OD", Match: MatchWord}, "0")
		f(Query{Q: "Odd", Match: MatchWord}, "a = 'odd'")
		f(Query{Filters: []Filter{{Column: "a", Text: "even", Exact: true}}}, "a = 'even'")
		f(Query{Filters: []Filter{{Column: "a", Text: ""}}}, "1")
	}
}

func TestHistogramOfARangeOfDaysEqualsAPlainCount(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	dates := []string{"2026-03-01", "2026-03-02", "2026-03-04"}
	writeSpreadDays(t, w, 7, dates...)
	f := func(start, end string, wantBucket int, q Query, cond string) {
		t.Helper()
		q.Order = []string{"a"}
		h, err := w.Days().Histogram(t.Context(), HistogramQuery{Query: q, Start: start, End: end})
		if err != nil {
			t.Fatal(err)
		}
		if h.BucketS != wantBucket || !h.Complete {
			t.Fatalf("%s..%s: bucket_s %d complete %v; want %d true", start, end, h.BucketS, h.Complete, wantBucket)
		}
		want := plainCounts(t, dir, dates, start, end, wantBucket, cond)
		checkEqual(t, fmt.Sprintf("buckets of %s..%s q=%q", start, end, q.Q), histogramMap(t, h), want)
	}
	f("2026-03-01T10:00:30", "2026-03-04T12:00:59", 300, Query{}, "1")
	f("2026-03-01T10:00:30", "2026-03-04T12:00:40", 300, Query{Filters: []Filter{{Column: "a", Text: "n3", Exact: true}}}, "a = 'n3'")
	f("2026-03-01T23:30:00", "2026-03-02T00:29:59", 60, Query{}, "1")
	f("2026-03-01T23:30:07", "2026-03-02T00:29:13", 60, Query{Q: "n1"}, "a = 'n1'")
	f("", "", 300, Query{}, "1")
	f("2026-03-02T00:00:00", "", 300, Query{}, "1")
	f("2026-02-01T00:00:00", "2026-03-01T00:59:59", 1800, Query{}, "1")
	f("2025-04-01T00:00:00", "2026-03-04T00:59:59", 21600, Query{}, "1")
}

func TestHistogramCountsAFileWithoutMinutesTableByRows(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	writeSpreadDays(t, w, 7, "2026-03-01")
	w.CloseDaysBefore("2026-03-02")
	db, err := sql.Open("sqlite3", fileDSN(dayPath(dir, "2026-03-01"), "_busy_timeout=5000"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE " + minutesTable); err != nil {
		t.Fatal(err)
	}
	db.Close()
	check := func(what string) {
		t.Helper()
		for _, win := range [][2]string{{"", ""}, {"2026-03-01T10:00:05", "2026-03-01T11:30:50"}} {
			h, err := w.Days().Histogram(t.Context(), HistogramQuery{Start: win[0], End: win[1]})
			if err != nil {
				t.Fatal(err)
			}
			want := plainCounts(t, dir, []string{"2026-03-01"}, win[0], win[1], 60, "1")
			checkEqual(t, what+" buckets", histogramMap(t, h), want)
		}
	}
	check("without table")
	// A writer opening the file fills the table from the rows.
	mustWrite(t, w, &Schema{Columns: []string{"a"}}, []Row{{ReceivedAt: ns(t, time.UTC, "2026-03-01 23:59:59"), SenderIP: "10.0.0.1",
		Values: []sql.NullString{str("late")}}})
	checkEqual(t, "minute table filled at open", minuteTable(t, dir, "2026-03-01"),
		plainCounts(t, dir, []string{"2026-03-01"}, "", "", 60, "1"))
	check("with table")
}

func TestHistogramAfterPurgeEqualsAPlainCount(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	writeSpreadDays(t, w, 7, "2026-03-01", "2026-03-02")
	if _, err := w.Days().PurgeClient(t.Context(), "c1", nil); err != nil {
		t.Fatal(err)
	}
	writeSpreadDays(t, w, 7, "2026-03-02")
	h, err := w.Days().Histogram(t.Context(), HistogramQuery{})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "buckets", histogramMap(t, h), plainCounts(t, dir, []string{"2026-03-01", "2026-03-02"}, "", "", h.BucketS, "1"))
}

func TestHistogramOutOfTimeIsIncomplete(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	writeSpreadDays(t, w, 7, "2026-03-01")
	old := histogramBudget
	histogramBudget = 0
	t.Cleanup(func() { histogramBudget = old })
	for _, q := range []Query{{}, {Q: "n1"}} {
		h, err := w.Days().Histogram(t.Context(), HistogramQuery{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		if h.Complete {
			t.Fatalf("q=%q: complete with no time left; want false", q.Q)
		}
		histogramMap(t, h)
	}
}

func TestHistogramRejectsBadInput(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	writeSpreadDays(t, w, 7, "2026-03-01")
	f := func(hq HistogramQuery, field string) {
		t.Helper()
		_, err := w.Days().Histogram(t.Context(), hq)
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != field {
			t.Fatalf("%+v; got %v; want a *FieldError on %q", hq, err, field)
		}
	}
	f(HistogramQuery{Start: "2026-03-01 10:00:00"}, "start")
	f(HistogramQuery{End: "2026-03-01T25:00:00"}, "end")
	f(HistogramQuery{Start: "2026-03-02T00:00:00", End: "2026-03-01T00:00:00"}, "end")
	f(HistogramQuery{Start: "2024-01-01T00:00:00", End: "2026-03-01T00:00:00"}, "end")
	f(HistogramQuery{End: "2028-03-01T00:00:00"}, "start")
	f(HistogramQuery{Query: Query{Filters: []Filter{{Column: "nope", Text: "x"}}}}, "filter")
	f(HistogramQuery{Query: Query{Date: "2026-3-01"}}, "date")
	f(HistogramQuery{Query: Query{Date: "2026-03-01", From: "1:00"}}, "from")
}
