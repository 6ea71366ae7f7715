package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPeerTokenIsGoodForItsOneRequestOnly(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	now := time.Unix(1_800_000_000, 0)
	tok := signPeer(secret, "s1", "GET", "/api/v1/engines/x/logs?limit=5", now.Add(PeerTokenTTL))
	if node, err := verifyPeer(secret, tok, "GET", "/api/v1/engines/x/logs?limit=5", now); err != nil || node != "s1" {
		t.Fatalf("unexpected verify; got %q, %v; want s1, nil", node, err)
	}
	f := func(name string, secret []byte, tok, method, uri string, now time.Time) {
		t.Helper()
		if node, err := verifyPeer(secret, tok, method, uri, now); !errors.Is(err, ErrPeerToken) {
			t.Fatalf("%s: unexpected verify; got %q, %v; want ErrPeerToken", name, node, err)
		}
	}
	uri := "/api/v1/engines/x/logs?limit=5"
	f("other query", secret, tok, "GET", "/api/v1/engines/x/logs?limit=6", now)
	f("other method", secret, tok, "DELETE", uri, now)
	f("other secret", []byte("another secret of 16+"), tok, "GET", uri, now)
	f("no secret", nil, tok, "GET", uri, now)
	f("expired", secret, tok, "GET", uri, now.Add(PeerTokenTTL+time.Second))
	f("too long lived", secret, signPeer(secret, "s1", "GET", uri, now.Add(time.Hour)), "GET", uri, now)
	f("other node named", secret, "s2"+strings.TrimPrefix(tok, "s1"), "GET", uri, now)
	f("garbage", secret, "s1.x.y", "GET", uri, now)
	f("empty", secret, "", "GET", uri, now)
}

func TestClusterSecretMustBeLongEnough(t *testing.T) {
	c := Config{NATS: "nats://127.0.0.1:4222", Node: "a", Secret: "short"}
	var fe *FieldError
	if err := c.Fill(); !errors.As(err, &fe) || fe.Field != "cluster_secret" {
		t.Fatalf("unexpected Fill error %v; want a FieldError on cluster_secret", err)
	}
	if strings.Contains(c.Fill().Error(), "short") {
		t.Fatal("the error shows the secret")
	}
}

// Without cluster_secret the nodes share the one the first generated into
// LOGSIEVE_CLUSTER: a token of one verifies on the other; a node with its
// own secret does not accept it.
func TestNodesShareAGeneratedSecret(t *testing.T) {
	url := testServer(t).ClientURL()
	a := startNode(t, url, "a", RoleAll, nil)
	b := startNode(t, url, "b", RoleStore, nil)
	c := startNode(t, url, "c", RoleStore, func(c *Config) { c.Secret = "a secret of its own, 16+" })
	uri := "/api/v1/engines/e1/days"
	if node, err := b.VerifyPeer(a.SignPeer("GET", uri), "GET", uri); err != nil || node != "a" {
		t.Fatalf("unexpected verify on b; got %q, %v; want a, nil", node, err)
	}
	if _, err := c.VerifyPeer(a.SignPeer("GET", uri), "GET", uri); !errors.Is(err, ErrPeerToken) {
		t.Fatalf("unexpected verify on c; got %v; want ErrPeerToken", err)
	}
	if len(a.secret) < minSecretLen {
		t.Fatalf("a generated secret of %d bytes", len(a.secret))
	}
}

// The registry carries each node's API address and engine counters, and
// LOGSIEVE_STORES keeps a store node's address after it stopped.
func TestRegistryCarriesAddressesAndEngineCounters(t *testing.T) {
	url := testServer(t).ClientURL()
	a := startNode(t, url, "a", RoleIngest, nil)
	s := startNode(t, url, "s", RoleStore, nil)
	a.SetEngineStats(func() any { return map[string]map[string]int{"e1": {"received": 7}} })
	a.SetAddr("http://127.0.0.1:1001")
	s.SetAddr("http://127.0.0.1:1002")
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		peers, err := s.Peers(ctx)
		if err == nil && len(peers) == 1 && peers[0].Addr == "http://127.0.0.1:1001" && string(peers[0].Engines["e1"]) == `{"received":7}` && peers[0].Ingests() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("unexpected peers of s: %+v, %v", peers, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Close()
	known, err := a.KnownStores(ctx)
	if err != nil || len(known) != 1 || known[0].Node != "s" || known[0].Addr != "http://127.0.0.1:1002" {
		t.Fatalf("unexpected known stores after s stopped: %+v, %v", known, err)
	}
}
