package api

import (
	"crypto/subtle"
	"runtime"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/shirou/gopsutil/v4/disk"

	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/factory"
)

// engineStatsSource is what the collector reads (*factory.Factory).
type engineStatsSource interface {
	Engines() []factory.EngineInfo
	Stats(name string) (engine.Stats, error)
}

// engineStates are the values of the state label of logsieve_engine_state.
var engineStates = []string{engine.StateRunning, engine.StatePaused, engine.StateFailed, engine.StateStopped}

// engineCollector reads every engine's counters from the factory at scrape time
// (docs/operations.md lists the names).
type engineCollector struct {
	f engineStatsSource
	// scrape, in a cluster, returns at each scrape what sums an engine's
	// Stats over the ingest nodes; nil on a single box.
	scrape   func() func(name string, own engine.Stats) clusterStats
	counters []engineMetric
	gauges   []engineGauge
	up       *prometheus.Desc
	state    *prometheus.Desc
	backlog  *prometheus.Desc
	latency  *prometheus.Desc
}

type engineGauge struct {
	desc *prometheus.Desc
	get  func(*engine.Stats) int64
}

type engineMetric struct {
	desc *prometheus.Desc
	get  func(*engine.Stats) uint64
}

func engineDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("logsieve_engine_"+name, help, append([]string{"engine"}, labels...), nil)
}

func newEngineCollector(f engineStatsSource) *engineCollector {
	c := &engineCollector{f: f}
	add := func(name, help string, get func(*engine.Stats) uint64) {
		c.counters = append(c.counters, engineMetric{engineDesc(name+"_total", help), get})
	}
	add("received", "Logs received.", func(s *engine.Stats) uint64 { return s.Received })
	add("stored", "Rows stored.", func(s *engine.Stats) uint64 { return s.Stored })
	add("unmatched", "Rows stored without any key matching.", func(s *engine.Stats) uint64 { return s.Unmatched })
	add("rejected", "Logs from unknown senders rejected.", func(s *engine.Stats) uint64 { return s.Rejected })
	add("dropped", "Logs dropped because the internal queue was full.", func(s *engine.Stats) uint64 { return s.Dropped })
	add("refused", "Logs refused while the engine was paused.", func(s *engine.Stats) uint64 { return s.Refused })
	add("kernel_drops", "Datagrams dropped by the kernel (socket overflow).", func(s *engine.Stats) uint64 { return s.KernelDrops })
	add("write_errors", "Rows lost to write errors.", func(s *engine.Stats) uint64 { return s.WriteErrors })
	add("connections", "TCP connections served.", func(s *engine.Stats) uint64 { return s.ConnectionsTotal })
	add("connections_refused", "TCP connections closed at once because max_connections were open.", func(s *engine.Stats) uint64 { return s.ConnectionsRefused })
	add("framing_errors", "TCP connections closed for a framing error or cut off mid-frame.", func(s *engine.Stats) uint64 { return s.FramingErrors })
	add("truncated", "TCP LF messages cut at max_message_bytes.", func(s *engine.Stats) uint64 { return s.Truncated })
	add("tls_errors", "TLS handshakes that failed or timed out.", func(s *engine.Stats) uint64 { return s.TLSErrors })
	add("spooled", "Logs appended to the overflow spool because the queue was full.", func(s *engine.Stats) uint64 { return s.Spooled })
	add("replayed", "Logs replayed from the overflow spool after a restart.", func(s *engine.Stats) uint64 { return s.Replayed })
	add("spool_corrupt", "Torn or corrupt overflow spool records skipped.", func(s *engine.Stats) uint64 { return s.SpoolCorrupt })
	add("received_bytes", "Bytes of the messages received (datagram payloads; stream messages without their framing).", func(s *engine.Stats) uint64 { return s.ReceivedBytes })
	gauge := func(name, help string, get func(*engine.Stats) int64) {
		c.gauges = append(c.gauges, engineGauge{engineDesc(name, help), get})
	}
	gauge("spool_bytes", "Bytes of the engine's overflow spool on disk.", func(s *engine.Stats) int64 { return s.SpoolBytes })
	gauge("spool_depth", "Logs waiting in the engine's overflow spool.", func(s *engine.Stats) int64 { return s.SpoolDepth })
	gauge("queue_depth", "Logs waiting in the engine's queue.", func(s *engine.Stats) int64 { return int64(s.QueueDepth) })
	gauge("connections", "TCP connections open now.", func(s *engine.Stats) int64 { return s.Connections })
	c.backlog = engineDesc("backpressure_seconds_total", "Seconds TCP connections waited for room in the queue (not reading).")
	c.up = engineDesc("running", "1 when the engine's state is running, else 0 (logsieve_engine_state has paused and the others).")
	c.state = engineDesc("state", "1 for the engine's state now, 0 for the others.", "state")
	c.latency = engineDesc("write_batch_duration_seconds", "Time one write batch (one transaction per day file) took.")
	return c
}

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.counters {
		ch <- m.desc
	}
	for _, g := range c.gauges {
		ch <- g.desc
	}
	ch <- c.backlog
	ch <- c.up
	ch <- c.state
	ch <- c.latency
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	var sum func(name string, own engine.Stats) clusterStats
	if c.scrape != nil {
		sum = c.scrape()
	}
	for _, e := range c.f.Engines() {
		st, err := c.f.Stats(e.Name)
		if err != nil {
			continue // deleted meanwhile
		}
		if sum != nil {
			st = sum(e.Name, st).Stats
		}
		for _, m := range c.counters {
			ch <- prometheus.MustNewConstMetric(m.desc, prometheus.CounterValue, float64(m.get(&st)), e.Name)
		}
		for _, g := range c.gauges {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(g.get(&st)), e.Name)
		}
		ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.CounterValue, float64(st.BackpressureMs)/1000, e.Name)
		up := 0.0
		if st.State == engine.StateRunning {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, e.Name)
		for _, s := range engineStates {
			v := 0.0
			if st.State == s {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, e.Name, s)
		}
		wl := st.WriteLatency
		buckets := make(map[float64]uint64, len(wl.Buckets))
		for i, n := range wl.Buckets {
			buckets[engine.WriteLatencyBuckets[i]] = n
		}
		ch <- prometheus.MustNewConstHistogram(c.latency, wl.Count, wl.Sum, buckets, e.Name)
	}
}

// diskCollector reports the file system of the data dir at scrape time.
type diskCollector struct {
	dir         string
	free, total *prometheus.Desc
}

func newDiskCollector(dir string) *diskCollector {
	return &diskCollector{dir: dir,
		free:  prometheus.NewDesc("logsieve_data_disk_free_bytes", "Bytes free (to unprivileged users) on the data dir's file system.", nil, nil),
		total: prometheus.NewDesc("logsieve_data_disk_size_bytes", "Size in bytes of the data dir's file system.", nil, nil)}
}

func (d *diskCollector) Describe(ch chan<- *prometheus.Desc) { ch <- d.free; ch <- d.total }

func (d *diskCollector) Collect(ch chan<- prometheus.Metric) {
	u, err := disk.Usage(d.dir)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(d.free, prometheus.GaugeValue, float64(u.Free))
	ch <- prometheus.MustNewConstMetric(d.total, prometheus.GaugeValue, float64(u.Total))
}

// metricsRegistry holds every collector of /metrics.
func (s *Server) metricsRegistry() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "logsieve_build_info",
		Help:        "Always 1; the labels name the version of logsieve and of Go it was built with.",
		ConstLabels: prometheus.Labels{"version": s.d.Version, "go": runtime.Version()}})
	build.Set(1)
	ec := newEngineCollector(s.d.Factory)
	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build,
		ec,
		newDiskCollector(s.d.DataDir),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "logsieve_alert_skipped_batches_total",
			Help: "Write batches the alert rules did not see because their queue was full."},
			func() float64 { return float64(s.d.Factory.Alerts().Skipped()) }),
	}
	if s.d.Cluster != nil {
		ec.scrape = s.clusterScrape
		cs = append(cs, newClusterCollector(s.d.Cluster), newNodeEngineCollector(s))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// metricsHandler serves GET /metrics in the Prometheus text format. It needs a token
// unless the setting metrics_public is on: a user's JWT (cookie or Bearer), or the
// static scrape token of the setting metrics_token as Bearer.
func (s *Server) metricsHandler() (fiber.Handler, error) {
	reg, err := s.metricsRegistry()
	if err != nil {
		return nil, err
	}
	h := adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return func(c *fiber.Ctx) error {
		st, err := s.d.Meta.Settings()
		if err != nil {
			return err
		}
		if st.MetricsPublic || scrapeTokenOK(c, st.MetricsToken) {
			return h(c)
		}
		p, err := s.d.Auth.Authenticate(auth.TokenFrom(c))
		if err != nil {
			return err
		}
		if p.MustChangePassword {
			return &auth.Error{Status: 403, Msg: "the password must be changed first"}
		}
		return h(c)
	}, nil
}

// scrapeTokenOK reports whether the request's Authorization header is "Bearer <want>"
// (want set; compared in constant time).
func scrapeTokenOK(c *fiber.Ctx, want string) bool {
	if want == "" {
		return false
	}
	scheme, got, ok := strings.Cut(strings.TrimSpace(c.Get(fiber.HeaderAuthorization)), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1
}
