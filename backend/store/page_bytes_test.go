package store

import (
	"slices"
	"testing"
)

// TestQueryDayPagesStopAtMaxBytesAndResumeExactly pages through a day with byte caps
// from 1 byte (one row per page) to more than the day, mixed with a row limit: every
// page holds at most MaxBytes of cells (or a single row), says why it stopped, and the
// pages together are every row exactly once, in order; with ranges of one row and of
// four a page is filled by scanAhead's readers, one or two.
func TestQueryDayPagesStopAtMaxBytesAndResumeExactly(t *testing.T) {
	dir := queryFixture(t)
	defer func(c int64, r int) { scanChunk, scanReaders = c, r }(scanChunk, scanReaders)
	for _, c := range []int64{1 << 15, 4, 1} {
		for _, r := range []int{1, 2} {
			scanChunk, scanReaders = c, r
			testPagesStopAtMaxBytes(t, dir)
		}
	}
}

func testPagesStopAtMaxBytes(t *testing.T, dir string) {
	t.Helper()
	for _, desc := range []bool{true, false} {
		all, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Desc: desc, Limit: MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		row := cellBytes(all.Rows[0])
		for _, maxBytes := range []int{1, row - 1, row, row + 1, 3*row - 1, 3 * row, 10 * row, 1 << 20} {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 40 {
					t.Fatalf("max %d: more than 40 pages", maxBytes)
				}
				p, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Desc: desc, Limit: 7, MaxBytes: maxBytes, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				size := 0
				for _, r := range p.Rows {
					size += cellBytes(r)
				}
				if size > maxBytes && len(p.Rows) > 1 {
					t.Errorf("max %d: unexpected page; got %d rows of %d bytes; want <= %d bytes or one row", maxBytes, len(p.Rows), size, maxBytes)
				}
				got = append(got, pageIDs(p)...)
				if p.NextCursor == nil {
					if p.LimitReason != "" {
						t.Errorf("max %d: unexpected reason on the last page; got %q; want none", maxBytes, p.LimitReason)
					}
					break
				}
				want := LimitBytes
				if len(p.Rows) == 7 && size <= maxBytes {
					want = LimitRows
				}
				if p.LimitReason != want {
					t.Errorf("max %d: unexpected reason for %d rows of %d bytes; got %q; want %q", maxBytes, len(p.Rows), size, p.LimitReason, want)
				}
				cursor = *p.NextCursor
			}
			if want := pageIDs(all); !slices.Equal(got, want) {
				t.Errorf("chunk %d readers %d desc %v max %d: unexpected ids; got %q; want %q", scanChunk, scanReaders, desc, maxBytes, got, want)
			}
		}
	}
}
