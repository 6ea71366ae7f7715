package engine

import (
	"sync/atomic"
	"time"
)

// counters are the engine's loss accounting (docs/architecture.md):
// received = stored + rejected + dropped + refused + write_errors + in flight
// (queued, and spoolCounters.logs).
type counters struct {
	received, stored, unmatched, rejected, dropped, refused, writeErrors atomic.Uint64
	kernelDrops                                                          atomic.Uint64
	queued                                                               atomic.Int64
	queuedBytes                                                          atomic.Int64  // datagram bytes of queued
	receivedBytes                                                        atomic.Uint64 // message bytes received (framing excluded)
	writeLatency                                                         latencyHist   // duration of each write batch

	// streams (tcp)
	connections                                                      atomic.Int64 // open now
	waiting                                                          atomic.Int64 // connections waiting for room in the queue
	connTotal, connRefused, framingErrors, truncated, backpressureNs atomic.Uint64
	tlsErrors                                                        atomic.Uint64 // failed or timed-out TLS handshakes
}

// workerStat measures how busy one goroutine of the pipeline is.
type workerStat struct {
	name    string
	busyNs  atomic.Int64
	lastPct atomic.Uint64 // percent * 100
}

func (w *workerStat) addBusy(d time.Duration) { w.busyNs.Add(int64(d)) }

// Stats is an engine's state and counters, shaped as GET /engines/:name/stats.
type Stats struct {
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"`
	Received uint64 `json:"received"`
	// ReceivedBytes are the bytes of the messages received from the network
	// (a datagram's payload; a stream message without its framing).
	ReceivedBytes uint64  `json:"received_bytes"`
	Stored        uint64  `json:"stored"`
	Unmatched     uint64  `json:"unmatched"`
	Rejected      uint64  `json:"rejected"`
	Dropped       uint64  `json:"dropped"`
	Refused       uint64  `json:"refused"`
	KernelDrops   uint64  `json:"kernel_drops"`
	WriteErrors   uint64  `json:"write_errors"`
	QueueDepth    int     `json:"queue_depth"`
	InPerS        float64 `json:"in_per_s"`
	StoredPerS    float64 `json:"stored_per_s"`
	StartedAt     int64   `json:"started_at"`
	UptimeS       float64 `json:"uptime_s"`
	// Streams (tcp; 0 for udp): open connections, connections served since
	// the process started, connections closed at once because max_connections
	// were open, connections closed for a framing error or cut off mid-frame,
	// LF messages cut at max_message_bytes, and the time connections waited
	// for room in the queue (not reading, so senders slow down); tls
	// engines: failed or timed-out handshakes.
	Connections        int64    `json:"connections"`
	ConnectionsTotal   uint64   `json:"connections_total"`
	ConnectionsRefused uint64   `json:"connections_refused"`
	FramingErrors      uint64   `json:"framing_errors"`
	Truncated          uint64   `json:"truncated"`
	BackpressureMs     uint64   `json:"backpressure_ms"`
	TLSErrors          uint64   `json:"tls_errors"`
	Workers            []Worker `json:"workers"`

	// The overflow spool (udp): logs appended to it, its size on disk, logs
	// waiting in it (in flight, like queue_depth), logs replayed from it
	// after a restart, and torn or corrupt records skipped.
	Spooled      uint64 `json:"spooled"`
	SpoolBytes   int64  `json:"spool_bytes"`
	SpoolDepth   int64  `json:"spool_depth"`
	Replayed     uint64 `json:"replayed"`
	SpoolCorrupt uint64 `json:"spool_corrupt"`

	// WriteLatency is the histogram of write batch durations (/metrics only).
	WriteLatency WriteLatency `json:"-"`
}

// Worker is the state of one goroutine of the pipeline.
type Worker struct {
	Name    string  `json:"name"`
	State   string  `json:"state"`
	BusyPct float64 `json:"busy_pct"`
}

// Point is one second of history: how much each counter of Stats grew in that
// second. Every loss kind has its own field, with the meaning it has in Stats:
// Dropped is the queue-full loss only, KernelDrops the socket buffer overflow.
type Point struct {
	T           int64  `json:"t"` // unix ms
	In          uint64 `json:"in"`
	Stored      uint64 `json:"stored"`
	Dropped     uint64 `json:"dropped"`
	KernelDrops uint64 `json:"kernel_drops"`
	Rejected    uint64 `json:"rejected"`
	Refused     uint64 `json:"refused"`
	WriteErrors uint64 `json:"write_errors"`
}

// tally is a snapshot of the counters a history point is the growth of.
type tally struct {
	in, stored, dropped, kernelDrops, rejected, refused, writeErrors uint64
}

func (c *counters) tally() tally {
	return tally{in: c.received.Load(), stored: c.stored.Load(), dropped: c.dropped.Load(),
		kernelDrops: c.kernelDrops.Load(), rejected: c.rejected.Load(), refused: c.refused.Load(),
		writeErrors: c.writeErrors.Load()}
}

// since returns the point at t of the growth from prev to cur.
func (cur tally) since(prev tally, t time.Time) Point {
	return Point{T: t.UnixMilli(), In: cur.in - prev.in, Stored: cur.stored - prev.stored,
		Dropped: cur.dropped - prev.dropped, KernelDrops: cur.kernelDrops - prev.kernelDrops,
		Rejected: cur.rejected - prev.rejected, Refused: cur.refused - prev.refused,
		WriteErrors: cur.writeErrors - prev.writeErrors}
}

// historySeconds is how many per-second points an engine keeps (one hour).
const historySeconds = 3600

// Stats returns the engine's counters and state now.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	st := Stats{State: e.state, Reason: e.reason}
	started := e.started
	workers := e.workers
	running := e.done != nil
	sp := e.sp
	e.mu.Unlock()
	if paused, why := e.Paused(); paused && running {
		st.State, st.Reason = StatePaused, why
	}
	st.Received = e.ctr.received.Load()
	st.ReceivedBytes = e.ctr.receivedBytes.Load()
	st.WriteLatency = e.ctr.writeLatency.snapshot()
	st.Stored = e.ctr.stored.Load()
	st.Unmatched = e.ctr.unmatched.Load()
	st.Rejected = e.ctr.rejected.Load()
	st.Dropped = e.ctr.dropped.Load()
	st.Refused = e.ctr.refused.Load()
	st.KernelDrops = e.ctr.kernelDrops.Load()
	st.WriteErrors = e.ctr.writeErrors.Load()
	st.QueueDepth = int(max(e.ctr.queued.Load(), 0))
	st.Spooled = e.spc.spooled.Load()
	st.SpoolDepth = max(e.spc.logs.Load(), 0)
	st.Replayed = e.spc.replayed.Load()
	st.SpoolCorrupt = e.spc.corrupt.Load()
	if sp != nil {
		st.SpoolBytes = sp.Bytes()
	}
	st.Connections = max(e.ctr.connections.Load(), 0)
	st.ConnectionsTotal = e.ctr.connTotal.Load()
	st.ConnectionsRefused = e.ctr.connRefused.Load()
	st.FramingErrors = e.ctr.framingErrors.Load()
	st.Truncated = e.ctr.truncated.Load()
	st.BackpressureMs = e.ctr.backpressureNs.Load() / uint64(time.Millisecond)
	st.TLSErrors = e.ctr.tlsErrors.Load()
	if pts := e.hist.Last(1); len(pts) == 1 && running {
		st.InPerS, st.StoredPerS = float64(pts[0].In), float64(pts[0].Stored)
	}
	if !started.IsZero() {
		st.StartedAt = started.UnixMilli()
		st.UptimeS = time.Since(started).Seconds()
	}
	st.Workers = make([]Worker, 0, len(workers))
	for _, w := range workers {
		state := StateStopped
		if running {
			state = "idle"
			if w.lastPct.Load() > 0 {
				state = "busy"
			}
		}
		st.Workers = append(st.Workers, Worker{Name: w.name, State: state, BusyPct: float64(w.lastPct.Load()) / 100})
	}
	return st
}

// History returns up to seconds per-second points, oldest first.
func (e *Engine) History(seconds int) []Point { return e.hist.Last(seconds) }

// sampleBase is where the history of one run starts: the counters and the
// socket's kernel drop count before the receiver runs.
type sampleBase struct {
	kdBase uint64 // the socket's drop count at start (SO_MEMINFO, or /proc)
	kdPrev uint64 // the engine's kernel_drops counter at start
	prev   tally
}

// sampleBase reads the history's baseline; call it before receiving starts.
func (e *Engine) sampleBase(kd *kernelDrops) sampleBase {
	var b sampleBase
	if d, ok := kd.read(); ok {
		b.kdBase = d
	}
	b.kdPrev = e.ctr.kernelDrops.Load()
	b.prev = e.ctr.tally()
	return b
}

// sampler returns the engine's tick of the shared clock: each second it
// records one history point and refreshes kernel drops and worker load, and
// signals dayTick when the engine's day changed. Kernel drops are refreshed
// before the point is taken, so a second's point holds the kernel drops
// Stats shows from then on.
func (e *Engine) sampler(kd *kernelDrops, b sampleBase, dayTick chan<- struct{}) func(now time.Time) {
	kdBase, kdPrev, prev := b.kdBase, b.kdPrev, b.prev
	dw := dropWatch{prevD: prev.dropped, prevK: kdPrev}
	last := time.Now()
	day := e.today()
	return func(now time.Time) {
		if d, ok := kd.read(); ok && d >= kdBase {
			e.ctr.kernelDrops.Store(kdPrev + d - kdBase)
		}
		cur := e.ctr.tally()
		pt := cur.since(prev, now)
		e.hist.Push(pt)
		engineRelease.received(pt.In)
		prev = cur
		dw.observe(e, cur.dropped, cur.kernelDrops)
		el := now.Sub(last)
		last = now
		for _, w := range e.workers {
			busy := w.busyNs.Swap(0)
			pct := min(float64(busy)/float64(el)*100, 100)
			w.lastPct.Store(uint64(pct * 100))
		}
		if d := e.today(); d != day {
			day = d
			select {
			case dayTick <- struct{}{}:
			default: // one pending signal is enough
			}
		}
	}
}
