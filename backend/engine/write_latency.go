package engine

import (
	"sync/atomic"
	"time"
)

// WriteLatencyBuckets are the upper bounds, in seconds, of the write latency
// histogram: how long one write batch (one transaction per day file) took.
var WriteLatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// latencyHist counts write batch durations per bucket of WriteLatencyBuckets
// (the last count is above every bound). Safe for concurrent use.
type latencyHist struct {
	counts [14]atomic.Uint64 // len(WriteLatencyBuckets)+1
	sumNs  atomic.Uint64
}

func (h *latencyHist) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(WriteLatencyBuckets) && s > WriteLatencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(uint64(max(d, 0)))
}

// WriteLatency is a snapshot of the write latency histogram in the shape
// Prometheus wants: Buckets[i] counts the batches that took at most
// WriteLatencyBuckets[i] seconds (cumulative), Count all of them, Sum their
// total seconds.
type WriteLatency struct {
	Buckets []uint64
	Count   uint64
	Sum     float64
}

func (h *latencyHist) snapshot() WriteLatency {
	w := WriteLatency{Buckets: make([]uint64, len(WriteLatencyBuckets))}
	var cum uint64
	for i := range WriteLatencyBuckets {
		cum += h.counts[i].Load()
		w.Buckets[i] = cum
	}
	w.Count = cum + h.counts[len(WriteLatencyBuckets)].Load()
	w.Sum = time.Duration(h.sumNs.Load()).Seconds()
	return w
}
