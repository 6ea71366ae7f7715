package engine

import (
	"github.com/logsieve/logsieve/backend/store"
)

// RowSink takes batches of parsed rows off the engine's path (alert
// evaluation). OfferRows must not block: it queues the batch or returns false
// (no use for it, or its queue is full); a batch it took must be released
// with Release once read.
type RowSink interface {
	OfferRows(b *RowBatch) bool
}

// RowBatch is the rows of one write batch of an engine, all of one schema.
// Its rows are shared with the engine's pools until Release.
type RowBatch struct {
	Engine string
	TZName string // the engine's timezone (column time_zone)
	Schema *store.Schema
	chunks []*parsedChunk
}

// Len returns the number of rows.
func (b *RowBatch) Len() int {
	n := 0
	for _, c := range b.chunks {
		n += len(c.rows)
	}
	return n
}

// Each calls fn with every row, in receive order, until fn returns false.
func (b *RowBatch) Each(fn func(r *store.Row) bool) {
	for _, c := range b.chunks {
		for i := range c.rows {
			if !fn(&c.rows[i]) {
				return
			}
		}
	}
}

// Release hands the rows back to the engine; the batch must not be read after.
func (b *RowBatch) Release() {
	for _, c := range b.chunks {
		c.unref()
	}
	b.chunks = nil
}

// sinkBox holds the engine's sink (an atomic.Pointer needs a concrete type).
type sinkBox struct{ s RowSink }

// SetRowSink makes s receive every written batch from now on (nil: none).
func (e *Engine) SetRowSink(s RowSink) {
	if s == nil {
		e.sink.Store(nil)
		return
	}
	e.sink.Store(&sinkBox{s})
}

// offerRows hands the held chunks to the sink, if any, sharing them.
func (b *batcher) offerRows() {
	box := b.e.sink.Load()
	if box == nil || len(b.held) == 0 {
		return
	}
	rb := &RowBatch{Engine: b.e.cfg.Name, TZName: b.e.cfg.TZName, Schema: b.schema, chunks: append([]*parsedChunk(nil), b.held...)}
	for _, c := range rb.chunks {
		c.refs.Add(1)
	}
	if !box.s.OfferRows(rb) {
		for _, c := range rb.chunks {
			c.refs.Add(-1)
		}
	}
}

// NewRowBatch returns a batch of rows that no engine wrote (benchmarks and
// tests of a sink); its Release only drops the rows.
func NewRowBatch(engine, tz string, s *store.Schema, rows []store.Row) *RowBatch {
	pc := &parsedChunk{rows: rows}
	pc.refs.Store(1 << 30) // never back to the pool
	return &RowBatch{Engine: engine, TZName: tz, Schema: s, chunks: []*parsedChunk{pc}}
}
