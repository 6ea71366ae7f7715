package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logsieve/logsieve/backend/spool"
	"github.com/logsieve/logsieve/backend/store"
)

// Publisher sends the engines' batches to the stream (ingest roles).
type Publisher struct {
	n    *Node
	boot string // random per process: batch ids never repeat across restarts
	seq  atomic.Uint64

	ctx    context.Context // ends when publishes stop retrying
	cancel context.CancelFunc

	mu    sync.Mutex
	sinks map[string]*EngineSink
	lost  chan struct{} // closed when the connection is lost, then replaced

	batches, rows, retries, dups atomic.Uint64
	waiting                      atomic.Int64 // rows of publishes not yet acked
}

func newPublisher(n *Node) *Publisher {
	var b [6]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := context.WithCancel(context.Background())
	return &Publisher{n: n, boot: hex.EncodeToString(b[:]), ctx: ctx, cancel: cancel, sinks: map[string]*EngineSink{},
		lost: make(chan struct{})}
}

// connectionLost ends the publish attempts waiting for an ack: the server
// they went to is gone, so they are retried (same id) at once instead of
// after PublishWait, while the engine's queue fills.
func (p *Publisher) connectionLost() {
	p.mu.Lock()
	close(p.lost)
	p.lost = make(chan struct{})
	p.mu.Unlock()
}

// lostSignal returns the channel the next connection loss closes.
func (p *Publisher) lostSignal() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost
}

func (p *Publisher) stopRetrying() { p.cancel() }

// sink returns engine's sink, one per engine name and owner (the engine
// definition's spool id, spool.Claim): a sink of an earlier definition of
// the engine is retired first (its unacked sender stopped, its spool
// closed), and an unacked spool of another owner is moved to
// <DataDir>/cluster/unacked/_orphaned/ and reported to orphaned (when set),
// not published.
func (p *Publisher) sink(engine, owner string, orphaned func(path string, bytes int64)) *EngineSink {
	p.mu.Lock()
	old := p.sinks[engine]
	if old != nil && old.owner == owner {
		p.mu.Unlock()
		return old
	}
	delete(p.sinks, engine)
	p.mu.Unlock()
	if old != nil {
		old.retire()
	}
	s := &EngineSink{p: p, subject: SubjectPrefix + engine, owner: owner}
	s.ctx, s.cancel = context.WithCancel(p.ctx)
	cfg := p.n.cfg
	if cfg.UnackedAfter > 0 && cfg.DataDir != "" {
		dir := unackedDir(cfg.DataDir, engine)
		o, err := spool.Claim(dir, filepath.Join(cfg.DataDir, "cluster", "unacked", spool.OrphanedDir), owner)
		if o != nil {
			cfg.Log.Warn("unacked spool: a spool left by an earlier engine of this name was moved aside, not published",
				"engine", engine, "path", o.Path, "bytes", o.Bytes)
			if orphaned != nil {
				orphaned(o.Path, o.Bytes)
			}
		}
		var u *unacked
		if err == nil {
			u, err = openUnacked(s, dir, cfg.UnackedMaxBytes)
		}
		if err != nil {
			cfg.Log.Error("cannot open the unacked spool; unacked rows stay in memory", "engine", engine, "err", err)
		} else {
			s.unacked = u
		}
	}
	p.mu.Lock()
	p.sinks[engine] = s
	p.mu.Unlock()
	return s
}

// retire stops the sink of an engine definition that is gone: its unacked
// sender stops (what it holds stays on disk) and its spool is closed.
func (s *EngineSink) retire() {
	s.cancel()
	if s.unacked != nil {
		if err := s.unacked.close(); err != nil {
			s.p.n.cfg.Log.Warn("cannot close the unacked spool", "subject", s.subject, "err", err)
		}
	}
}

// purgeUnacked deletes the unacked spool of engine: its sink is retired
// first (the engine is gone).
func (p *Publisher) purgeUnacked(engine string) error {
	p.mu.Lock()
	old := p.sinks[engine]
	delete(p.sinks, engine)
	p.mu.Unlock()
	if old != nil {
		old.retire()
	}
	if p.n.cfg.DataDir == "" {
		return nil
	}
	return os.RemoveAll(unackedDir(p.n.cfg.DataDir, engine))
}

// close retires every sink (after stopRetrying): the unacked spools'
// senders stop and the spools are closed.
func (p *Publisher) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sinks {
		s.retire()
	}
}

// EngineSink publishes one engine's batches; it is the engine's Sink on an
// ingest node. One Write at a time (the engine's batcher).
type EngineSink struct {
	p       *Publisher
	subject string
	owner   string // the engine definition's spool id (sink)
	// ctx ends at shutdown or when the sink is retired (its engine
	// definition is gone): retries and the unacked sender stop.
	ctx     context.Context
	cancel  context.CancelFunc
	buf     []byte
	spoolID atomic.Pointer[string] // SetSpool
	unacked *unacked               // nil: unacked rows stay in memory (unacked.go)

	spoolMsgs []spoolMsg // writeSpooled's, reused
}

// spoolPartBytes is the most a message of a spooled record holds (less when
// the server's max_payload is smaller): a fixed cut, so a record replayed
// after a restart is cut into the same parts under the same ids.
const spoolPartBytes = 512 << 10

// SetSpool gives the id of the engine's overflow spool: rows replayed from
// it (store.Row.SpoolPos) are published under ids made of the node, this
// id and their position (spool_ids.go). It makes EngineSink an
// engine.SpoolSink.
func (s *EngineSink) SetSpool(id string) { s.spoolID.Store(&id) }

// Write publishes rows as one or more messages (each under the server's
// largest payload) and returns once JetStream acked them: only then are the
// rows accepted. Rows from the engine's spool go one spool record to a
// message (or several, cut at spoolPartBytes) under an id derived from the
// record's position; the others under a new batch id. While NATS cannot be
// reached it retries the same message (the id lets JetStream drop a copy it
// already has), until an ack or StopRetrying; the rows it gave up on are the
// difference between len(rows) and the count returned.
func (s *EngineSink) Write(sc *store.Schema, rows []store.Row) (int, error) {
	limit := int(s.p.n.nc.MaxPayload()) - 4<<10
	if limit < 64<<10 {
		limit = 64 << 10
	}
	var spoolID string
	if id := s.spoolID.Load(); id != nil {
		spoolID = *id
	}
	done := 0
	for done < len(rows) {
		// A run of rows of one spool record, or of no record.
		pos := rows[done].SpoolPos
		if spoolID == "" {
			pos = 0
		}
		end := done + 1
		for end < len(rows) && (rows[end].SpoolPos == pos || spoolID == "") {
			end++
		}
		var n int
		var err error
		if pos == 0 {
			n, err = s.writeRun(sc, rows[done:end], limit, nil)
		} else {
			// Every spooled row that follows: their records are published
			// together (publisher_spool.go).
			for end < len(rows) && rows[end].SpoolPos != 0 {
				end++
			}
			n, err = s.writeSpooled(sc, rows[done:end], min(limit, spoolPartBytes), spoolID)
		}
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// writeRun publishes rows in messages of at most limit bytes (a row bigger
// than that alone), the i-th under name(i), or a new batch id when name is
// nil.
func (s *EngineSink) writeRun(sc *store.Schema, rows []store.Row, limit int, name func(part int) string) (int, error) {
	done := 0
	for part := 0; done < len(rows); part++ {
		s.buf = encodeHeader(s.buf[:0], sc)
		n := 0
		for done+n < len(rows) {
			mark := len(s.buf)
			s.buf = encodeRow(s.buf, &rows[done+n], sc.KeepOriginal)
			if len(s.buf) > limit && n > 0 {
				s.buf = s.buf[:mark] // the row starts the next message
				break
			}
			n++
		}
		p := s.p
		id := ""
		if name != nil {
			id = name(part)
		} else {
			id = p.n.cfg.Node + "-" + p.boot + "-" + strconv.FormatUint(p.seq.Add(1), 10)
		}
		if err := s.publish(id, s.buf, n); err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

// publishPause is the most a publish attempt that failed at once (no
// stream leader yet, not connected) waits before the next one.
const publishPause = 250 * time.Millisecond

// publish sends one message of n rows until JetStream acks it. An attempt
// waits PublishWait for its ack: a message that went to a stream leader
// that died is never answered, and a new leader is elected 4-9 s after
// (raft election timeout), so a short wait sends it again (same id: the
// stream keeps one copy) soon after the new leader is there. An attempt
// that waited out its ack, or whose connection was lost (the client sends
// it again once reconnected), is sent again at once; one that failed at once
// waits min(RetryEvery, publishPause) first.
//
// With an unacked spool (unacked.go), a message is written there and
// accepted instead once it has waited Config.UnackedAfter, or at once while
// the spool holds messages not yet acked; it is sent and retried as above
// when the spool is full or cannot be written.
func (s *EngineSink) publish(id string, data []byte, n int) error {
	if u := s.unacked; u != nil && u.busy() {
		if err := u.add(id, data, n); err == nil {
			return nil
		}
	}
	return s.send(id, data, n, s.unacked != nil)
}

// send is publish's retry loop; with spill, a message not acked after
// Config.UnackedAfter goes to the unacked spool (when it can take it).
func (s *EngineSink) send(id string, data []byte, n int, spill bool) error {
	p := s.p
	start := time.Now()
	msg := &nats.Msg{Subject: s.subject, Data: data, Header: nats.Header{}}
	p.waiting.Add(int64(n))
	defer p.waiting.Add(-int64(n))
	for attempt := 1; ; attempt++ {
		lost := p.lostSignal()
		ctx, cancel := context.WithTimeout(s.ctx, p.n.cfg.PublishWait)
		var lostConn atomic.Bool
		go func() {
			select {
			case <-lost:
				lostConn.Store(true)
				cancel()
			case <-ctx.Done():
			}
		}()
		ack, err := p.n.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id))
		cancel()
		if err == nil {
			p.batches.Add(1)
			p.rows.Add(uint64(n))
			if ack.Duplicate {
				p.dups.Add(1)
			}
			return nil
		}
		p.retries.Add(1)
		if spill && time.Since(start) >= p.n.cfg.UnackedAfter {
			if s.unacked.add(id, data, n) == nil {
				return nil
			}
			spill = false // full: wait for the ack as without a spool
		}
		if attempt == 1 || attempt%30 == 0 {
			p.n.cfg.Log.Warn("cannot publish a batch to NATS; retrying", "subject", s.subject, "batch", id, "rows", n, "attempt", attempt, "err", err)
		}
		pause := min(p.n.cfg.RetryEvery, publishPause)
		if lostConn.Load() || errors.Is(err, context.DeadlineExceeded) {
			pause = 0
		}
		select {
		case <-s.ctx.Done():
			return fmt.Errorf("cannot publish batch %q of %d rows to %q: gave up at shutdown: %w", id, n, s.subject, err)
		case <-time.After(pause):
		}
	}
}

// Stats are a node's cluster counters.
type Stats struct {
	Node string `json:"node"`
	Role string `json:"role"`
	// Addr is the URL where the other nodes reach this node's HTTP API
	// (serve --advertise); empty while unknown.
	Addr string `json:"addr,omitempty"`
	// Ingest: batches and rows acked by JetStream, publish attempts that
	// failed (each retried), rows waiting for an ack now, batches JetStream
	// acked as copies of one it had (a spool record replayed after a crash,
	// a retry whose first attempt had gone through).
	PublishedBatches  uint64 `json:"published_batches"`
	PublishedRows     uint64 `json:"published_rows"`
	PublishRetries    uint64 `json:"publish_retries"`
	WaitingRows       int64  `json:"waiting_rows"`
	PublishDuplicates uint64 `json:"publish_duplicates"`
	// UnackedSpooledRows: rows written to the unacked spools on disk
	// (unacked.go) and not acked yet.
	UnackedSpooledRows int64 `json:"unacked_spooled_rows"`
	// Store: batches and rows committed, rows of redelivered batches found
	// already stored, batches left for the node that claimed them, write
	// failures (the batch is delivered again).
	StoredBatches    uint64 `json:"stored_batches"`
	StoredRows       uint64 `json:"stored_rows"`
	DuplicateRows    uint64 `json:"duplicate_rows"`
	ClaimedElsewhere uint64 `json:"claimed_elsewhere"`
	StoreErrors      uint64 `json:"store_errors"`
}

func (p *Publisher) stats() Stats {
	var spooled int64
	p.mu.Lock()
	for _, s := range p.sinks {
		if s.unacked != nil {
			spooled += s.unacked.rows.Load()
		}
	}
	p.mu.Unlock()
	return Stats{UnackedSpooledRows: spooled, Node: p.n.cfg.Node, Role: p.n.cfg.Role,
		PublishedBatches: p.batches.Load(), PublishedRows: p.rows.Load(),
		PublishRetries: p.retries.Load(), WaitingRows: p.waiting.Load(), PublishDuplicates: p.dups.Load()}
}
