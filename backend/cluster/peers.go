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

// Peer is a node as the registry holds it: its counters, its API address
// and its engines' counters (SetEngineStats), as of its last heartbeat.
type Peer struct {
	Stats
	// Engines are the node's engine counters by engine name, as JSON
	// (engine.Stats); empty on a node that runs no listeners.
	Engines map[string]json.RawMessage `json:"engines,omitempty"`
}

// Name returns this node's name.
func (n *Node) Name() string { return n.cfg.Node }

// SetAddr sets the URL where the other nodes reach this node's API (from
// the next heartbeat on, which it sends now); a store node also records it
// in StoresBucket.
func (n *Node) SetAddr(url string) {
	n.addr.Store(&url)
	n.beatNow()
	if !n.cfg.Stores() {
		return
	}
	b, _ := json.Marshal(Stats{Node: n.cfg.Node, Role: n.cfg.Role, Addr: url})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e, err := n.stores.Get(ctx, n.cfg.Node); err == nil && string(e.Value()) == string(b) {
		return
	}
	if _, err := n.stores.Put(ctx, n.cfg.Node, b); err != nil {
		n.cfg.Log.Warn("cannot record this store node's address", "bucket", StoresBucket, "err", err)
	}
}

// KnownStores returns every store node recorded in StoresBucket, live or
// not, with the address it last announced, by name.
func (n *Node) KnownStores(ctx context.Context) ([]Peer, error) {
	lister, err := n.stores.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot list the store nodes in %q: %w", StoresBucket, err)
	}
	var out []Peer
	for k := range lister.Keys() {
		e, err := n.stores.Get(ctx, k)
		if err != nil {
			continue
		}
		var p Peer
		if json.Unmarshal(e.Value(), &p) == nil {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Peer) int { return strings.Compare(a.Node, b.Node) })
	return out, nil
}

// SetEngineStats sets the function whose result (the engines' counters by
// name, encoded as JSON) goes into each heartbeat.
func (n *Node) SetEngineStats(f func() any) { n.engineStats.Store(&f) }

// entry is this node's registry value now.
func (n *Node) entry() []byte {
	e := struct {
		Stats
		Engines any `json:"engines,omitempty"`
	}{Stats: n.Stats()}
	if f := n.engineStats.Load(); f != nil {
		e.Engines = (*f)()
	}
	b, _ := json.Marshal(e)
	return b
}

// beatNow asks the heartbeat for a put now instead of at its next tick.
func (n *Node) beatNow() {
	select {
	case n.beatKick <- struct{}{}:
	default:
	}
}

// Peers returns every live node but this one, by name, as of their last
// heartbeat (at most 2 s old).
func (n *Node) Peers(ctx context.Context) ([]Peer, error) {
	lister, err := n.nodes.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot list the nodes in %q: %w", NodesBucket, err)
	}
	var out []Peer
	for k := range lister.Keys() {
		if k == n.cfg.Node {
			continue
		}
		e, err := n.nodes.Get(ctx, k)
		if err != nil {
			continue // gone meanwhile
		}
		var p Peer
		if json.Unmarshal(e.Value(), &p) == nil {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Peer) int { return strings.Compare(a.Node, b.Node) })
	return out, nil
}

// Stores reports whether the peer keeps day files (role store or all).
func (p Peer) Stores() bool { return p.Role == RoleAll || p.Role == RoleStore }

// Ingests reports whether the peer runs listeners (role ingest or all).
func (p Peer) Ingests() bool { return p.Role == RoleAll || p.Role == RoleIngest }
