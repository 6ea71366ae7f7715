package cluster

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logsieve/logsieve/backend/spool"
)

// The unacked spool (docs/cluster.md): while JetStream acks nothing (a
// stream leader's election takes 4-9 s, NATS may be gone for longer), the
// rows an ingest node accepted sit in its memory, and a kill loses them. A
// message not acked within Config.UnackedAfter is therefore written, as
// sent (its batch id and bytes), to a spool on disk of its own,
// <DataDir>/cluster/unacked/<engine>, and the engine's Write returns: the
// rows are accepted. While that spool holds a message not yet acked, every
// new message goes behind it without waiting, so the engine's queue drains
// to disk instead of filling. A goroutine publishes the spool's messages,
// oldest first, under their ids; once acked, the highest position is saved
// in the spool's mark (fsynced) and the segments go. After a kill the next
// start publishes what is above the mark again under the same ids: the
// stream's duplicate window, or past it the store nodes' claims and batch
// tables, drop a copy of a message that was acked just before the kill.

// unackedBatch is how many spooled messages are sent at once (their acks
// awaited together) and marked with one fsync.
const unackedBatch = 256

// unacked is one engine's unacked spool.
type unacked struct {
	s  *EngineSink
	sp *spool.Spool

	mu       sync.Mutex // add, and the sender's read of the spool
	inflight int        // messages read by the sender, not yet acked

	rows atomic.Int64 // rows in the spool not yet acked
	wake chan struct{}
	done chan struct{}
}

// openUnacked opens the engine's unacked spool and starts its sender;
// what an earlier run left above the mark is published first.
func openUnacked(s *EngineSink, dir string, maxBytes int64) (*unacked, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sp, err := spool.Open(dir, spool.Options{MaxBytes: maxBytes})
	if err != nil {
		return nil, err
	}
	u := &unacked{s: s, sp: sp, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go u.run()
	return u, nil
}

func unackedDir(dataDir, engine string) string {
	return filepath.Join(dataDir, "cluster", "unacked", engine)
}

// busy reports whether the spool holds messages not yet acked: new ones
// then go behind them.
func (u *unacked) busy() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.inflight > 0 || !u.sp.Empty()
}

// add writes a message of n rows under id to the spool (one write(2):
// it survives a kill of the process).
func (u *unacked) add(id string, data []byte, n int) error {
	rec := make([]byte, 0, 6+len(id)+len(data))
	rec = binary.LittleEndian.AppendUint32(rec, uint32(n))
	rec = binary.LittleEndian.AppendUint16(rec, uint16(len(id)))
	rec = append(rec, id...)
	rec = append(rec, data...)
	u.mu.Lock()
	_, err := u.sp.Append(rec)
	u.mu.Unlock()
	if err != nil {
		return err
	}
	u.rows.Add(int64(n))
	select {
	case u.wake <- struct{}{}:
	default:
	}
	return nil
}

var errBadUnacked = errors.New("malformed unacked spool record")

func decodeUnacked(b []byte) (id string, data []byte, n int, err error) {
	if len(b) < 6 {
		return "", nil, 0, errBadUnacked
	}
	n = int(binary.LittleEndian.Uint32(b))
	l := int(binary.LittleEndian.Uint16(b[4:]))
	if len(b) < 6+l {
		return "", nil, 0, errBadUnacked
	}
	return string(b[6 : 6+l]), b[6+l:], n, nil
}

// run publishes the spool's messages until the publisher stops retrying;
// what is not acked then stays for the next start.
func (u *unacked) run() {
	defer close(u.done)
	p := u.s.p
	var buf []byte
	var msgs []spoolMsg
	var poss []uint64
	for {
		buf, msgs, poss = buf[:0], msgs[:0], poss[:0]
		u.mu.Lock()
		for len(msgs) < unackedBatch && len(buf) < 8<<20 {
			rec, ok := u.sp.Next()
			if !ok {
				break
			}
			if rec.Old && rec.Pos <= u.sp.Mark() {
				u.sp.Commit(rec.Pos) // acked before the last stop
				continue
			}
			id, data, n, err := decodeUnacked(rec.Data)
			if err != nil {
				p.n.cfg.Log.Error("unacked spool: a record cannot be decoded; skipped", "subject", u.s.subject, "pos", rec.Pos, "err", err)
				u.sp.Commit(rec.Pos)
				continue
			}
			if rec.Old {
				u.rows.Add(int64(n))
			}
			start := len(buf)
			buf = append(buf, data...)
			msgs = append(msgs, spoolMsg{id: id, start: start, end: len(buf), rows: n})
			poss = append(poss, rec.Pos)
		}
		u.inflight = len(msgs)
		u.mu.Unlock()
		if len(msgs) == 0 {
			var tidy <-chan time.Time
			if u.sp.Bytes() > 0 {
				tidy = time.After(time.Second)
			}
			select {
			case <-u.wake:
			case <-tidy:
				u.mu.Lock()
				u.sp.Tidy()
				u.mu.Unlock()
			case <-u.s.ctx.Done():
				return
			}
			continue
		}
		acked := u.s.publishAll(buf, msgs)
		for i, m := range msgs {
			if !acked[i] {
				if err := u.s.send(m.id, buf[m.start:m.end], m.rows, false); err != nil {
					return // stopping: the spool keeps them
				}
			}
		}
		last := poss[len(poss)-1]
		if err := u.sp.SaveMark(last); err != nil {
			// The records stay above the mark: a kill now replays them,
			// and the copies are dropped downstream.
			p.n.cfg.Log.Error("unacked spool: cannot save the mark", "subject", u.s.subject, "err", err)
		}
		rows := 0
		for _, m := range msgs {
			rows += m.rows
		}
		u.mu.Lock()
		u.sp.Commit(last)
		u.inflight = 0
		u.mu.Unlock()
		u.rows.Add(-int64(rows))
	}
}

// close waits for the sender (the publisher stopped retrying) and closes
// the spool; what it holds stays for the next start.
func (u *unacked) close() error {
	<-u.done
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sp.Close()
}
