package cluster

import (
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
