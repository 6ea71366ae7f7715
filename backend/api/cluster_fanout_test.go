package api_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/cluster"
	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// fakeCluster is a cluster node whose registry lists the given store peers.
type fakeCluster struct{ peers []cluster.Peer }

func (f *fakeCluster) Stats() cluster.Stats { return cluster.Stats{Node: "me", Role: cluster.RoleAll} }
func (f *fakeCluster) Nodes(context.Context) ([]cluster.Stats, error) {
	return []cluster.Stats{f.Stats()}, nil
}
func (f *fakeCluster) Peers(context.Context) ([]cluster.Peer, error)       { return f.peers, nil }
func (f *fakeCluster) KnownStores(context.Context) ([]cluster.Peer, error) { return nil, nil }
func (f *fakeCluster) SignPeer(method, uri string) string                  { return "me.0.x" }
func (f *fakeCluster) VerifyPeer(token, method, uri string) (string, error) {
	return "", cluster.ErrPeerToken
}

// A store node that accepts the connection and never answers, one without
// an address, and more store nodes than a fan-out asks: the answers come
// after the per-node wait, with this node's part, and name them missing.
func TestFanOutNamesStoreNodesThatDoNotAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	fc := &fakeCluster{peers: []cluster.Peer{
		{Stats: cluster.Stats{Node: "hung", Role: cluster.RoleStore, Addr: "http://" + ln.Addr().String()}},
		{Stats: cluster.Stats{Node: "noaddr", Role: cluster.RoleStore}},
		{Stats: cluster.Stats{Node: "ingest", Role: cluster.RoleIngest, Addr: "http://127.0.0.1:1"}},
	}}
	for i := range 17 { // asked: hung and 15 of these; left out: 2
		fc.peers = append(fc.peers, cluster.Peer{Stats: cluster.Stats{Node: fmt.Sprintf("z%02d", i), Role: cluster.RoleStore, Addr: "http://" + ln.Addr().String()}})
	}
	e := newEnvWith(t, envOptions{cluster: fc, peerTimeout: 300 * time.Millisecond})
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	e.createEngine(t, "e1")
	var wantMissing []string
	wantMissing = append(wantMissing, "hung", "noaddr")
	for i := range 17 {
		wantMissing = append(wantMissing, fmt.Sprintf("z%02d", i))
	}
	var p struct {
		Rows         [][]*string `json:"rows"`
		NextCursor   *string     `json:"next_cursor"`
		Partial      bool        `json:"partial"`
		MissingNodes []string    `json:"missing_nodes"`
	}
	for _, path := range []string{"/logs?limit=10", "/histogram"} {
		r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/e1" + path, Token: e.viewer})
		if r.Status != 200 {
			t.Fatalf("%s; got %d %s; want 200", path, r.Status, r.Body)
		}
		r.JSON(t, &p)
		if !p.Partial || strings.Join(p.MissingNodes, ",") != strings.Join(wantMissing, ",") {
			t.Fatalf("%s: partial %v, missing %q; want true, %q", path, p.Partial, p.MissingNodes, wantMissing)
		}
	}
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/e1/days", Token: e.viewer})
	if got := r.Header.Get("X-Logsieve-Missing-Nodes"); r.Status != 200 || got != strings.Join(wantMissing, ",") {
		t.Fatalf("/days; got %d, missing %q; want 200, %q", r.Status, got, wantMissing)
	}
	// A peer token this node cannot verify is refused, whatever the route.
	r = e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/e1/days", Header: map[string]string{cluster.PeerHeader: "hung.1.x"}})
	if r.Status != 401 {
		t.Fatalf("a bad peer token; got %d %s; want 401", r.Status, r.Body)
	}
	// A cursor of another kind is a 400 naming it.
	r = e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/e1/logs?cursor=12", Token: e.viewer})
	if r.Status != 400 || r.ErrorField() != "cursor" {
		t.Fatalf("a single-box cursor; got %d %s; want 400 on cursor", r.Status, r.Body)
	}
}
