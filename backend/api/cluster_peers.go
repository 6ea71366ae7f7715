package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/cluster"
)

// Bounds of a fan-out: the store nodes asked besides this one, how long
// each may take, how much of an answer is read.
const (
	maxPeers          = 16
	defaultPeerWait   = 10 * time.Second
	maxPeerAnswerSize = 64 << 20
)

// peerLocal is the fiber.Ctx local naming the node a peer request came from.
const peerLocal = "logsieve.peer"

// peerOr authenticates a request signed by another node of the cluster
// (cluster.PeerHeader) and lets it through to the handler, which then answers
// for this node's day files only; a request without that header goes to
// user, the user authentication. A header that does not verify is a 401.
func (s *Server) peerOr(user fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		tok := c.Get(cluster.PeerHeader)
		if tok == "" {
			return user(c)
		}
		if s.d.Cluster == nil {
			return &Error{Status: http.StatusUnauthorized, Msg: "peer requests need a cluster node"}
		}
		node, err := s.d.Cluster.VerifyPeer(tok, c.Method(), c.OriginalURL())
		if err != nil {
			s.d.Log.Warn("peer request refused", "from", c.IP(), "path", c.Path(), "err", err)
			return &Error{Status: http.StatusUnauthorized, Msg: "invalid peer credentials"}
		}
		c.Locals(peerLocal, node)
		return c.Next()
	}
}

// fansOut reports whether the request is answered for every store node:
// in a cluster, unless another node asks for this node's part.
func (s *Server) fansOut(c *fiber.Ctx) bool {
	return s.d.Cluster != nil && c.Locals(peerLocal) == nil
}

// peerTarget is a store node a fan-out asks.
type peerTarget struct {
	node string
	addr string // its API URL; "" when it announced none
}

// storePeers returns the other store nodes to ask (at most maxPeers, by
// name): the live ones (registry) and those recorded but not live now (a
// stopped store node still holds its day files: it is asked at its last
// address, and named missing if it does not answer); and the names of those
// left out (no address, or past maxPeers).
func (s *Server) storePeers(ctx context.Context) (peers []peerTarget, missing []string) {
	return s.peersFor(ctx, false)
}

// peersFor is storePeers, with the live ingest-only nodes too when
// withIngest (a purge: they hold spools of the engine).
func (s *Server) peersFor(ctx context.Context, withIngest bool) (peers []peerTarget, missing []string) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	self := s.d.Cluster.Stats().Node
	live, err := s.d.Cluster.Peers(ctx)
	if err != nil {
		s.d.Log.Warn("fan-out: the node registry did not answer; this node only", "err", err)
	}
	known, err := s.d.Cluster.KnownStores(ctx)
	if err != nil {
		s.d.Log.Warn("fan-out: the store node list did not answer; the live nodes only", "err", err)
	}
	byName := map[string]cluster.Peer{}
	for _, p := range known {
		byName[p.Node] = p
	}
	for _, p := range live {
		if p.Stores() || withIngest && p.Ingests() {
			if p.Addr == "" {
				p.Addr = byName[p.Node].Addr
			}
			byName[p.Node] = p
		}
	}
	delete(byName, self)
	names := slices.Sorted(maps.Keys(byName))
	for _, n := range names {
		p := byName[n]
		switch {
		case p.Addr == "":
			s.d.Log.Warn("fan-out: a node announced no API address (set its --advertise)", "node", p.Node)
			missing = append(missing, p.Node)
		case len(peers) >= maxPeers:
			s.d.Log.Warn("fan-out: more nodes than asked at once", "node", p.Node, "max", maxPeers)
			missing = append(missing, p.Node)
		default:
			peers = append(peers, peerTarget{p.Node, p.Addr})
		}
	}
	return peers, missing
}

// peerWait is how long one node of a fan-out may take.
func (s *Server) peerWait() time.Duration {
	if s.d.PeerTimeout > 0 {
		return s.d.PeerTimeout
	}
	return defaultPeerWait
}

// askPeer sends GET path?query to p, signed, and decodes its JSON answer into out.
func (s *Server) askPeer(ctx context.Context, p peerTarget, path string, query url.Values, out any) error {
	uri := path
	if len(query) > 0 {
		uri += "?" + query.Encode()
	}
	return s.callPeer(ctx, p, http.MethodGet, uri, out)
}

// callPeer sends method uri to p, signed, and decodes its JSON answer into
// out (nil: the answer's body is not read further than its error).
func (s *Server) callPeer(ctx context.Context, p peerTarget, method, uri string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, s.peerWait())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(p.addr, "/")+uri, nil)
	if err != nil {
		return err
	}
	req.Header.Set(cluster.PeerHeader, s.d.Cluster.SignPeer(method, uri))
	resp, err := s.peerClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPeerAnswerSize+1))
	if err != nil {
		return err
	}
	if len(body) > maxPeerAnswerSize {
		return fmt.Errorf("answer over %d bytes", maxPeerAnswerSize)
	}
	if resp.StatusCode/100 != 2 {
		var eb ErrorBody
		_ = json.Unmarshal(body, &eb)
		return fmt.Errorf("status %d: %s", resp.StatusCode, eb.Error)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// peerQuery is the request's query with the given values replaced.
func peerQuery(c *fiber.Ctx, set map[string]string) url.Values {
	v := url.Values{}
	for k, val := range c.Context().QueryArgs().All() {
		if _, ok := set[string(k)]; !ok {
			v.Add(string(k), string(val))
		}
	}
	for k, val := range set {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// fanOut runs ask for every peer at once and returns, by node, the error of
// those that failed (logged).
func (s *Server) fanOut(peers []peerTarget, ask func(i int, p peerTarget) error) map[string]error {
	var mu sync.Mutex
	failed := map[string]error{}
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ask(i, p); err != nil {
				s.d.Log.Warn("fan-out: a store node did not answer; left out", "node", p.node, "addr", p.addr, "err", err)
				mu.Lock()
				failed[p.node] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed
}

// partialInfo is what a fan-out answer adds: whether store nodes are missing
// from it, and which.
type partialInfo struct {
	Partial      bool     `json:"partial"`
	MissingNodes []string `json:"missing_nodes"`
}

func newPartial(missing []string, failed map[string]error) partialInfo {
	out := append([]string{}, missing...)
	for n := range failed {
		out = append(out, n)
	}
	sort.Strings(out)
	return partialInfo{Partial: len(out) > 0, MissingNodes: out}
}

// setPartialHeader also says it in a header (for /days, whose body is a list).
func setPartialHeader(c *fiber.Ctx, p partialInfo) {
	if p.Partial {
		c.Set("X-Logsieve-Missing-Nodes", strings.Join(p.MissingNodes, ","))
	}
}
