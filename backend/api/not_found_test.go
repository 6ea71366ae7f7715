package api_test

import (
	"strings"
	"testing"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// TestNotFoundBodiesDoNotShowTheDataDir walks the routes that look up a day file, an
// engine or another named thing that does not exist: the answer names what was asked
// for and never holds the data dir's path (the file-system error of a missing day file
// showed it).
func TestNotFoundBodiesDoNotShowTheDataDir(t *testing.T) {
	e := newEnv(t)
	e.stoppedEngine(t, "x")
	e.writeDay(t, "x", "2024-03-01", []string{"one"})
	type call struct {
		method, path string
		status       int
		says         string // the body must hold this
	}
	calls := []call{
		{"GET", "/api/v1/engines/x/logs?date=2020-01-01", 200, `"rows":[]`},
		{"GET", "/api/v1/engines/x/export.csv?date=2020-01-01", 404, `engine \"x\" has no logs for 2020-01-01`},
		{"GET", "/api/v1/engines/x/export.csv?from_date=2020-01-01&to_date=2020-01-03", 200, "date,log_sender_ip"},
		{"DELETE", "/api/v1/engines/x/days/2020-01-01", 404, `engine \"x\" has no logs for 2020-01-01`},
		{"GET", "/api/v1/engines/nope/logs?date=2024-03-01", 404, "nope"},
		{"GET", "/api/v1/engines/nope/export.csv?date=2024-03-01", 404, "nope"},
		{"DELETE", "/api/v1/engines/nope/days/2024-03-01", 404, "nope"},
		{"GET", "/api/v1/engines/nope/days", 404, "nope"},
		{"GET", "/api/v1/engines/x/clients", 200, "[]"},
		{"GET", "/api/v1/classes/nope", 404, "nope"},
		{"GET", "/api/v1/jobs/nope", 404, ""},
		{"GET", "/api/v1/users/nope", 404, ""},
	}
	for _, c := range calls {
		r := e.Do(apitest.Request{Method: c.method, Path: c.path, Token: e.admin})
		if r.Status != c.status || !strings.Contains(string(r.Body), c.says) {
			t.Errorf("%s %s: unexpected answer; got %d %s; want %d holding %q", c.method, c.path, r.Status, r.Body, c.status, c.says)
		}
		if strings.Contains(string(r.Body), e.dir) {
			t.Errorf("%s %s: the body shows the data dir %q: %s", c.method, c.path, e.dir, r.Body)
		}
	}
	// The day that exists is deleted once; the second time it is a 404 like any other.
	for i, want := range []int{204, 404} {
		r := e.Do(apitest.Request{Method: "DELETE", Path: "/api/v1/engines/x/days/2024-03-01", Token: e.admin})
		if r.Status != want || strings.Contains(string(r.Body), e.dir) {
			t.Errorf("delete #%d: unexpected answer; got %d %s; want %d without the data dir", i+1, r.Status, r.Body, want)
		}
	}
}
