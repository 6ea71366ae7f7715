package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// NodesBucket holds each live node's counters (key: node name), refreshed
// every heartbeat and gone NodesTTL after a node stops.
const NodesBucket = "LOGSIEVE_NODES"

// StoresBucket remembers every store node that ever announced an API
// address (key: node name, value: its Peer without counters), without a
// TTL: a query fan-out asks a store node that stopped too, and names it
// missing, instead of leaving its day files out unsaid. A store node
// removed for good is deleted from it by hand (nats kv del).
const StoresBucket = "LOGSIEVE_STORES"

// Heartbeat timing of the node registry.
const (
	heartbeatEvery = 2 * time.Second
	nodesTTL       = 10 * time.Second
)

// openRegistry opens the nodes bucket.
func (n *Node) openRegistry(ctx context.Context) error {
	kv, err := n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      NodesBucket,
		Description: "logsieve: the live nodes and their counters",
		TTL:         nodesTTL,
		Replicas:    n.cfg.Replicas,
		Storage:     jetstream.MemoryStorage,
	})
	if err != nil {
		return fmt.Errorf("cannot open the key-value bucket %q: %w", NodesBucket, err)
	}
	n.nodes = kv
	kv, err = n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      StoresBucket,
		Description: "logsieve: the store nodes and their API addresses",
		Replicas:    n.cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("cannot open the key-value bucket %q: %w", StoresBucket, err)
	}
	n.stores = kv
	return nil
}

// heartbeat puts the node's counters into the registry until ctx ends.
func (n *Node) heartbeat(ctx context.Context) {
	defer close(n.beatDone)
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		b := n.entry()
		pctx, cancel := context.WithTimeout(ctx, heartbeatEvery)
		if _, err := n.nodes.Put(pctx, n.cfg.Node, b); err != nil && ctx.Err() == nil {
			n.cfg.Log.Debug("cannot refresh this node in the registry", "node", n.cfg.Node, "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.beatKick:
		}
	}
}

// Nodes returns the counters of every live node (this one first, as of now;
// the others as of their last heartbeat, at most 2 s old), by name.
func (n *Node) Nodes(ctx context.Context) ([]Stats, error) {
	self := n.Stats()
	out := []Stats{self}
	lister, err := n.nodes.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return out, nil
		}
		return out, fmt.Errorf("cannot list the nodes in %q: %w", NodesBucket, err)
	}
	for k := range lister.Keys() {
		if k == self.Node {
			continue
		}
		e, err := n.nodes.Get(ctx, k)
		if err != nil {
			continue // gone meanwhile
		}
		var s Stats
		if json.Unmarshal(e.Value(), &s) == nil {
			out = append(out, s)
		}
	}
	slices.SortFunc(out[1:], func(a, b Stats) int { return strings.Compare(a.Node, b.Node) })
	return out, nil
}

// Sum adds up the counters of nodes (Node and Role left empty).
func Sum(nodes []Stats) Stats {
	var t Stats
	for _, s := range nodes {
		t.PublishedBatches += s.PublishedBatches
		t.PublishedRows += s.PublishedRows
		t.PublishRetries += s.PublishRetries
		t.WaitingRows += s.WaitingRows
		t.PublishDuplicates += s.PublishDuplicates
		t.UnackedSpooledRows += s.UnackedSpooledRows
		t.StoredBatches += s.StoredBatches
		t.StoredRows += s.StoredRows
		t.DuplicateRows += s.DuplicateRows
		t.ClaimedElsewhere += s.ClaimedElsewhere
		t.StoreErrors += s.StoreErrors
	}
	return t
}
