package api

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/logsieve/logsieve/backend/cluster"
	"github.com/logsieve/logsieve/backend/engine"
)

// In a cluster an engine's counters are those of every ingest node summed,
// wherever they are read: GET /engines/:name/stats (cluster_reads.go), the
// websocket's stats push (ws_hub.go), the history below and /metrics.

// fanHistory answers /stats/history for every ingest node: own (this node's
// points; none on a store node) and each live ingest node's, asked with a
// signed request, summed per second. A node that does not answer is named in
// X-Logsieve-Missing-Nodes.
func (s *Server) fanHistory(c *fiber.Ctx, own []engine.Point, secs int) error {
	ctx := c.UserContext()
	if s.d.Cluster.Stats().Role == cluster.RoleStore {
		own = nil // its engines run no listener
	}
	var peers []peerTarget
	var missing []string
	self := s.d.Cluster.Stats().Node
	for _, p := range s.livePeers(ctx) {
		switch {
		case !p.Ingests() || p.Node == self:
		case p.Addr == "":
			missing = append(missing, p.Node)
		case len(peers) >= maxPeers:
			missing = append(missing, p.Node)
		default:
			peers = append(peers, peerTarget{p.Node, p.Addr})
		}
	}
	got := make([][]engine.Point, len(peers))
	failed := s.fanOut(peers, func(i int, p peerTarget) error {
		return s.askPeer(ctx, p, c.Path(), peerQuery(c, nil), &got[i])
	})
	all := [][]engine.Point{own}
	for i, p := range peers {
		if failed[p.node] == nil {
			all = append(all, got[i])
		}
	}
	setPartialHeader(c, newPartial(missing, failed))
	return c.JSON(sumHistories(all, secs))
}

// sumHistories adds per-second histories up by second (each node samples at
// its own offset within the second) and keeps the last secs seconds.
func sumHistories(hs [][]engine.Point, secs int) []engine.Point {
	sum := map[int64]engine.Point{}
	for _, h := range hs {
		for _, p := range h {
			k := p.T / 1000
			q := sum[k]
			q.T = k * 1000
			q.In += p.In
			q.Stored += p.Stored
			q.Dropped += p.Dropped
			q.KernelDrops += p.KernelDrops
			q.Rejected += p.Rejected
			q.Refused += p.Refused
			q.WriteErrors += p.WriteErrors
			sum[k] = q
		}
	}
	keys := slices.Sorted(maps.Keys(sum))
	if len(keys) > secs {
		keys = keys[len(keys)-secs:]
	}
	out := make([]engine.Point, 0, len(keys))
	for _, k := range keys {
		out = append(out, sum[k])
	}
	return out
}

// clusterScrape returns, once per /metrics scrape (one registry read), what
// turns this node's Stats of an engine into the cluster's: summed over the
// ingest nodes, with each node's.
func (s *Server) clusterScrape() func(name string, own engine.Stats) clusterStats {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	peers := s.livePeers(ctx)
	return func(name string, own engine.Stats) clusterStats { return s.sumEngineStats(peers, name, own) }
}

// nodeEngineCollector reports each ingest node's counters of each engine
// (logsieve_cluster_engine_*{engine,node,role}), beside the cluster's sums in
// logsieve_engine_*.
type nodeEngineCollector struct {
	s        *Server
	counters []nodeEngineMetric
	gauges   []nodeEngineMetric
}

type nodeEngineMetric struct {
	desc *prometheus.Desc
	get  func(*engineNodeStats) float64
}

func newNodeEngineCollector(s *Server) *nodeEngineCollector {
	c := &nodeEngineCollector{s: s}
	labels := []string{"engine", "node", "role"}
	add := func(list *[]nodeEngineMetric, name, help string, get func(*engineNodeStats) float64) {
		*list = append(*list, nodeEngineMetric{prometheus.NewDesc("logsieve_cluster_engine_"+name, help, labels, nil), get})
	}
	counter := func(name, help string, get func(*engineNodeStats) uint64) {
		add(&c.counters, name+"_total", help, func(n *engineNodeStats) float64 { return float64(get(n)) })
	}
	counter("received", "Logs received by this ingest node.", func(n *engineNodeStats) uint64 { return n.Received })
	counter("stored", "Logs acked by JetStream for this ingest node.", func(n *engineNodeStats) uint64 { return n.Stored })
	counter("rejected", "Logs from unknown senders rejected by this ingest node.", func(n *engineNodeStats) uint64 { return n.Rejected })
	counter("dropped", "Logs this ingest node dropped (queue and spool full).", func(n *engineNodeStats) uint64 { return n.Dropped })
	counter("refused", "Logs this ingest node refused while paused.", func(n *engineNodeStats) uint64 { return n.Refused })
	counter("kernel_drops", "Datagrams the kernel dropped on this ingest node.", func(n *engineNodeStats) uint64 { return n.KernelDrops })
	counter("write_errors", "Logs this ingest node gave up publishing.", func(n *engineNodeStats) uint64 { return n.WriteErrors })
	counter("spooled", "Logs this ingest node appended to its overflow spool.", func(n *engineNodeStats) uint64 { return n.Spooled })
	counter("replayed", "Logs this ingest node replayed from its spool after a restart.", func(n *engineNodeStats) uint64 { return n.Replayed })
	add(&c.gauges, "queue_depth", "Logs waiting in this ingest node's queue.", func(n *engineNodeStats) float64 { return float64(n.QueueDepth) })
	add(&c.gauges, "spool_bytes", "Bytes of this ingest node's overflow spool.", func(n *engineNodeStats) float64 { return float64(n.SpoolBytes) })
	return c
}

func (c *nodeEngineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.counters {
		ch <- m.desc
	}
	for _, m := range c.gauges {
		ch <- m.desc
	}
}

func (c *nodeEngineCollector) Collect(ch chan<- prometheus.Metric) {
	sum := c.s.clusterScrape()
	f := c.s.d.Factory
	for _, e := range f.Engines() {
		st, err := f.Stats(e.Name)
		if err != nil {
			continue
		}
		for _, n := range sum(e.Name, st).Nodes {
			for _, m := range c.counters {
				ch <- prometheus.MustNewConstMetric(m.desc, prometheus.CounterValue, m.get(&n), e.Name, n.Node, n.Role)
			}
			for _, m := range c.gauges {
				ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, m.get(&n), e.Name, n.Node, n.Role)
			}
		}
	}
}
