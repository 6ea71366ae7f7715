package api

import (
	"context"
	"sync"
	"time"

	"github.com/logsieve/logsieve/backend/cluster"
)

// An engine's stats in a cluster add up the other ingest nodes' counters
// from the node registry (NATS). Reading it can take seconds while NATS
// elects a leader, so GET /engines/:name/stats and the websocket's push
// use the last snapshot of it instead: a read older than peerSnapshotEvery
// starts a refresh in the background and answers at once with what it has,
// saying how old that is (peers_age_ms; -1: no snapshot yet).

// peerSnapshotEvery is the age past which a read refreshes the snapshot
// (the nodes put their counters every 2 s).
const peerSnapshotEvery = time.Second

type peerSnapshot struct {
	mu         sync.Mutex
	peers      []cluster.Peer
	at         time.Time // when the registry answered; zero: never
	refreshing bool
}

// cachedPeers returns the last snapshot of the other live nodes and when it
// was taken (zero: none yet), refreshing it in the background when old.
func (s *Server) cachedPeers() ([]cluster.Peer, time.Time) {
	ps := &s.peerSnap
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if !ps.refreshing && time.Since(ps.at) >= peerSnapshotEvery {
		ps.refreshing = true
		go s.refreshPeers()
	}
	return ps.peers, ps.at
}

func (s *Server) refreshPeers() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	peers, err := s.d.Cluster.Peers(ctx)
	ps := &s.peerSnap
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.refreshing = false
	if err != nil {
		s.d.Log.Debug("engine stats: the node registry did not answer; the last snapshot stays", "err", err)
		return
	}
	ps.peers, ps.at = peers, time.Now()
}

// peersAgeMs is how old a snapshot taken at at is, in ms; -1 when none.
func peersAgeMs(at time.Time) int64 {
	if at.IsZero() {
		return -1
	}
	return time.Since(at).Milliseconds()
}
