package store

import (
	"io"
	"testing"
	"time"
)

// BenchmarkExport measures Days.Export of one day of 200,000 rows of the
// five-key class with originals (~330 bytes of CSV a row).
func BenchmarkExport(b *testing.B) {
	w, err := OpenWriter(b.TempDir(), Options{Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	s := &Schema{Columns: []string{"pppoe", "router_identity", "destination_ip", "destination_port", "proto", "length"}, KeepOriginal: true}
	start := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC).UnixNano()
	const rows = 200_000
	for i := int64(0); i < rows/1000; i++ {
		if _, err := w.Write(s, benchRows(1000, start+i*1e10)); err != nil {
			b.Fatal(err)
		}
	}
	q := Query{Order: s.Columns}
	var n countingWriter
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for b.Loop() {
		if err := w.Days().Export(b.Context(), &n, []string{"2024-05-01"}, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
	// Rows per second of process CPU time: steadier than wall time on a
	// shared machine (the export runs on one goroutine).
	b.ReportMetric(float64(b.N)*rows/(cpuTime(b)-cpu0).Seconds(), "rows/cpu_s")
	b.SetBytes(n.n / int64(b.N))
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
