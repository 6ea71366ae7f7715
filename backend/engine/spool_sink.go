package engine

import (
	"errors"

	"github.com/logsieve/logsieve/backend/store"
)

// The overflow spool in front of a Sink (a cluster ingest node,
// docs/cluster.md). A Sink writes no day file, so the mark of what is done
// cannot be committed with the rows: it is the spool's own mark file
// (spool.SaveMark), saved, fsynced, after the Sink accepted the rows of a
// batch, and a crash replays the records above it. A record accepted just
// before the crash and not yet marked is handed to the Sink again: only a
// SpoolSink, which names what it hands on after the spool's id and the
// record's position (the same names at every replay), lets the other side
// drop that copy. A plain Sink gets no spool.

// SpoolSink is a Sink that takes rows replayed from the engine's overflow
// spool (Row.SpoolPos > 0) and hands them on under names made of the spool's
// id and their position only, so that rows handed on again after a crash
// are recognised as copies downstream.
type SpoolSink interface {
	Sink
	// SetSpool gives the id of the engine's spool directory (spool.ID);
	// called at each start, before any Write of spooled rows.
	SetSpool(id string)
}

// spoolSink returns the engine's Sink as a SpoolSink; false when the
// engine has no Sink (day files) or one that cannot take spooled rows.
func (e *Engine) spoolSink() (SpoolSink, bool) {
	ss, ok := e.cfg.Sink.(SpoolSink)
	return ss, ok
}

// saveSpoolMark records, after the Sink accepted rows[:accepted], the
// highest spool position among them: a crash then replays only what
// follows. A failure is an event; the records stay above the mark and are
// replayed (and dropped as copies downstream) after a crash.
func (b *batcher) saveSpoolMark(rows []store.Row, accepted int) {
	var mark uint64
	for i := range rows[:accepted] {
		mark = max(mark, rows[i].SpoolPos)
	}
	if mark == 0 {
		return
	}
	if err := b.e.sp.SaveMark(mark); err != nil {
		b.e.spoolFailed(errors.Join(errors.New("cannot save the spool mark"), err))
	}
}
