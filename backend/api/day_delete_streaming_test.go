package api_test

import (
	"bufio"
	"encoding/csv"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// TestDeletingADayWhileItsCSVExportStreamsEndsTheExportWhole: over the real HTTP server,
// DELETE of a day answers 204 while an export of that day is still streaming; the days
// list no longer shows it at once; the export still ends cleanly with every row; the
// day's files are gone once the export let go of them.
func TestDeletingADayWhileItsCSVExportStreamsEndsTheExportWhole(t *testing.T) {
	e := newEnv(t)
	e.stoppedEngine(t, "big")
	const n = 40000 // ~40 MB of CSV: far more than the socket buffers hold
	originals := make([]string, n)
	for i := range originals {
		originals[i] = strings.Repeat("y", 1000)
	}
	e.writeDay(t, "big", "2024-03-01", originals)
	e.writeDay(t, "big", "2024-03-02", originals[:1])

	req, err := http.NewRequest("GET", e.Base+"/api/v1/engines/big/export.csv?date=2024-03-01", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.viewer)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("export; got %d; want 200", resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	if _, err := br.Peek(64 << 10); err != nil { // the export is under way
		t.Fatal(err)
	}

	r := e.Do(apitest.Request{Method: "DELETE", Token: e.admin, Path: "/api/v1/engines/big/days/2024-03-01"})
	if r.Status != 204 {
		t.Fatalf("delete of a day being exported; got %d %s; want 204", r.Status, r.Body)
	}
	r = e.Do(apitest.Request{Method: "GET", Token: e.viewer, Path: "/api/v1/engines/big/days"})
	if r.Status != 200 || strings.Contains(string(r.Body), "2024-03-01") || !strings.Contains(string(r.Body), "2024-03-02") {
		t.Fatalf("days right after the delete; got %d %s; want only 2024-03-02", r.Status, r.Body)
	}

	cr := csv.NewReader(br)
	rows := -1 // the header
	for {
		_, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("export after %d rows: %v", rows, err)
		}
		rows++
	}
	if rows != n {
		t.Fatalf("rows of the export of a day deleted while it streamed; got %d; want %d", rows, n)
	}

	dir, err := e.f.Dir("big")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		left := []string{}
		for _, en := range ents {
			if strings.Contains(en.Name(), "2024-03-01") {
				left = append(left, en.Name())
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("files of the deleted day after its export ended; got %v; want none", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
