package engine

import (
	"fmt"
	"time"

	"github.com/logsieve/logsieve/backend/store"
)

// batcher collects parsed chunks, in receive order, into write transactions.
type batcher struct {
	e      *Engine
	w      *store.Writer
	sink   Sink // w, or Config.Sink
	rows   []store.Row
	schema *store.Schema
	held   []*parsedChunk
	recent int // rows of the recent batches, decaying: what rows needs room for
	day    string
	spool  uint64 // highest spool position of the held chunks

	lastErr   string    // last write error reported as an event
	lastErrAt time.Time // when it was reported
}

// runBatcher runs the pipeline's last stage (the worker named "writer") until in
// is closed, then flushes what is left: it batches parsed rows into
// store.Writer.Write transactions. Chunks arrive from several parse workers out
// of order; they are put back in receive order by sequence number so rows keep
// the order they came in.
//
// dayTick signals that the engine's day changed (the clock's sampler checks
// each second): yesterday's file is closed then, even when no log comes.
func (e *Engine) runBatcher(in <-chan *parsedChunk, w *store.Writer, wst *workerStat, dayTick <-chan struct{}) {
	b := &batcher{e: e, w: w, sink: w, day: e.today()}
	if e.cfg.Sink != nil {
		b.sink = e.cfg.Sink
	}
	pending := make(map[uint64]*parsedChunk)
	var next uint64
	// timer caps how long a batch waits (FlushEvery); idle writes it as soon
	// as the senders pause (FlushIdle), so a burst's last rows, and a quiet
	// engine's rows, are stored within milliseconds, not at the cap.
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	timerOn := false
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	flush := func() {
		b.flush(wst)
		timer.Stop()
		idle.Stop()
		timerOn = false
	}
	for {
		select {
		case pc, ok := <-in:
			if !ok {
				b.flush(wst)
				return
			}
			pending[pc.seq] = pc
			for {
				p, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				if b.schema != nil && p.schema != b.schema {
					b.flush(wst)
				}
				b.schema = p.schema
				b.rows = append(b.rows, p.rows...)
				b.held = append(b.held, p)
				b.spool = max(b.spool, p.spool)
				if len(b.rows) >= e.cfg.BatchRows {
					b.flush(wst)
				}
			}
			if b.queueFull(pending, in) {
				flush()
				continue
			}
			if len(b.rows) > 0 {
				if !timerOn {
					timer.Reset(e.cfg.FlushEvery)
					timerOn = true
				}
				if e.cfg.FlushIdle < e.cfg.FlushEvery {
					idle.Reset(e.cfg.FlushIdle)
				}
			}
		case <-e.full:
			if b.queueFull(pending, in) {
				flush()
			}
		case <-timer.C:
			flush()
		case <-idle.C:
			flush()
		case <-dayTick:
			b.rollover()
		}
	}
}

// queueFull reports whether the batch should be written now because a
// connection waits for room in the queue: few more rows come until some are
// written, so the batch is about as big as it gets. A stream engine's queue
// holds two batches, and waiting for a full one left the writer idle until
// the idle timer. Either the batch holds every queued log (nothing else can
// come), or half a batch (or half the queue) with no chunk on its way: a
// full queue behind many connections must not turn into a transaction per
// arriving chunk.
func (b *batcher) queueFull(pending map[uint64]*parsedChunk, in <-chan *parsedChunk) bool {
	e := b.e
	if len(b.rows) == 0 || e.ctr.waiting.Load() == 0 {
		return false
	}
	return int64(len(b.rows)) >= e.ctr.queued.Load() ||
		len(b.rows) >= min(e.cfg.BatchRows, e.cfg.QueueLogs)/2 && len(pending) == 0 && len(in) == 0
}

func (e *Engine) today() string {
	return e.cfg.Now().In(e.cfg.Location).Format(store.DateLayout)
}

// rollover closes yesterday's file once the engine's day has changed; the store
// then indexes it in the background.
func (b *batcher) rollover() {
	today := b.e.today()
	if today == b.day {
		return
	}
	b.w.CloseDaysBefore(today)
	b.e.cfg.Log.Info("day rolled over", "engine", b.e.cfg.Name, "from", b.day, "to", today)
	b.e.events.Add(LevelInfo, "day rolled over from %s to %s", b.day, today)
	b.day = today
}

// flush writes the collected rows in one transaction per day file.
func (b *batcher) flush(wst *workerStat) {
	if len(b.rows) == 0 {
		b.release()
		return
	}
	t0 := time.Now()
	n := len(b.rows)
	accepted := 0
	if b.e.paused.Load() {
		b.e.ctr.refused.Add(uint64(n))
	} else {
		tw := time.Now()
		stored, err := b.sink.Write(b.schema, b.rows)
		b.e.ctr.writeLatency.observe(time.Since(tw))
		b.e.ctr.stored.Add(uint64(stored))
		accepted = stored
		if err != nil {
			b.e.ctr.writeErrors.Add(uint64(n - stored))
			b.e.setReason(fmt.Sprintf("write failed: %v", err))
			b.e.cfg.Log.Error("cannot write logs", "engine", b.e.cfg.Name, "rows", n-stored, "err", err)
			b.writeFailed(err, n-stored)
		} else if b.lastErr != "" {
			b.lastErr = ""
			b.e.setReason("")
			b.e.events.Add(LevelInfo, "writes succeed again")
		}
		b.e.tail.offer(b.schema, b.rows, b.e.cfg.TZName, b.e.cfg.Location)
		b.offerRows()
	}
	b.e.ctr.queued.Add(-int64(n))
	if b.spool > 0 && b.e.cfg.Sink != nil && accepted > 0 {
		b.saveSpoolMark(b.rows, accepted)
	}
	if b.spool > 0 {
		// Stored, refused or lost to a write error, these rows are accounted
		// for: their spool records may go (the mark committed with the rows
		// keeps a crash from replaying the stored ones).
		b.e.sp.Commit(b.spool)
		b.spool = 0
	}
	b.release()
	b.e.room.signal()
	wst.addBusy(time.Since(t0))
	b.rollover()
}

// release returns the written chunks to their pool and their bytes to the queue.
func (b *batcher) release() {
	var bytes int64
	for _, p := range b.held {
		bytes += p.bytes
		p.unref()
	}
	b.e.ctr.queuedBytes.Add(-bytes)
	// rows keeps room for the batches the engine has now: a burst grows it to
	// BatchRows (8,000 rows of 128 bytes), and an engine that stays at a few
	// rows a batch after it gives that room back (50 engines held 23 MB).
	b.recent = max(len(b.rows), b.recent-b.recent/8)
	if cap(b.rows) > max(4*b.recent, minBatchRoom) {
		b.rows = nil
	} else {
		clear(b.rows)
		b.rows = b.rows[:0]
	}
	// held's array must not keep the chunks: they are back in their pool,
	// which drops them after two GCs unless something still points at them
	// (50 engines kept 39 MB of chunks alive after a burst this way).
	clear(b.held)
	b.held = b.held[:0]
}

// minBatchRoom is the room in rows a batcher keeps however few its batches.
const minBatchRoom = 256

// writeFailed reports a write error as an event: a new error at once, the same
// one again at most every 10 seconds.
func (b *batcher) writeFailed(err error, lost int) {
	msg := err.Error()
	if msg == b.lastErr && time.Since(b.lastErrAt) < 10*time.Second {
		return
	}
	b.lastErr, b.lastErrAt = msg, time.Now()
	b.e.events.Add(LevelError, "write failed, %d logs lost: %s", lost, msg)
}
