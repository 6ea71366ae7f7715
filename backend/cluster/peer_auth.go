package cluster

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// PeerHeader is the HTTP header that authenticates one request of a node to
// another node's API: "<node>.<expiry, unix s>.<HMAC-SHA256>", the HMAC of
// the node, the expiry, the method and the request URI (path and query)
// keyed with the cluster secret. A token is good for that one request, for
// PeerTokenTTL.
const PeerHeader = "X-Logsieve-Peer"

// PeerTokenTTL is how long a peer token is accepted after it was made. The
// nodes' clocks must agree within it (NTP).
const PeerTokenTTL = 30 * time.Second

// minSecretLen is the shortest cluster_secret accepted.
const minSecretLen = 16

// SecretBucket holds the generated cluster secret (key peer_secret) when
// no node is given one (Config.Secret).
const SecretBucket = "LOGSIEVE_CLUSTER"

// openSecret sets the secret peer tokens are signed with: cfg.Secret, else
// the one in SecretBucket, created by the first node that finds none (an
// atomic create: every node ends up with the same). Whoever can read the
// bucket can also read every log in the stream, so it guards nothing more.
func (n *Node) openSecret(ctx context.Context) error {
	if n.cfg.Secret != "" {
		n.secret = []byte(n.cfg.Secret)
		return nil
	}
	kv, err := n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      SecretBucket,
		Description: "logsieve: the secret the nodes sign their requests to each other with",
		Replicas:    n.cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("cannot open the key-value bucket %q: %w", SecretBucket, err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	if _, err := kv.Create(ctx, "peer_secret", b); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("cannot store the cluster secret in %q: %w", SecretBucket, err)
	}
	e, err := kv.Get(ctx, "peer_secret")
	if err != nil {
		return fmt.Errorf("cannot read the cluster secret in %q: %w", SecretBucket, err)
	}
	n.secret = e.Value()
	return nil
}

// SignPeer returns the PeerHeader value for this node's request method uri
// (path and query, as sent).
func (n *Node) SignPeer(method, uri string) string {
	return signPeer(n.secret, n.cfg.Node, method, uri, time.Now().Add(PeerTokenTTL))
}

// VerifyPeer checks a PeerHeader value against the request it came with and
// returns the name of the node that signed it.
func (n *Node) VerifyPeer(token, method, uri string) (string, error) {
	return verifyPeer(n.secret, token, method, uri, time.Now())
}

func peerMAC(secret []byte, node string, exp int64, method, uri string) []byte {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "logsieve-peer\n%s\n%d\n%s\n%s", node, exp, method, uri)
	return m.Sum(nil)
}

// SignPeerToken makes a PeerHeader value with secret for node's request
// method uri, good until exp (SignPeer with this node's secret and the
// current time; exported for tests and tools).
func SignPeerToken(secret []byte, node, method, uri string, exp time.Time) string {
	return signPeer(secret, node, method, uri, exp)
}

func signPeer(secret []byte, node, method, uri string, exp time.Time) string {
	e := exp.Unix()
	return node + "." + strconv.FormatInt(e, 10) + "." + base64.RawURLEncoding.EncodeToString(peerMAC(secret, node, e, method, uri))
}

// ErrPeerToken is the error of a peer token that is malformed, expired,
// for another request or signed with another secret.
var ErrPeerToken = errors.New("invalid peer token")

func verifyPeer(secret []byte, token, method, uri string, now time.Time) (string, error) {
	if len(secret) == 0 {
		return "", ErrPeerToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || !nodeName.MatchString(parts[0]) {
		return "", ErrPeerToken
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", ErrPeerToken
	}
	// Expired, or made to last longer than a token does (with the clock
	// difference allowed).
	if now.Unix() > exp || exp > now.Add(2*PeerTokenTTL).Unix() {
		return "", fmt.Errorf("%w: expired or not yet valid (the nodes' clocks must agree within %s)", ErrPeerToken, PeerTokenTTL)
	}
	mac, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(mac, peerMAC(secret, parts[0], exp, method, uri)) {
		return "", ErrPeerToken
	}
	return parts[0], nil
}

// TokenSecret is the key every node signs its API tokens with, derived
// from the cluster secret (so a token issued by one node is good on all;
// whoever holds the cluster secret can sign tokens, as it can sign peer
// requests).
func (n *Node) TokenSecret() []byte {
	mac := hmac.New(sha256.New, n.secret)
	mac.Write([]byte("logsieve api tokens v1"))
	return mac.Sum(nil)
}
