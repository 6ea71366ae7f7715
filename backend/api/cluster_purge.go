package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/factory"
)

// A cluster's DELETE /engines/:name?purge=true deletes the engine once (the
// metadata bucket takes the delete to every node) and its files on every
// node: the node that answers deletes its own, then sends the same request,
// signed, to every other store node (the peers a query fan-out asks) and
// every live ingest node with an API address. A node answering such a peer
// request deletes its day files, overflow spool and unacked spool of the
// engine once the delete reached it (waiting up to peerPurgeWait), never
// the engine itself.

// peerPurgeWait is how long a store node waits for the engine's delete to
// reach it before it refuses a peer's purge.
const peerPurgeWait = 5 * time.Second

// purgeResult is a cluster's answer to a purge: the nodes whose files of
// the engine are gone, and those that could not delete them.
type purgeResult struct {
	Purged    []string      `json:"purged"`
	NotPurged []nodeFailure `json:"not_purged"`
}

// nodeFailure names a node and why it failed.
type nodeFailure struct {
	Node  string `json:"node"`
	Error string `json:"error"`
}

// unackedPurger is the cluster node's part of a purge: its unacked spool
// of the engine (ingest nodes).
type unackedPurger interface{ PurgeUnacked(engine string) error }

// purgeUnacked deletes this node's unacked spool of engine name (nothing
// on a single box).
func (s *Server) purgeUnacked(name string) error {
	if p, ok := s.d.Cluster.(unackedPurger); ok {
		if err := p.PurgeUnacked(name); err != nil {
			return fmt.Errorf("cannot purge the unacked spool of engine %q: %w", name, err)
		}
	}
	return nil
}

// purgeOnPeers asks every other store node and live ingest node to delete
// its files of engine name (this node deleted its own).
func (s *Server) purgeOnPeers(ctx context.Context, name string) purgeResult {
	peers, noAddr := s.peersFor(ctx, true)
	out := purgeResult{Purged: []string{s.d.Cluster.Stats().Node}, NotPurged: []nodeFailure{}}
	for _, n := range noAddr {
		out.NotPurged = append(out.NotPurged, nodeFailure{n, "not asked: no API address announced, or more store nodes than asked at once"})
	}
	uri := Prefix + "/engines/" + name + "?purge=true"
	failed := s.fanOut(peers, func(_ int, p peerTarget) error {
		return s.callPeer(ctx, p, http.MethodDelete, uri, nil)
	})
	for _, p := range peers {
		if err := failed[p.node]; err != nil {
			out.NotPurged = append(out.NotPurged, nodeFailure{p.node, err.Error()})
		} else {
			out.Purged = append(out.Purged, p.node)
		}
	}
	if len(out.NotPurged) > 0 {
		s.d.Log.Warn("engine purge: nodes that kept their files (delete <data>/engines/<name>, <data>/spool/<name> and <data>/cluster/unacked/<name> there by hand)",
			"engine", name, "nodes", out.NotPurged)
	}
	return out
}

// purgeForPeer answers another node's purge: this node's day files and
// spools of engine name are deleted once the engine is no longer defined
// here.
func (s *Server) purgeForPeer(c *fiber.Ctx, name string) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), peerPurgeWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := s.d.Factory.PurgeFiles(name)
		if err == nil {
			err = s.purgeUnacked(name)
		}
		var fe *factory.Error
		if !errors.As(err, &fe) || fe.Kind != factory.Conflict {
			if err == nil {
				s.d.Log.Info("engine purged at another node's request: day files and spools deleted", "engine", name, "by", c.Locals(peerLocal))
				return c.SendStatus(http.StatusNoContent)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return err // still defined here: the delete did not arrive
		case <-tick.C:
		}
	}
}
