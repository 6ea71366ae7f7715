package store

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// benchQueryRows is the size of the day file the query benchmarks read
// (LOGSIEVE_BENCH_QUERY_ROWS overrides it).
const benchQueryRows = 1_000_000

// benchQueryDays writes one day file of ~1M rows of benchRows, received
// 08:00:00 onwards at 30 rows a second, and returns a Days reading it.
func benchQueryDays(b *testing.B) *Days {
	b.Helper()
	n := benchQueryRows
	if v, err := strconv.Atoi(os.Getenv("LOGSIEVE_BENCH_QUERY_ROWS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	w, err := OpenWriter(dir, Options{Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	s := &Schema{Columns: []string{"pppoe", "router_identity", "destination_ip", "destination_port", "proto", "length"}, KeepOriginal: true}
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC).UnixNano()
	const batch = 10_000
	rows := benchRows(batch, 0)
	step := int64(time.Second / 30)
	for done := 0; done < n; done += batch {
		for i := range rows {
			rows[i].ReceivedAt = start + int64(done+i)*step
		}
		if _, err := w.Write(s, rows[:min(batch, n-done)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	ds := NewDays(dir)
	b.Cleanup(func() { ds.Close() })
	return ds
}

// benchQuery runs q on ds b.N times, checking it returns want rows.
func benchQuery(b *testing.B, ds *Days, q Query, want int) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := ds.Query(b.Context(), q)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Rows) != want {
			b.Fatalf("got %d rows; want %d", len(p.Rows), want)
		}
	}
}

// BenchmarkQueryFirstPage measures the newest 100 rows of a ~1M-row day,
// and the page after a cursor in the middle of the day.
func BenchmarkQueryFirstPage(b *testing.B) {
	ds := benchQueryDays(b)
	order := []string{"pppoe", "router_identity", "destination_ip", "destination_port", "proto", "length"}
	b.Run("newest", func(b *testing.B) {
		benchQuery(b, ds, Query{Date: "2024-05-01", Desc: true, Order: order}, 100)
	})
	b.Run("cursor", func(b *testing.B) {
		benchQuery(b, ds, Query{Date: "2024-05-01", Desc: true, Order: order, Cursor: "500000"}, 100)
	})
}

// BenchmarkQueryTimeWindow measures the newest 100 rows of a one-minute
// from/to window in the middle of a ~1M-row day.
func BenchmarkQueryTimeWindow(b *testing.B) {
	ds := benchQueryDays(b)
	order := []string{"pppoe", "router_identity", "destination_ip", "destination_port", "proto", "length"}
	b.Run("minute", func(b *testing.B) {
		benchQuery(b, ds, Query{Date: "2024-05-01", Desc: true, Order: order, From: "12:00:00", To: "12:00:59"}, 100)
	})
}
