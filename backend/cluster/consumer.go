package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logsieve/logsieve/backend/store"
)

// DaysFunc returns the day files and the timezone of an engine defined on
// this node (a factory's); an error when there is no such engine.
type DaysFunc func(engine string) (*store.Days, *time.Location, error)

// consumer writes the stream's batches into this node's day files (store
// roles), sharing the durable consumer with the other store nodes.
type consumer struct {
	n       *Node
	days    DaysFunc
	cancel  context.CancelFunc
	done    chan struct{}
	writers map[string]*engineWriter // loop goroutine only

	batches, rows, dups, elsewhere, errs atomic.Uint64
}

// engineWriter is the writer of one engine's day files on this node.
type engineWriter struct {
	w   *store.Writer
	ds  *store.Days
	loc *time.Location
	day string
}

// StartStore starts consuming batches into the day files that days names
// (store roles). Close stops it.
func (n *Node) StartStore(ctx context.Context, days DaysFunc) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cons, err := n.stream.CreateOrUpdateConsumer(cctx, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "logsieve store nodes",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       n.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 256,
		FilterSubject: SubjectPrefix + ">",
	})
	if err != nil {
		return fmt.Errorf("cannot open the durable consumer %q of stream %q: %w", ConsumerName, StreamName, err)
	}
	lctx, lcancel := context.WithCancel(context.Background())
	c := &consumer{n: n, days: days, cancel: lcancel, done: make(chan struct{}), writers: map[string]*engineWriter{}}
	n.mu.Lock()
	n.consumer = c
	n.mu.Unlock()
	go c.loop(lctx, cons)
	return nil
}

// loop fetches and stores batches until ctx ends.
func (c *consumer) loop(ctx context.Context, cons jetstream.Consumer) {
	defer close(c.done)
	log := c.n.cfg.Log
	for ctx.Err() == nil {
		fctx, fcancel := context.WithTimeout(ctx, time.Second)
		batch, err := cons.Fetch(4, jetstream.FetchContext(fctx))
		if err != nil {
			fcancel()
			if ctx.Err() != nil {
				return
			}
			log.Warn("cannot fetch batches from NATS; retrying", "node", c.n.cfg.Node, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(c.n.cfg.RetryEvery):
			}
			continue
		}
		for m := range batch.Messages() {
			c.handle(m)
		}
		fcancel()
		if err := batch.Error(); err != nil && ctx.Err() == nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			log.Warn("fetch of batches from NATS ended early", "node", c.n.cfg.Node, "err", err)
		}
	}
}

// handle stores one batch and acks it after the commit. The batch is first
// claimed for this node in the claims bucket: a batch delivered again after
// its node died is written only by the node that claimed it (which checks
// its day files' batch table), so no batch is ever in two nodes' files.
func (c *consumer) handle(m jetstream.Msg) {
	log := c.n.cfg.Log
	id := m.Headers().Get(jetstream.MsgIDHeader)
	engine := strings.TrimPrefix(m.Subject(), SubjectPrefix)
	if id == "" {
		c.errs.Add(1)
		log.Error("dropping a message without a batch id", "subject", m.Subject())
		_ = m.Term()
		return
	}
	// The engine first: a node that cannot store the batch must not claim it.
	ew, err := c.writer(engine)
	if err != nil {
		c.errs.Add(1)
		log.Warn("cannot store a batch; it will be delivered again", "batch", id, "engine", engine, "err", err)
		_ = m.NakWithDelay(5 * c.n.cfg.RetryEvery)
		return
	}
	owner, err := c.claim(id)
	if err != nil {
		c.errs.Add(1)
		log.Warn("cannot claim a batch; it will be delivered again", "batch", id, "err", err)
		_ = m.NakWithDelay(c.n.cfg.RetryEvery)
		return
	}
	if owner != c.n.cfg.Node {
		c.elsewhere.Add(1)
		log.Debug("batch claimed by another store node; left to it", "batch", id, "claimed_by", owner)
		_ = m.NakWithDelay(c.n.cfg.ClaimTimeout)
		return
	}
	s, rows, err := decodeBatch(m.Data())
	if err != nil {
		c.errs.Add(1)
		log.Error("dropping a batch that does not decode", "batch", id, "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	stored, dup, err := ew.w.WriteBatchBy(s, rows, id, c.n.cfg.Node)
	if err != nil {
		c.errs.Add(1)
		log.Error("cannot write a batch; it will be delivered again", "batch", id, "engine", engine, "stored", stored, "err", err)
		_ = ew.w.Close()
		delete(c.writers, engine)
		_ = m.NakWithDelay(c.n.cfg.RetryEvery)
		return
	}
	c.batches.Add(1)
	c.rows.Add(uint64(stored))
	c.dups.Add(uint64(dup))
	if h := c.n.cfg.ackHook; h != nil && !h(id) {
		return
	}
	if err := m.DoubleAck(context.Background()); err != nil {
		// Delivered again later: the batch table finds it stored.
		log.Warn("cannot ack a stored batch; it will be found stored when delivered again", "batch", id, "err", err)
	}
}

// claim records this node as the writer of batch id unless a node claimed
// it first; it returns the claimant.
func (c *consumer) claim(id string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*c.n.cfg.PublishWait)
	defer cancel()
	node := c.n.cfg.Node
	_, err := c.n.claims.Create(ctx, id, []byte(node))
	if err == nil {
		return node, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return "", err
	}
	e, err := c.n.claims.Get(ctx, id)
	if err != nil {
		return "", err
	}
	return string(e.Value()), nil
}

// writer returns the open writer of engine's day files, rolling its days
// over when the engine's date changed.
func (c *consumer) writer(engine string) (*engineWriter, error) {
	ds, loc, err := c.days(engine)
	if err != nil {
		return nil, err
	}
	ew := c.writers[engine]
	if ew != nil && (ew.ds != ds || ew.loc.String() != loc.String()) {
		_ = ew.w.Close() // redefined engine
		ew = nil
	}
	today := time.Now().In(loc).Format(store.DateLayout)
	if ew == nil {
		w, err := ds.OpenWriter(store.Options{Location: loc})
		if err != nil {
			return nil, err
		}
		ew = &engineWriter{w: w, ds: ds, loc: loc, day: today}
		c.writers[engine] = ew
	}
	if ew.day != today {
		ew.w.CloseDaysBefore(today)
		ew.day = today
	}
	return ew, nil
}

// stop ends the loop after the batch in hand and closes the writers.
func (c *consumer) stop() error {
	c.cancel()
	<-c.done
	var err error
	for name, ew := range c.writers {
		err = errors.Join(err, ew.w.Close())
		delete(c.writers, name)
	}
	return err
}

func (c *consumer) addStats(s *Stats) {
	s.StoredBatches = c.batches.Load()
	s.StoredRows = c.rows.Load()
	s.DuplicateRows = c.dups.Load()
	s.ClaimedElsewhere = c.elsewhere.Load()
	s.StoreErrors = c.errs.Load()
}
