package api_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// TestInvalidUTF8IsEscapedInCSVAndReplacedInJSON: a day file holding bytes that are not
// UTF-8 exports as a valid UTF-8 CSV (it is labelled charset=utf-8) with each such byte
// written \xNN and backslashes doubled in those cells only; /logs stays valid JSON with
// U+FFFD for each such byte.
func TestInvalidUTF8IsEscapedInCSVAndReplacedInJSON(t *testing.T) {
	e := newEnv(t)
	e.stoppedEngine(t, "raw")
	originals := []string{"ok \xff\xfe end", `path C:\x41\new`, `plain C:\dir`, "é fine", "cut \xc3"}
	want := []string{`ok \xFF\xFE end`, `path C:\\x41\\new`, `plain C:\dir`, "é fine", `cut \xC3`}
	e.writeDay(t, "raw", "2024-03-01", originals, "\xffmsg")

	r := e.Do(apitest.Request{Method: "GET", Token: e.viewer, Path: "/api/v1/engines/raw/export.csv?date=2024-03-01&order=asc"})
	if r.Status != 200 {
		t.Fatalf("export; got %d %s; want 200", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("unexpected content type; got %q", ct)
	}
	if !utf8.Valid(r.Body) {
		t.Errorf("the CSV is not valid UTF-8: %q", r.Body)
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	oi, mi := slices.Index(recs[0], "original_log"), slices.Index(recs[0], "msg")
	var got []string
	for _, rec := range recs[1:] {
		got = append(got, rec[oi])
	}
	if !slices.Equal(got, want) {
		t.Errorf("unexpected original_log cells; got %q; want %q", got, want)
	}
	if recs[1][mi] != `\xFFmsg` {
		t.Errorf("unexpected msg cell; got %q; want %q", recs[1][mi], `\xFFmsg`)
	}

	r = e.Do(apitest.Request{Method: "GET", Token: e.viewer, Path: "/api/v1/engines/raw/logs?date=2024-03-01&order=asc"})
	if r.Status != 200 {
		t.Fatalf("logs; got %d %s; want 200", r.Status, r.Body)
	}
	if !utf8.Valid(r.Body) {
		t.Errorf("the /logs JSON is not valid UTF-8: %q", r.Body)
	}
	var p page
	r.JSON(t, &p)
	if got, want := *p.Rows[0][col(p, "original_log")], "ok \uFFFD\uFFFD end"; got != want {
		t.Errorf("unexpected /logs cell; got %q; want %q", got, want)
	}
	if got, want := *p.Rows[1][col(p, "original_log")], `path C:\x41\new`; got != want {
		t.Errorf("unexpected /logs cell; got %q; want %q", got, want)
	}
}
