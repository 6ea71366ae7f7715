package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestQueryRejectsTooManyFiltersAndLongNeedles: more than MaxFilters filters (997 of them
// passed SQLite's expression depth limit of 1000 and failed as an internal error) and a
// filter text or q longer than MaxNeedleBytes are a *FieldError naming the parameter, in
// QueryDay and in ExportCSV; MaxFilters filters and q together still run.
func TestQueryRejectsTooManyFiltersAndLongNeedles(t *testing.T) {
	dir := queryFixture(t)
	filters := func(n int, text string) []Filter {
		fs := make([]Filter, n)
		for i := range fs {
			fs[i] = Filter{Column: "a", Text: text}
		}
		return fs
	}
	long := strings.Repeat("a", MaxNeedleBytes+1)
	f := func(q Query, field string) {
		t.Helper()
		q.Date = queryDate
		_, qerr := QueryDay(t.Context(), dir, q)
		xerr := ExportCSV(t.Context(), io.Discard, dir, []string{queryDate}, q)
		for _, err := range []error{qerr, xerr} {
			var fe *FieldError
			switch {
			case field == "" && err != nil:
				t.Errorf("unexpected error; got %v; want none", err)
			case field != "" && (!errors.As(err, &fe) || fe.Field != field):
				t.Errorf("unexpected error; got %v; want a *FieldError of %q", err, field)
			}
		}
	}
	f(Query{Filters: filters(997, "alpha")}, "filter")
	f(Query{Filters: filters(MaxFilters+1, "alpha")}, "filter")
	f(Query{Filters: []Filter{{Column: "a", Text: long}}}, "filter")
	f(Query{Filters: []Filter{{Column: "a", Text: long, Exact: true}}}, "filter")
	f(Query{Q: long}, "q")
	f(Query{Q: strings.Repeat("a", MaxNeedleBytes), Filters: filters(MaxFilters, strings.Repeat("b", MaxNeedleBytes))}, "")
}

// TestQOverManyColumnsStaysUnderSQLiteExpressionDepth: q looks in every column; on a day
// of a class with 1,200 columns a flat OR chain was deeper than SQLite's limit of 1000
// ("Expression tree is too large"); q must find its row there.
func TestQOverManyColumnsStaysUnderSQLiteExpressionDepth(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{}
	var vals []sql.NullString
	for i := range 1200 {
		s.Columns = append(s.Columns, fmt.Sprintf("k%d", i))
		vals = append(vals, str(fmt.Sprintf("v%d", i)))
	}
	mustWrite(t, w, s, []Row{{ReceivedAt: ns(t, time.UTC, queryDate+" 10:00:00"), SenderIP: "10.0.0.1", Values: vals}})
	for _, needle := range []string{"v1199", "v0"} {
		p, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Q: needle, Order: s.Columns})
		if err != nil {
			t.Fatalf("q=%s: %v", needle, err)
		}
		if len(p.Rows) != 1 {
			t.Errorf("q=%s: unexpected rows; got %d; want 1", needle, len(p.Rows))
		}
		if err := ExportCSV(t.Context(), io.Discard, dir, []string{queryDate}, Query{Q: needle, Order: s.Columns}); err != nil {
			t.Errorf("export q=%s: %v", needle, err)
		}
	}
}
