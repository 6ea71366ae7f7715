package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/logsieve/logsieve/backend/internal/apitest"
	"github.com/logsieve/logsieve/backend/store"
)

// bigPage is a /logs answer with its limit_reason.
type bigPage struct {
	Columns     []string    `json:"columns"`
	Rows        [][]*string `json:"rows"`
	NextCursor  *string     `json:"next_cursor"`
	LimitReason *string     `json:"limit_reason"`
}

// TestLogsPageIsBoundedInBytes: 300 rows of 64 KB original_log asked with limit=1000
// come in pages of at most store.DefaultMaxPageBytes of cells (limit_reason "bytes"),
// the cursors resume exactly where a page stopped (no row lost or repeated), and one
// such request allocates a few page sizes, not the 20 MB of the rows asked for.
func TestLogsPageIsBoundedInBytes(t *testing.T) {
	e := newEnv(t)
	e.stoppedEngine(t, "big")
	const rows, date = 300, "2024-03-01"
	originals := make([]string, rows)
	for i := range originals {
		originals[i] = fmt.Sprintf("%06d ", i) + strings.Repeat("x", 64<<10-7)
	}
	e.writeDay(t, "big", date, originals)

	t.Run("pages stop at the byte cap and resume exactly", func(t *testing.T) {
		for _, order := range []string{"desc", "asc"} {
			var got []string
			cursor, pages := "", 0
			for {
				r := e.Do(apitest.Request{Method: "GET", Token: e.viewer,
					Path: "/api/v1/engines/big/logs?limit=1000&date=" + date + "&order=" + order + "&cursor=" + url.QueryEscape(cursor)})
				if r.Status != 200 {
					t.Fatalf("unexpected status; got %d %s; want 200", r.Status, r.Body)
				}
				if len(r.Body) > store.DefaultMaxPageBytes+64<<10 {
					t.Errorf("unexpected body size; got %d bytes; want <= %d", len(r.Body), store.DefaultMaxPageBytes+64<<10)
				}
				var p bigPage
				r.JSON(t, &p)
				oi := slices.Index(p.Columns, "original_log")
				if oi < 0 {
					t.Fatalf("no original_log column in %q", p.Columns)
				}
				size := 0
				for _, row := range p.Rows {
					for _, c := range row {
						if c != nil {
							size += len(*c)
						}
					}
					var i int
					if _, err := fmt.Sscanf(*row[oi], "%06d ", &i); err != nil || i < 0 || i >= rows || *row[oi] != originals[i] {
						t.Fatalf("unexpected original_log %.20q...", *row[oi])
					}
					got = append(got, (*row[oi])[:6])
				}
				if size > store.DefaultMaxPageBytes {
					t.Errorf("unexpected page size; got %d bytes of cells in %d rows; want <= %d", size, len(p.Rows), store.DefaultMaxPageBytes)
				}
				if p.NextCursor == nil {
					if p.LimitReason != nil {
						t.Errorf("unexpected limit_reason on the last page; got %q; want null", *p.LimitReason)
					}
					break
				}
				if p.LimitReason == nil || *p.LimitReason != "bytes" {
					t.Errorf("unexpected limit_reason; got %v; want \"bytes\"", p.LimitReason)
				}
				if pages++; pages > 20 {
					t.Fatalf("more than 20 pages for %d rows", rows)
				}
				cursor = *p.NextCursor
			}
			want := make([]string, rows)
			for i := range want {
				want[i] = fmt.Sprintf("%06d", i)
			}
			if order == "desc" {
				slices.Reverse(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("order %s: unexpected rows over %d pages; got %d rows %q...; want %d rows in order", order, pages+1, len(got), got[:min(len(got), 5)], rows)
			}
		}
	})

	t.Run("a page allocates a bounded amount of memory", func(t *testing.T) {
		get := func() int64 {
			req, err := http.NewRequest("GET", e.Base+"/api/v1/engines/big/logs?limit=1000&date="+date, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+e.viewer)
			resp, err := e.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			n, err := io.Copy(io.Discard, resp.Body)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("logs: status %d, %v", resp.StatusCode, err)
			}
			return n
		}
		get() // warm pools and the day file's page cache
		const requests = 3
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range requests {
			get()
		}
		runtime.ReadMemStats(&after)
		per := (after.TotalAlloc - before.TotalAlloc) / requests
		t.Logf("%d MiB allocated per request", per>>20)
		if limit := uint64(4 * store.DefaultMaxPageBytes); per > limit {
			t.Errorf("unexpected allocation per request; got %d MiB; want <= %d MiB", per>>20, limit>>20)
		}
	})
}
