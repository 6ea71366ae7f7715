package cluster

import (
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logsieve/logsieve/backend/store"
)

// spoolMsg is one message of spooled rows: its id and rows, and where its
// bytes are in the buffer of its writeSpooled call.
type spoolMsg struct {
	id         string
	start, end int
	rows       int
}

// writeSpooled publishes rows replayed from the engine's spool, one
// message per spool record (parts of at most limit bytes for a big one),
// each under the id of its position (spoolBatchID). A drain is made of many
// small records, so their messages are sent at once and their acks awaited
// together; a message not acked then is published again alone, in order,
// under the same id, until an ack or StopRetrying. It returns the rows of
// the leading messages acked.
func (s *EngineSink) writeSpooled(sc *store.Schema, rows []store.Row, limit int, spoolID string) (int, error) {
	node := s.p.n.cfg.Node
	// A buffer of this call's own: a message whose ack did not come in time
	// may still be sent again by the client (no responders) after we return.
	buf := make([]byte, 0, 128*len(rows))
	msgs := s.spoolMsgs[:0]
	for i := 0; i < len(rows); {
		pos := rows[i].SpoolPos
		for part := 0; i < len(rows) && rows[i].SpoolPos == pos; part++ {
			start := len(buf)
			buf = encodeHeader(buf, sc)
			n := 0
			for i+n < len(rows) && rows[i+n].SpoolPos == pos {
				mark := len(buf)
				buf = encodeRow(buf, &rows[i+n], sc.KeepOriginal)
				if len(buf)-start > limit && n > 0 {
					buf = buf[:mark] // the row starts the next part
					break
				}
				n++
			}
			msgs = append(msgs, spoolMsg{id: spoolBatchID(node, spoolID, pos, part), start: start, end: len(buf), rows: n})
			i += n
		}
	}
	s.spoolMsgs = msgs
	var acked []bool
	if u := s.unacked; u != nil && u.busy() {
		acked = make([]bool, len(msgs)) // behind the unacked spool (publish)
	} else {
		acked = s.publishAll(buf, msgs)
	}
	done := 0
	for i, m := range msgs {
		if !acked[i] {
			if err := s.publish(m.id, buf[m.start:m.end], m.rows); err != nil {
				return done, err
			}
		}
		done += m.rows
	}
	return done, nil
}

// publishAll sends msgs without waiting, then waits for their acks until
// 5×PublishWait (all of them share it) passes or the connection is lost; it
// reports which were acked.
func (s *EngineSink) publishAll(buf []byte, msgs []spoolMsg) []bool {
	p := s.p
	acked := make([]bool, len(msgs))
	futs := make([]jetstream.PubAckFuture, 0, len(msgs))
	total := 0
	for _, m := range msgs {
		msg := &nats.Msg{Subject: s.subject, Data: buf[m.start:m.end], Header: nats.Header{}}
		f, err := p.n.js.PublishMsgAsync(msg, jetstream.WithMsgID(m.id))
		if err != nil {
			p.retries.Add(1)
			break // the rest go one by one
		}
		futs = append(futs, f)
		total += m.rows
	}
	p.waiting.Add(int64(total))
	defer p.waiting.Add(-int64(total))
	lost := p.lostSignal()
	wait := time.NewTimer(5 * p.n.cfg.PublishWait)
	defer wait.Stop()
	expired := false
	for i, f := range futs {
		var ack *jetstream.PubAck
		if expired {
			select {
			case ack = <-f.Ok():
			default:
			}
		} else {
			select {
			case ack = <-f.Ok():
			case <-f.Err():
			case <-wait.C:
				expired = true
			case <-lost:
				expired = true
			case <-s.ctx.Done():
				expired = true
			}
		}
		if ack == nil {
			p.retries.Add(1)
			continue
		}
		acked[i] = true
		p.batches.Add(1)
		p.rows.Add(uint64(msgs[i].rows))
		if ack.Duplicate {
			p.dups.Add(1)
		}
	}
	return acked
}
