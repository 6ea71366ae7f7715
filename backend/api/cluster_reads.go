package api

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/cluster"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/store"
)

// clusterHistogram is a cluster's GET /histogram: the counts of every store
// node summed, and which are missing.
type clusterHistogram struct {
	store.Histogram
	partialInfo
}

// fanHistogram answers /histogram for every store node: counts summed per
// bucket (a node that chose shorter buckets has them folded into the
// longest: every bucket size divides the next), the rows of batch copies
// counted once (cluster_copies.go).
func (s *Server) fanHistogram(c *fiber.Ctx, name string, ed factory.EngineDays, hq store.HistogramQuery) error {
	ctx := c.UserContext()
	self := s.d.Cluster.Stats().Node
	h, err := ed.Days.Histogram(ctx, hq)
	if err != nil {
		return engineGone(name, err)
	}
	own, err := ed.Days.CopyCounts(ctx, hq, self)
	if err != nil {
		return engineGone(name, err)
	}
	peers, missing := s.storePeers(ctx)
	got := make([]peerHistogram, len(peers))
	set := map[string]string{"last": "", "start": hq.Start, "end": hq.End, "date": hq.Date, "copies": "1"}
	failed := s.fanOut(peers, func(i int, p peerTarget) error {
		return s.askPeer(ctx, p, c.Path(), peerQuery(c, set), &got[i])
	})
	all := []store.Histogram{*h}
	counts := map[string][]store.CopyCount{self: own}
	answered := []string{self}
	var live []peerTarget
	for i, p := range peers {
		if failed[p.node] == nil {
			all = append(all, got[i].Histogram)
			counts[p.node] = got[i].Copies
			answered = append(answered, p.node)
			live = append(live, p)
		}
	}
	copies := map[string][]copyRef{}
	for node, cs := range counts {
		for _, cc := range cs {
			copies[node] = append(copies[node], copyRef{cc.Date, cc.ID, cc.Node})
		}
	}
	drop := s.dropCopies(ctx, answered, copies, s.holderOf(ed.Days, Prefix+"/engines/"+name+"/days", live))
	less := store.Histogram{BucketS: 60, Complete: true}
	for node, cs := range counts {
		for _, cc := range cs {
			if !drop[node][copyKey{cc.Date, cc.ID}] {
				continue
			}
			for m, n := range cc.Minutes {
				less.Buckets = append(less.Buckets, store.Bucket{T: cc.Date + "T" + m, N: -n})
			}
		}
	}
	if len(less.Buckets) > 0 {
		all = append(all, less)
	}
	return c.JSON(clusterHistogram{Histogram: sumHistograms(all), partialInfo: newPartial(missing, failed)})
}

// peerHistogram is a store node's /histogram for another node: its own
// histogram and the counts of its batch copies (copies=1).
type peerHistogram struct {
	store.Histogram
	Copies []store.CopyCount `json:"copies,omitempty"`
}

// sumHistograms adds histograms up, in buckets of the longest size among
// them (a histogram of negative counts takes rows away; a bucket left at 0
// or less is dropped).
func sumHistograms(hs []store.Histogram) store.Histogram {
	out := store.Histogram{Complete: true, Buckets: []store.Bucket{}}
	for _, h := range hs {
		out.BucketS = max(out.BucketS, h.BucketS)
	}
	sum := map[string]int64{}
	for _, h := range hs {
		out.Complete = out.Complete && h.Complete
		for _, b := range h.Buckets {
			sum[foldBucket(b.T, out.BucketS)] += b.N
		}
	}
	for t, n := range sum {
		if n > 0 {
			out.Buckets = append(out.Buckets, store.Bucket{T: t, N: n})
			out.Total += n
		}
	}
	slices.SortFunc(out.Buckets, func(a, b store.Bucket) int { return strings.Compare(a.T, b.T) })
	return out
}

// foldBucket returns the start of the bucket of secs seconds holding the
// bucket that starts at t (YYYY-MM-DDTHH:MM; buckets start at the same
// clock times every day).
func foldBucket(t string, secs int) string {
	const layout = "2006-01-02T15:04"
	tt, err := time.Parse(layout, t)
	if err != nil || secs <= 60 {
		return t
	}
	day := tt.Truncate(24 * time.Hour)
	into := tt.Sub(day) / time.Second
	into -= into % time.Duration(secs)
	return day.Add(into * time.Second).Format(layout)
}

// fanDays answers /days for every store node: days unioned, rows and bytes
// summed, newest first, the rows of batch copies counted once
// (cluster_copies.go); a missing node is named in X-Logsieve-Missing-Nodes.
func (s *Server) fanDays(c *fiber.Ctx, ed factory.EngineDays, own []dayInfo) error {
	ctx := c.UserContext()
	self := s.d.Cluster.Stats().Node
	peers, missing := s.storePeers(ctx)
	got := make([][]dayInfo, len(peers))
	failed := s.fanOut(peers, func(i int, p peerTarget) error {
		return s.askPeer(ctx, p, c.Path(), url.Values{"copies": {"1"}}, &got[i])
	})
	byNode := map[string][]dayInfo{self: own}
	answered := []string{self}
	var live []peerTarget
	for i, p := range peers {
		if failed[p.node] == nil {
			byNode[p.node] = got[i]
			answered = append(answered, p.node)
			live = append(live, p)
		}
	}
	copies := map[string][]copyRef{}
	for node, ds := range byNode {
		for _, d := range ds {
			for _, cp := range d.Copies {
				copies[node] = append(copies[node], copyRef{d.Date, cp.ID, cp.Node})
			}
		}
	}
	drop := s.dropCopies(ctx, answered, copies, s.holderOf(ed.Days, c.Path(), live))
	sum := map[string]dayInfo{}
	for node, ds := range byNode {
		for _, d := range ds {
			e := sum[d.Date]
			e.Date, e.Rows, e.Bytes = d.Date, e.Rows+d.Rows, e.Bytes+d.Bytes
			for _, cp := range d.Copies {
				if drop[node][copyKey{d.Date, cp.ID}] {
					e.Rows -= int64(cp.Rows)
				}
			}
			sum[d.Date] = e
		}
	}
	out := make([]dayInfo, 0, len(sum))
	for _, d := range sum {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b dayInfo) int { return strings.Compare(b.Date, a.Date) })
	setPartialHeader(c, newPartial(missing, failed))
	return c.JSON(out)
}

// peerBatches answers another node's /days?batches=<date>: this node's
// batch ids of that date.
func (s *Server) peerBatches(c *fiber.Ctx, name string, ed factory.EngineDays, date string) error {
	if err := store.ValidDate(date); err != nil {
		return badRequest("batches", "batches must be a date YYYY-MM-DD")
	}
	b, err := ed.Days.Batches(c.UserContext(), date)
	if err != nil {
		return engineGone(name, err)
	}
	return c.JSON([]dayInfo{{Date: date, Batches: slices.Sorted(maps.Keys(b))}})
}

// engineNodeStats is one node's state of an engine in a cluster's /stats.
type engineNodeStats struct {
	Node        string  `json:"node"`
	Role        string  `json:"role"`
	State       string  `json:"state"`
	Reason      string  `json:"reason,omitempty"`
	Received    uint64  `json:"received"`
	Stored      uint64  `json:"stored"`
	Unmatched   uint64  `json:"unmatched"`
	Rejected    uint64  `json:"rejected"`
	Dropped     uint64  `json:"dropped"`
	Refused     uint64  `json:"refused"`
	KernelDrops uint64  `json:"kernel_drops"`
	WriteErrors uint64  `json:"write_errors"`
	QueueDepth  int     `json:"queue_depth"`
	InPerS      float64 `json:"in_per_s"`
	StoredPerS  float64 `json:"stored_per_s"`
	Connections int64   `json:"connections"`
	Spooled     uint64  `json:"spooled"`
	SpoolBytes  int64   `json:"spool_bytes"`
	Replayed    uint64  `json:"replayed"`
}

func nodeState(node, role string, st engine.Stats) engineNodeStats {
	return engineNodeStats{Node: node, Role: role, State: st.State, Reason: st.Reason, Received: st.Received,
		Stored: st.Stored, Unmatched: st.Unmatched, Rejected: st.Rejected, Dropped: st.Dropped, Refused: st.Refused,
		KernelDrops: st.KernelDrops, WriteErrors: st.WriteErrors, QueueDepth: st.QueueDepth,
		InPerS: st.InPerS, StoredPerS: st.StoredPerS, Connections: st.Connections,
		Spooled: st.Spooled, SpoolBytes: st.SpoolBytes, Replayed: st.Replayed}
}

// clusterStats is a cluster's GET /engines/:name/stats: the engine's
// counters summed over the ingest nodes (this one now, the others as of
// their last heartbeat, at most 2 s old) and each ingest node's state.
type clusterStats struct {
	engine.Stats
	Nodes []engineNodeStats `json:"nodes"`
	// PeersAgeMs is how old the registry snapshot the other nodes' counters
	// come from is (peer_snapshot.go): about 2 s more than their heartbeat;
	// -1 when there is none yet (this node only). Absent in /metrics' use.
	PeersAgeMs *int64 `json:"peers_age_ms,omitempty"`
}

// clusterEngineStats adds the engine's counters of the other ingest nodes,
// from the last registry snapshot (never waiting for NATS), to own (this
// node's; left out when this node runs no listeners).
func (s *Server) clusterEngineStats(name string, own engine.Stats) clusterStats {
	peers, at := s.cachedPeers()
	out := s.sumEngineStats(peers, name, own)
	age := peersAgeMs(at)
	out.PeersAgeMs = &age
	return out
}

// livePeers returns the other live nodes with their engine counters (none,
// logged, when the registry does not answer within 3 s).
func (s *Server) livePeers(ctx context.Context) []cluster.Peer {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	peers, err := s.d.Cluster.Peers(ctx)
	if err != nil {
		s.d.Log.Warn("engine stats: the node registry did not answer; this node only", "err", err)
	}
	return peers
}

// sumEngineStats adds the counters of engine name on the ingest nodes among
// peers to own (this node's; left out on a store node) and lists each.
func (s *Server) sumEngineStats(peers []cluster.Peer, name string, own engine.Stats) clusterStats {
	me := s.d.Cluster.Stats()
	out := clusterStats{Stats: own, Nodes: []engineNodeStats{}}
	if me.Role == cluster.RoleStore {
		counters := engine.Stats{State: own.State, Reason: own.Reason, StartedAt: own.StartedAt, UptimeS: own.UptimeS, Workers: own.Workers}
		out.Stats = counters
	} else {
		out.Nodes = append(out.Nodes, nodeState(me.Node, me.Role, own))
	}
	for _, p := range peers {
		raw, ok := p.Engines[name]
		if !p.Ingests() || !ok {
			continue
		}
		var st engine.Stats
		if err := json.Unmarshal(raw, &st); err != nil {
			s.d.Log.Warn("engine stats: a node's counters do not decode", "node", p.Node, "err", fmt.Sprint(err))
			continue
		}
		addEngineStats(&out.Stats, st)
		out.Nodes = append(out.Nodes, nodeState(p.Node, p.Role, st))
	}
	return out
}

// addEngineStats adds src's counters, gauges and rates to dst.
func addEngineStats(dst *engine.Stats, src engine.Stats) {
	dst.Received += src.Received
	dst.ReceivedBytes += src.ReceivedBytes
	dst.Stored += src.Stored
	dst.Unmatched += src.Unmatched
	dst.Rejected += src.Rejected
	dst.Dropped += src.Dropped
	dst.Refused += src.Refused
	dst.KernelDrops += src.KernelDrops
	dst.WriteErrors += src.WriteErrors
	dst.QueueDepth += src.QueueDepth
	dst.InPerS += src.InPerS
	dst.StoredPerS += src.StoredPerS
	dst.Connections += src.Connections
	dst.ConnectionsTotal += src.ConnectionsTotal
	dst.ConnectionsRefused += src.ConnectionsRefused
	dst.FramingErrors += src.FramingErrors
	dst.Truncated += src.Truncated
	dst.BackpressureMs += src.BackpressureMs
	dst.TLSErrors += src.TLSErrors
	dst.Spooled += src.Spooled
	dst.SpoolBytes += src.SpoolBytes
	dst.SpoolDepth += src.SpoolDepth
	dst.Replayed += src.Replayed
	dst.SpoolCorrupt += src.SpoolCorrupt
}
