package api_test

import (
	"strings"
	"testing"

	"github.com/logsieve/logsieve/backend/internal/apitest"
	"github.com/logsieve/logsieve/backend/store"
)

// TestTooManyOrTooLongFiltersAre400 walks /logs and export.csv with many and long
// filters and q: 997 filters answered 500 (SQLite's expression depth limit); every
// case must be 200 or a 400 naming the parameter.
func TestTooManyOrTooLongFiltersAre400(t *testing.T) {
	e := newEnv(t)
	e.stoppedEngine(t, "caps")
	e.writeDay(t, "caps", "2024-03-01", []string{"x msg=alpha", "x msg=beta"}, "alpha", "beta")
	filters := func(n int, text string) string {
		return strings.Repeat("&filter=msg:"+text, n)
	}
	long := strings.Repeat("a", store.MaxNeedleBytes+1)
	f := func(route, name, query string, status int, field string) {
		t.Helper()
		// The server reads at most 16 KiB of request line and headers (431 above), so
		// 997 filters must be short to arrive.
		r := e.Do(apitest.Request{Method: "GET", Token: e.viewer, Path: "/api/v1/engines/caps/" + route + "?date=2024-03-01" + query})
		if r.Status != status || (field != "" && r.ErrorField() != field) {
			t.Errorf("%s %s: unexpected answer; got %d %.200s; want %d field %q", route, name, r.Status, r.Body, status, field)
		}
	}
	for _, route := range []string{"logs", "export.csv"} {
		f(route, "997 filters", filters(997, "a"), 400, "filter")
		f(route, "33 filters", filters(store.MaxFilters+1, "alpha"), 400, "filter")
		f(route, "32 filters and q", filters(store.MaxFilters, "alpha")+"&q=alp", 200, "")
		f(route, "long filter", filters(1, long), 400, "filter")
		f(route, "long exact filter", "&filter=msg%3D"+long, 400, "filter")
		f(route, "long q", "&q="+long, 400, "q")
		f(route, "longest q and filters", "&q="+long[1:]+filters(10, long[1:]), 200, "")
	}
}
