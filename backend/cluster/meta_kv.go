package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logsieve/logsieve/backend/meta"
)

// MetaBucket holds the cluster's metadata, one key per record
// (meta.Key: "engine.<name>", "class.<name>", "clients.<engine>",
// "user.<name>", "settings"), each value the record's JSON. Every node
// keeps a copy in its metadata DB and watches the bucket.
const MetaBucket = "LOGSIEVE_META"

// seedKey is created (atomically, once) by the node that seeds an empty
// bucket from its own metadata DB; the value says which node and whether
// it finished.
const seedKey = "_seed"

// metaWait bounds one write to the bucket; metaInitialWait the reading of
// every record at start.
const (
	metaWait        = 5 * time.Second
	metaInitialWait = time.Minute
)

type seedMark struct {
	Node string `json:"node"`
	Done bool   `json:"done"`
}

// MetaSync keeps the node's metadata DB equal to MetaBucket: it is the
// DB's meta.Replicator (a change made here goes to the bucket first, by
// revision) and applies the changes of the other nodes as they come.
type MetaSync struct {
	n      *Node
	kv     jetstream.KeyValue
	db     *meta.DB
	w      jetstream.KeyWatcher
	seeded bool

	mu    sync.Mutex
	known map[string]uint64 // key -> the last revision this node wrote or applied
	gone  map[string]bool   // keys whose last known operation is a delete

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// OpenMeta opens the metadata bucket and makes db equal to it: the first
// node of a cluster (the one whose atomic create of the seed marker
// succeeds) seeds the empty bucket with db's records; every other node
// waits until that is done, then replaces its records with the bucket's.
// From then on db replicates every change to the bucket. Call Run to apply
// the other nodes' changes.
//
// While NATS does not answer (e.g. a JetStream cluster still electing its
// leaders) it logs why and tries again every RetryEvery until ctx ends.
func (n *Node) OpenMeta(ctx context.Context, db *meta.DB) (*MetaSync, error) {
	for attempt := 1; ; attempt++ {
		m, err := n.openMeta(ctx, db)
		if err == nil {
			return m, nil
		}
		n.cfg.Log.Error("cluster: cannot sync the metadata bucket; retrying", "bucket", MetaBucket, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(n.cfg.RetryEvery):
		}
	}
}

func (n *Node) openMeta(ctx context.Context, db *meta.DB) (*MetaSync, error) {
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	kv, err := n.js.CreateOrUpdateKeyValue(octx, jetstream.KeyValueConfig{
		Bucket:      MetaBucket,
		Description: "logsieve: engines, classes, clients, users and settings of every node",
		Replicas:    n.cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("cannot open the key-value bucket %q: %w", MetaBucket, err)
	}
	m := &MetaSync{n: n, kv: kv, db: db, known: map[string]uint64{}, gone: map[string]bool{}}
	if err := m.seed(ctx); err != nil {
		return nil, err
	}
	w, err := kv.WatchAll(context.Background())
	if err != nil {
		return nil, fmt.Errorf("cannot watch the key-value bucket %q: %w", MetaBucket, err)
	}
	records := map[string][]byte{}
	initial := time.NewTimer(metaInitialWait)
	defer initial.Stop()
	for done := false; !done; {
		var e jetstream.KeyValueEntry
		select {
		case e = <-w.Updates():
		case <-initial.C:
			_ = w.Stop()
			return nil, fmt.Errorf("cannot read the key-value bucket %q: its records did not arrive within %s", MetaBucket, metaInitialWait)
		}
		if e == nil {
			done = true // the initial values are in
			continue
		}
		if e.Key() == seedKey {
			continue
		}
		m.known[e.Key()] = e.Revision()
		if e.Operation() != jetstream.KeyValuePut {
			m.gone[e.Key()] = true
			continue
		}
		records[e.Key()] = e.Value()
	}
	dropped, err := db.Sync(records)
	if err != nil {
		_ = w.Stop()
		return nil, err
	}
	sort.Strings(dropped)
	for _, k := range dropped {
		n.cfg.Log.Warn("cluster: a local metadata record not in the cluster's was dropped (the cluster's bucket is the truth)",
			"key", k, "bucket", MetaBucket)
	}
	m.w = w
	db.SetReplicator(m)
	n.cfg.Log.Info("cluster: metadata synced from the bucket", "bucket", MetaBucket, "records", len(records), "seeded_here", m.seeded)
	return m, nil
}

// Seeded reports whether this node seeded the bucket (the first node).
func (m *MetaSync) Seeded() bool { return m.seeded }

// seed creates the seed marker and fills the bucket, or waits until the
// node that created it is done.
func (m *MetaSync) seed(ctx context.Context) error {
	mark, _ := json.Marshal(seedMark{Node: m.n.cfg.Node})
	rev, err := m.kv.Create(ctx, seedKey, mark)
	if errors.Is(err, jetstream.ErrKeyExists) {
		// This node's own seeding, cut short (an error, a crash): again.
		if e, gerr := m.kv.Get(ctx, seedKey); gerr == nil {
			var sm seedMark
			if json.Unmarshal(e.Value(), &sm) == nil && sm.Node == m.n.cfg.Node && !sm.Done {
				rev, err = e.Revision(), nil
			}
		}
	}
	if err == nil {
		recs, err := m.db.Records()
		if err != nil {
			return err
		}
		for k, v := range recs {
			if _, err := m.kv.Put(ctx, k, v); err != nil {
				return fmt.Errorf("cannot seed the key-value bucket %q: %w", MetaBucket, err)
			}
		}
		mark, _ = json.Marshal(seedMark{Node: m.n.cfg.Node, Done: true})
		if _, err := m.kv.Update(ctx, seedKey, mark, rev); err != nil {
			return fmt.Errorf("cannot seed the key-value bucket %q: %w", MetaBucket, err)
		}
		m.seeded = true
		m.n.cfg.Log.Info("cluster: seeded the metadata bucket from this node's DB", "bucket", MetaBucket, "records", len(recs))
		return nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("cannot open the key-value bucket %q: %w", MetaBucket, err)
	}
	var logged time.Time
	for {
		e, err := m.kv.Get(ctx, seedKey)
		if err != nil {
			return fmt.Errorf("cannot read the key-value bucket %q: %w", MetaBucket, err)
		}
		var sm seedMark
		if json.Unmarshal(e.Value(), &sm) == nil && sm.Done {
			return nil
		}
		if time.Since(logged) > 5*time.Second {
			m.n.cfg.Log.Info("cluster: waiting for another node to seed the metadata bucket", "seeding_node", sm.Node, "bucket", MetaBucket)
			logged = time.Now()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for node %q to seed the key-value bucket %q: %w", sm.Node, MetaBucket, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Run applies the other nodes' changes to the DB, then calls apply with
// each, in the order the bucket took them, until Close. The watcher
// follows the bucket across reconnects (an ordered consumer resumes after
// the last revision it delivered), so a node catches up after an outage.
func (m *MetaSync) Run(apply func(meta.Change)) {
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel, m.done = cancel, make(chan struct{})
	go func() {
		defer close(m.done)
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-m.w.Updates():
				if !ok {
					return
				}
				if e != nil && e.Key() != seedKey {
					m.applyRemote(e, apply)
				}
			}
		}
	}()
}

// applyRemote applies one entry unless this node wrote or applied it (or a
// later revision of its key) already.
func (m *MetaSync) applyRemote(e jetstream.KeyValueEntry, apply func(meta.Change)) {
	key, rev := e.Key(), e.Revision()
	m.mu.Lock()
	skip := rev <= m.known[key]
	m.mu.Unlock()
	if skip {
		return
	}
	var value []byte
	if e.Operation() == jetstream.KeyValuePut {
		value = e.Value()
	}
	// The revision is taken as known only once the change is in effect: a
	// local write of the key meanwhile is based on what ran before, and is
	// refused as a conflict.
	defer func() {
		m.mu.Lock()
		if rev > m.known[key] {
			m.known[key], m.gone[key] = rev, value == nil
		}
		m.mu.Unlock()
	}()
	ch, err := m.db.ApplyRemote(key, value)
	if err != nil {
		m.n.cfg.Log.Error("cluster: cannot apply a metadata change from another node", "key", key, "revision", rev, "err", err)
		return
	}
	m.n.cfg.Log.Debug("cluster: metadata changed on another node", "key", key, "revision", rev)
	if apply != nil {
		apply(ch)
	}
}

// Close stops applying changes and watching; a second Close does nothing.
// The DB keeps replicating its changes (they fail once the connection is
// closed).
func (m *MetaSync) Close() {
	m.closeOnce.Do(func() {
		if m.cancel != nil {
			m.cancel()
			<-m.done
		}
		_ = m.w.Stop()
	})
}

// Put writes key to the bucket if its revision there is still the one this
// node last saw (a create when it has none): a *meta.ConflictError when
// another node changed it meanwhile, a *meta.UnavailableError when NATS
// does not answer.
func (m *MetaSync) Put(key string, value []byte) error {
	if err := m.connected(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), metaWait)
	defer cancel()
	rev, seen := m.known[key]
	var err error
	var nrev uint64
	if !seen || m.gone[key] {
		nrev, err = m.kv.Create(ctx, key, value)
	} else {
		nrev, err = m.kv.Update(ctx, key, value, rev)
	}
	if err != nil {
		return m.writeErr(key, err)
	}
	m.known[key], m.gone[key] = nrev, false
	return nil
}

// Delete deletes key from the bucket if its revision there is still the
// one this node last saw; a key this node never saw is left alone.
func (m *MetaSync) Delete(key string) error {
	if err := m.connected(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rev, seen := m.known[key]
	if !seen || m.gone[key] {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), metaWait)
	defer cancel()
	// kv.Delete with LastRevision, but keeping the delete's revision so
	// that its echo is not applied here again (ADR-8: a delete is a message
	// on $KV.<bucket>.<key> with the header KV-Operation: DEL).
	msg := nats.NewMsg("$KV." + MetaBucket + "." + key)
	msg.Header.Set("KV-Operation", "DEL")
	ack, err := m.n.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(rev))
	if err != nil {
		return m.writeErr(key, err)
	}
	m.known[key], m.gone[key] = ack.Sequence, true
	return nil
}

func (m *MetaSync) connected() error {
	if st := m.n.nc.Status(); st != nats.CONNECTED {
		return &meta.UnavailableError{Reason: fmt.Sprintf("not connected to NATS (%s)", st)}
	}
	return nil
}

// writeErr maps a failed write: a revision mismatch is a conflict.
func (m *MetaSync) writeErr(key string, err error) error {
	var apiErr *jetstream.APIError
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence) {
		return &meta.ConflictError{Key: key}
	}
	return &meta.UnavailableError{Reason: fmt.Sprintf("writing %s to NATS bucket %s failed: %v", key, MetaBucket, err)}
}
