package store

import (
	"bytes"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// TestExportStepsGiveTheSameCSV: cutting the export into steps of one row,
// of a few rows and of id ranges of 3 ids (two readers taking turns) writes
// the same bytes as one step, oldest and newest first, one day and a range,
// with a filter.
func TestExportStepsGiveTheSameCSV(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}, KeepOriginal: true}
	for _, day := range []string{"2024-05-01", "2024-05-02"} {
		at := ns(t, time.UTC, day+" 08:00:00")
		var rows []Row
		for i := range 50 {
			rows = append(rows, Row{ReceivedAt: at + int64(i)*1e9, SenderIP: "10.0.0.1",
				Values: []sql.NullString{str(fmt.Sprintf("v%d,%d", i, i%7))}, Original: fmt.Sprintf("line %d \"q\"", i)})
		}
		mustWrite(t, w, s, rows)
	}
	export := func(dates []string, q Query) string {
		t.Helper()
		var b bytes.Buffer
		if err := w.Days().Export(t.Context(), &b, dates, q); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	defer func(b int, c int64) { exportChunkBytes, scanChunk = b, c }(exportChunkBytes, scanChunk)
	for _, dates := range [][]string{{"2024-05-01"}, {"2024-05-01", "2024-05-02"}} {
		for _, q := range []Query{{Order: s.Columns}, {Order: s.Columns, Desc: true}, {Order: s.Columns, Q: ",3"}, {Order: s.Columns, Desc: true, Filters: []Filter{{Column: "a", Text: ",1"}}}} {
			exportChunkBytes, scanChunk = 1<<20, 1<<15
			want := export(dates, q)
			for _, step := range []struct {
				bytes int
				ids   int64
			}{{1, 1 << 15}, {40, 1 << 15}, {1 << 20, 3}, {1, 3}} {
				exportChunkBytes, scanChunk = step.bytes, step.ids
				if got := export(dates, q); got != want {
					t.Fatalf("dates %v, query %+v, steps of %d bytes and %d ids:\n%s\nwant\n%s", dates, q, step.bytes, step.ids, got, want)
				}
			}
		}
	}
}
