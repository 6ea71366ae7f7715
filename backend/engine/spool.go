package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/logsieve/logsieve/backend/spool"
	"github.com/logsieve/logsieve/backend/store"
)

// The overflow spool (docs/reliability.md): when a udp engine's queue is
// full, the receiver appends the chunk to the spool on disk instead of
// dropping it; while the spool holds anything, every new chunk goes behind
// it, so rows keep their receive order. The drainer feeds spooled chunks
// back into the queue oldest first. Chunks enter the queue in one place
// under seqMu (enqueueLocked), which numbers them for the batcher. The
// writer commits, with each batch, the highest spool position of its rows
// (store spool mark); after a crash, records at or below the mark of their
// day are skipped and the rest replayed. In front of a Sink the mark is the
// spool's own file instead (spool_sink.go).

// spoolCounters are the spool's part of the loss accounting: logs appended,
// logs replayed after a restart, corrupt records skipped, and logs waiting
// in the spool (in flight; kept across Stop/Start: what a stop leaves is
// replayed at the next start).
type spoolCounters struct {
	spooled, replayed, corrupt atomic.Uint64
	logs                       atomic.Int64
}

const (
	// spoolEventEvery spaces out repeated spool failure events.
	spoolEventEvery = 10 * time.Second
	// spoolTidyAfter is how long the drainer waits with nothing to read
	// before it removes the drained spool's last file.
	spoolTidyAfter = time.Second
)

// openSpool opens the engine's spool when it has one (udp, SpoolDir set,
// SpoolMaxBytes > 0, and no Sink or a SpoolSink). The spool keeps its next
// segment number in a file; without it (a new or removed directory) new
// positions start above every mark of the day files, so a new record cannot
// look stored (in front of a SpoolSink they start over under a new spool id).
func (e *Engine) openSpool(w *store.Writer) (*spool.Spool, error) {
	if e.cfg.Protocol != "udp" || e.cfg.SpoolDir == "" || e.cfg.SpoolMaxBytes <= 0 {
		return nil, nil
	}
	opt := spool.Options{
		MaxBytes:     e.cfg.SpoolMaxBytes,
		SegmentBytes: e.cfg.SpoolSegmentBytes,
		WriteFault:   e.cfg.SpoolFault,
		OnCorrupt: func(file string, off int64, reason string) {
			e.spc.corrupt.Add(1)
			e.events.Add(LevelError, "spool: %s in %s at byte %d; the rest of that segment is skipped", reason, file, off)
		},
	}
	ss, toSink := e.spoolSink()
	switch {
	case toSink:
		// The mark is the spool's own (spool_sink.go); a new directory has a
		// new id, so its positions may start over.
	case e.cfg.Sink != nil:
		e.events.Add(LevelInfo, "spool: off (this sink cannot take replayed rows; a full queue drops)")
		return nil, nil
	default:
		e.spoolDays = w.Days()
		opt.After = func() (uint64, error) {
			return e.spoolDays.MaxSpoolMark(context.Background())
		}
	}
	if e.cfg.SpoolOrphans != "" {
		o, err := spool.Claim(e.cfg.SpoolDir, e.cfg.SpoolOrphans, e.cfg.SpoolOwner)
		if o != nil {
			e.cfg.Log.Warn("spool: a spool left by an earlier engine of this name was moved aside, not replayed",
				"engine", e.cfg.Name, "path", o.Path, "bytes", o.Bytes)
			e.events.Add(LevelWarning, "spool: %d bytes left by an earlier engine of this name moved to %s, not replayed", o.Bytes, o.Path)
			// What this engine's earlier run left there is not its own.
			e.spc.logs.Store(0)
		}
		if err != nil {
			return nil, err
		}
	}
	sp, err := spool.Open(e.cfg.SpoolDir, opt)
	if err != nil {
		return nil, err
	}
	if toSink {
		ss.SetSpool(sp.ID())
	}
	if sp.Empty() {
		// Logs left in the spool by an earlier run of this engine are gone
		// (the directory was removed while it was stopped).
		if lost := e.spc.logs.Swap(0); lost > 0 {
			e.ctr.dropped.Add(uint64(lost))
			e.events.Add(LevelError, "spool: %d logs left in the spool are gone (counted as dropped)", lost)
		}
	} else {
		e.events.Add(LevelInfo, "spool: %d bytes left by the last run are replayed", sp.Bytes())
	}
	return sp, nil
}

// admitLocked puts c in the queue, or behind the spool when the queue is
// full or the spool is not empty, or drops it (spool full, write error,
// engine paused by the disk guard). seqMu is held.
func (e *Engine) admitLocked(c *chunk, out *chunkQueue) {
	n := len(c.ends)
	if !e.spoolBusy && e.sp.Empty() && e.enqueueLocked(c, out, false) {
		return
	}
	switch {
	case e.paused.Load():
		// The disk guard paused storing: do not fill the disk further.
		e.ctr.dropped.Add(uint64(n))
	default:
		e.spoolBuf = encodeChunk(e.spoolBuf[:0], c)
		if _, err := e.sp.Append(e.spoolBuf); err != nil {
			e.ctr.dropped.Add(uint64(n))
			e.spoolFailed(err)
			break
		}
		e.spc.spooled.Add(uint64(n))
		e.spc.logs.Add(int64(n))
		select {
		case e.spoolWake <- struct{}{}:
		default:
		}
	}
	putChunk(c)
}

// enqueueLocked numbers c and sends it to the parse workers if the queue has
// room (always when force: the drainer waited for room). seqMu is held.
func (e *Engine) enqueueLocked(c *chunk, out *chunkQueue, force bool) bool {
	n, size := int64(len(c.ends)), int64(len(c.buf))
	if !force && (e.ctr.queued.Load()+n > int64(e.cfg.QueueLogs) || e.ctr.queuedBytes.Load()+size > int64(e.cfg.QueueBytes)) {
		return false
	}
	// queued is raised before the send so the writer never sees it negative.
	e.ctr.queued.Add(n)
	e.ctr.queuedBytes.Add(size)
	c.seq = e.seq
	if !out.tryPush(c) {
		e.ctr.queued.Add(-n)
		e.ctr.queuedBytes.Add(-size)
		return false
	}
	e.seq++
	return true
}

// spoolFailed reports a failed append as an event, the same error at most
// every spoolEventEvery.
func (e *Engine) spoolFailed(err error) {
	msg := err.Error()
	if errors.Is(err, spool.ErrFull) {
		msg = fmt.Sprintf("spool is full (spool_max_bytes %d)", e.cfg.SpoolMaxBytes)
	}
	now := time.Now()
	if msg == e.spoolErr && now.Sub(e.spoolErrAt) < spoolEventEvery {
		return
	}
	e.spoolErr, e.spoolErrAt = msg, now
	e.events.Add(LevelError, "spool: %s; logs are dropped (and counted) until it has room", msg)
}

// drain feeds spooled chunks into the queue, oldest first, until stop is
// closed; what is still spooled then stays for the next start.
func (e *Engine) drain(out *chunkQueue, stop <-chan struct{}) {
	dates := map[string]uint64{} // spool marks of the days of replayed records
	for {
		e.seqMu.Lock()
		rec, ok := e.sp.Next()
		var c *chunk
		if ok {
			c = getChunk()
			if err := decodeChunk(c, rec.Data); err != nil {
				// The checksum held, so this is a bug or a foreign file.
				e.events.Add(LevelError, "spool: record %x cannot be decoded: %v", rec.Pos, err)
				putChunk(c)
				c = nil
			} else {
				e.spoolBusy = true
			}
		}
		e.seqMu.Unlock()
		if !ok {
			// Idle: once the last records are committed, Tidy removes the
			// spool's last file.
			var tidy <-chan time.Time
			if e.sp.Bytes() > 0 {
				tidy = time.After(spoolTidyAfter)
			}
			select {
			case <-e.spoolWake:
			case <-tidy:
				e.sp.Tidy()
			case <-stop:
				return
			}
			continue
		}
		if c == nil {
			e.sp.Commit(rec.Pos)
			continue
		}
		c.spoolPos = rec.Pos
		if rec.Old && e.committed(dates, c, rec.Pos) {
			e.seqMu.Lock()
			e.spoolBusy = false
			e.seqMu.Unlock()
			putChunk(c)
			e.sp.Commit(rec.Pos)
			continue
		}
		if !e.waitRoom(c, out, stop, rec.Old) {
			// Stopping: the record stays in the spool for the next start.
			putChunk(c)
			return
		}
	}
}

// waitRoom waits until the queue has room for c and enqueues it; false when
// stop came first. Its logs then move from the spool's in-flight count to
// the queue's; those of an old record (spooled before this start) are
// counted as replayed, and as received unless this engine spooled them
// before a Stop.
func (e *Engine) waitRoom(c *chunk, out *chunkQueue, stop <-chan struct{}, old bool) bool {
	n, size := int64(len(c.ends)), int64(len(c.buf))
	for {
		room := e.room.wait()
		q, qb := e.ctr.queued.Load(), e.ctr.queuedBytes.Load()
		if q == 0 || q+n <= int64(e.cfg.QueueLogs) && qb+size <= int64(e.cfg.QueueBytes) {
			e.seqMu.Lock()
			ok := e.enqueueLocked(c, out, true)
			if ok {
				e.spoolBusy = false
				if left := e.spc.logs.Add(-n); left < 0 && old {
					e.spc.logs.Add(n)
					e.ctr.received.Add(uint64(n))
				}
				if old {
					e.spc.replayed.Add(uint64(n))
				}
			}
			e.seqMu.Unlock()
			if ok {
				return true
			}
		}
		select {
		case <-room:
		case <-time.After(10 * time.Millisecond): // the queue was full in chunks
		case <-stop:
			return false
		}
	}
}

// committed reports whether the record at pos, spooled before this run,
// is already stored: at or below the spool mark of its day file (of the
// spool itself in front of a Sink).
func (e *Engine) committed(dates map[string]uint64, c *chunk, pos uint64) bool {
	if e.cfg.Sink != nil {
		return pos <= e.sp.Mark() // handed on (spool_sink.go)
	}
	date := time.Unix(0, c.at).In(e.cfg.Location).Format(store.DateLayout)
	mark, ok := dates[date]
	if !ok {
		var err error
		if mark, err = e.spoolDays.SpoolMark(context.Background(), date); err != nil {
			e.cfg.Log.Warn("cannot read a spool mark; replaying", "engine", e.cfg.Name, "date", date, "err", err)
		}
		dates[date] = mark
	}
	return pos <= mark
}

// encodeChunk appends c to b as a spool record: receive time, datagram count,
// then per datagram its sender (length-prefixed address bytes) and its bytes.
func encodeChunk(b []byte, c *chunk) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(c.at))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.ends)))
	start := 0
	for i, end := range c.ends {
		a := c.addrs[i].AsSlice()
		b = append(b, byte(len(a)))
		b = append(b, a...)
		b = binary.LittleEndian.AppendUint32(b, uint32(end-start))
		b = append(b, c.buf[start:end]...)
		start = end
	}
	return b
}

var errBadRecord = errors.New("malformed spool record")

// decodeChunk fills c from a record of encodeChunk (copying the bytes).
func decodeChunk(c *chunk, b []byte) error {
	if len(b) < 12 {
		return errBadRecord
	}
	c.at = int64(binary.LittleEndian.Uint64(b))
	n := int(binary.LittleEndian.Uint32(b[8:]))
	b = b[12:]
	if n == 0 || n > len(b) {
		return errBadRecord
	}
	for range n {
		if len(b) < 1 {
			return errBadRecord
		}
		al := int(b[0])
		if al != 0 && al != 4 && al != 16 || len(b) < 1+al+4 {
			return errBadRecord
		}
		a, _ := netip.AddrFromSlice(b[1 : 1+al])
		b = b[1+al:]
		dl := int(binary.LittleEndian.Uint32(b))
		b = b[4:]
		if dl > len(b) {
			return errBadRecord
		}
		c.buf = append(c.buf, b[:dl]...)
		c.ends = append(c.ends, len(c.buf))
		c.addrs = append(c.addrs, a)
		b = b[dl:]
	}
	if len(b) != 0 {
		return errBadRecord
	}
	return nil
}
