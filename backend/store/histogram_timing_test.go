package store

import "testing"

// BenchmarkHistogram measures the per-minute histogram of a ~1M-row day:
// unfiltered (minutes table), unfiltered with partial edge minutes, and with
// an exact value filter (a scan; candidateSpans prunes nothing yet).
func BenchmarkHistogram(b *testing.B) {
	ds := benchQueryDays(b)
	order := []string{"pppoe", "router_identity", "destination_ip", "destination_port", "proto", "length"}
	needle := benchRows(1, 0)[0].Values[0].String
	f := func(name string, hq HistogramQuery) {
		b.Run(name, func(b *testing.B) {
			hq.Order = order
			b.ReportAllocs()
			for b.Loop() {
				h, err := ds.Histogram(b.Context(), hq)
				if err != nil {
					b.Fatal(err)
				}
				if h.Total == 0 || !h.Complete {
					b.Fatalf("total %d, complete %v", h.Total, h.Complete)
				}
			}
		})
	}
	f("day", HistogramQuery{Query: Query{Date: "2024-05-01"}})
	f("window", HistogramQuery{Start: "2024-05-01T09:00:30", End: "2024-05-01T12:30:15"})
	f("exact", HistogramQuery{Query: Query{Date: "2024-05-01", Filters: []Filter{{Column: "pppoe", Text: needle, Exact: true}}}})
}
