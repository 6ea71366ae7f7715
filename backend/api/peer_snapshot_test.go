package api_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/cluster"
	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// stallingCluster is a cluster node whose registry read blocks until its
// context ends while stalled (NATS electing a leader, or gone).
type stallingCluster struct {
	fakeCluster
	stalled atomic.Bool
	blocked atomic.Int32 // registry reads blocked now
}

func (f *stallingCluster) Peers(ctx context.Context) ([]cluster.Peer, error) {
	if f.stalled.Load() {
		f.blocked.Add(1)
		defer f.blocked.Add(-1)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.peers, nil
}

// While the node registry does not answer, an engine's /stats answers from
// the last snapshot, the other ingest node's counters included, and says
// how old it is: it answers while a registry read is blocked.
func TestEngineStatsAnswerFromTheLastRegistrySnapshotWhileNATSIsAway(t *testing.T) {
	peerStats, _ := json.Marshal(map[string]any{"received": 42})
	fc := &stallingCluster{fakeCluster: fakeCluster{peers: []cluster.Peer{
		{Stats: cluster.Stats{Node: "b", Role: cluster.RoleIngest}, Engines: map[string]json.RawMessage{"e1": peerStats}},
	}}}
	e := newEnvWith(t, envOptions{cluster: fc})
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	e.createEngine(t, "e1")

	type stats struct {
		Received   uint64 `json:"received"`
		PeersAgeMs *int64 `json:"peers_age_ms"`
		Nodes      []struct {
			Node     string `json:"node"`
			Received uint64 `json:"received"`
		} `json:"nodes"`
	}
	get := func() stats {
		t.Helper()
		var st stats
		r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/e1/stats", Token: e.viewer})
		if r.Status != 200 {
			t.Fatalf("GET /stats: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &st)
		if st.PeersAgeMs == nil {
			t.Fatalf("no peers_age_ms in %s", r.Body)
		}
		return st
	}
	hasPeer := func(st stats) bool {
		for _, n := range st.Nodes {
			if n.Node == "b" && n.Received == 42 {
				return st.Received == 42
			}
		}
		return false
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := get(); !hasPeer(st) || *st.PeersAgeMs < 0; st = get() {
		if time.Now().After(deadline) {
			t.Fatalf("the other node's counters never came: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}

	fc.stalled.Store(true)
	// The snapshot ages past its refresh period; each read then starts a
	// refresh that blocks, and answers without it.
	for {
		st := get()
		if !hasPeer(st) {
			t.Fatalf("stats without the other node's counters while the registry is away: %+v", st)
		}
		if *st.PeersAgeMs > 1500 && fc.blocked.Load() == 1 {
			break
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("the snapshot's age never showed while the registry was away: %+v, %d reads blocked", st, fc.blocked.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
