package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/logsieve/logsieve/backend/cluster"
)

// ClusterNode is what the API uses of this node's cluster part: GET /cluster,
// the fan-out of the queries (cluster_logs.go) and the engine stats.
type ClusterNode interface {
	Stats() cluster.Stats
	Nodes(ctx context.Context) ([]cluster.Stats, error)
	// Peers are the other live nodes with their API address and engine
	// counters.
	Peers(ctx context.Context) ([]cluster.Peer, error)
	// KnownStores are the store nodes that ever announced an address,
	// live or not.
	KnownStores(ctx context.Context) ([]cluster.Peer, error)
	// SignPeer and VerifyPeer make and check the cluster.PeerHeader of a
	// request between nodes.
	SignPeer(method, uri string) string
	VerifyPeer(token, method, uri string) (string, error)
}

// clusterStatus is GET /cluster: this node's name, role and counters, every
// live node's (this one first) and their sum; enabled false on a single box.
type clusterStatus struct {
	Enabled bool `json:"enabled"`
	cluster.Stats
	Nodes []cluster.Stats `json:"nodes,omitempty"`
	Total *cluster.Stats  `json:"total,omitempty"`
}

func (s *Server) getCluster(c *fiber.Ctx) error {
	if s.d.Cluster == nil {
		return c.JSON(clusterStatus{})
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	nodes, err := s.d.Cluster.Nodes(ctx)
	if err != nil {
		s.d.Log.Warn("GET /cluster: the node registry did not answer; this node only", "err", err)
	}
	total := cluster.Sum(nodes)
	return c.JSON(clusterStatus{Enabled: true, Stats: s.d.Cluster.Stats(), Nodes: nodes, Total: &total})
}

// clusterCollector reads this node's cluster counters at scrape time
// (logsieve_cluster_*, labelled with the node's name and role).
type clusterCollector struct {
	n       ClusterNode
	metrics []clusterMetric
	waiting *prometheus.Desc
	unacked *prometheus.Desc
}

type clusterMetric struct {
	desc *prometheus.Desc
	get  func(*cluster.Stats) uint64
}

func newClusterCollector(n ClusterNode) *clusterCollector {
	c := &clusterCollector{n: n}
	labels := []string{"node", "role"}
	add := func(name, help string, get func(*cluster.Stats) uint64) {
		c.metrics = append(c.metrics, clusterMetric{prometheus.NewDesc("logsieve_cluster_"+name+"_total", help, labels, nil), get})
	}
	add("published_batches", "Batches acked by JetStream (ingest).", func(s *cluster.Stats) uint64 { return s.PublishedBatches })
	add("published_rows", "Rows acked by JetStream (ingest).", func(s *cluster.Stats) uint64 { return s.PublishedRows })
	add("publish_retries", "Publish attempts that failed and were retried (ingest).", func(s *cluster.Stats) uint64 { return s.PublishRetries })
	add("publish_duplicates", "Batches JetStream acked as copies of one it had, e.g. a spool record replayed after a crash (ingest).", func(s *cluster.Stats) uint64 { return s.PublishDuplicates })
	add("stored_batches", "Batches committed to the day files (store).", func(s *cluster.Stats) uint64 { return s.StoredBatches })
	add("stored_rows", "Rows committed to the day files (store).", func(s *cluster.Stats) uint64 { return s.StoredRows })
	add("duplicate_rows", "Rows of redelivered batches found already stored (store).", func(s *cluster.Stats) uint64 { return s.DuplicateRows })
	add("claimed_elsewhere", "Deliveries left to the store node that claimed the batch (store).", func(s *cluster.Stats) uint64 { return s.ClaimedElsewhere })
	add("store_errors", "Batches that could not be claimed, decoded or written (store).", func(s *cluster.Stats) uint64 { return s.StoreErrors })
	c.waiting = prometheus.NewDesc("logsieve_cluster_waiting_rows", "Rows waiting for a JetStream ack now (ingest).", labels, nil)
	c.unacked = prometheus.NewDesc("logsieve_cluster_unacked_spooled_rows", "Rows in the unacked spools on disk, not yet acked by JetStream (ingest).", labels, nil)
	return c
}

func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
	ch <- c.waiting
	ch <- c.unacked
}

func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.n.Stats()
	for _, m := range c.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, prometheus.CounterValue, float64(m.get(&st)), st.Node, st.Role)
	}
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(st.WaitingRows), st.Node, st.Role)
	ch <- prometheus.MustNewConstMetric(c.unacked, prometheus.GaugeValue, float64(st.UnackedSpooledRows), st.Node, st.Role)
}
