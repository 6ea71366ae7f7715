package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// TestPlaygroundIsBoundedInInputAndTime: the playground request of issue 12 (pattern
// (\w+\s?){1000}[0-9] on 4 x 64 KB lines: 21 s of CPU, then 200) is refused at once with
// a 400 naming the key; too many or too big lines, keys, patterns, programs and capture
// groups are 400/413 naming the field; a request within those limits that needs more
// than the time budget is cut short with a 422 naming the key; a normal request works.
func TestPlaygroundIsBoundedInInputAndTime(t *testing.T) {
	e := newEnv(t)
	post := func(patterns map[string]string, lines []string) (*apitest.Response, time.Duration) {
		t.Helper()
		body, err := json.Marshal(map[string]any{"patterns": patterns, "lines": lines})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes/test", Token: e.viewer, Body: body})
		return r, time.Since(start)
	}
	f := func(name string, patterns map[string]string, lines []string, status int, field string) {
		t.Helper()
		r, took := post(patterns, lines)
		if r.Status != status || r.ErrorField() != field {
			t.Errorf("%s: unexpected answer after %v; got %d %.300s; want %d field %q", name, took, r.Status, r.Body, status, field)
		}
	}
	line64k := strings.Repeat("abcdefg ", 8<<10)
	words := func(n int) []string { return copies(n, "abcdefg hijklmn") }

	f("issue 12 request", map[string]string{"k": `(\w+\s?){1000}[0-9]`}, copies(4, line64k), 400, "patterns.k")
	f("1001 lines", map[string]string{"k": "a"}, words(1001), 400, "lines")
	f("a line over 64 KiB", map[string]string{"k": "a"}, []string{line64k + "x"}, 400, "lines")
	f("over 256 KiB of lines", map[string]string{"k": "a"}, copies(5, line64k[:60<<10]), 413, "lines")
	many := map[string]string{}
	for i := range 65 {
		many[fmt.Sprintf("k%d", i)] = "a"
	}
	f("65 keys", many, words(1), 400, "patterns")
	f("pattern over 4 KiB", map[string]string{"k": strings.Repeat("a", 4<<10+1)}, words(1), 400, "patterns.k")
	f("huge program", map[string]string{"ok": "a", "k": `(\w+\s?){1000}(\w+\s?){1000}`}, words(1), 400, "patterns.k")
	f("101 capture groups", map[string]string{"k": strings.Repeat(`(a)`, 101)}, words(1), 400, "patterns.k")
	f("bad pattern", map[string]string{"k": `a)`}, words(1), 400, "patterns.k")

	// Within every size limit (2,403 instructions x 6 KiB per line < 16 Mi) but about
	// 0.1 s per line and key on a 2-vCPU box (more under -race): three such keys on forty
	// lines need about 14 s, far past the 1 s budget even on a much faster machine.
	slow := `(\w+\s?){400}[0-9]`
	r, took := post(map[string]string{"fast": `src=(\S+)`, "slow1": slow, "slow2": slow, "slow3": slow}, copies(40, line64k[:6<<10]))
	if r.Status != 422 || !strings.HasPrefix(r.ErrorField(), "patterns.slow") || !strings.Contains(string(r.Body), "time budget") {
		t.Errorf("over the time budget: unexpected answer after %v; got %d %.300s; want 422 field patterns.slow<n>", took, r.Status, r.Body)
	}
	t.Logf("over the time budget: answered after %v", took)

	r, _ = post(map[string]string{"user": `user=(\w+)`, "dst_ip": `->(\S+)`}, []string{"x user=alice ->10.0.0.1:53", "nothing here"})
	var got struct {
		Rows []map[string]*string `json:"rows"`
		Keys map[string]struct {
			Matched int `json:"matched"`
		} `json:"keys"`
	}
	r.JSON(t, &got)
	if r.Status != 200 || len(got.Rows) != 2 || got.Rows[0]["user"] == nil || *got.Rows[0]["user"] != "alice" ||
		got.Rows[0]["dst_port"] == nil || *got.Rows[0]["dst_port"] != "53" || got.Rows[1]["user"] != nil || got.Keys["user"].Matched != 1 {
		t.Errorf("unexpected playground answer; got %d %s", r.Status, r.Body)
	}
}

// copies returns n copies of s.
func copies(n int, s string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
