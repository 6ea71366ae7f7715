package api

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/factory"
)

// engineStatsSource is what the collector reads (*factory.Factory).
type engineStatsSource interface {
	Engines() []factory.EngineInfo
	Stats(name string) (engine.Stats, error)
}

// engineCollector reads every engine's counters from the factory at scrape time.
type engineCollector struct {
	f        engineStatsSource
	counters []engineMetric
	depth    *prometheus.Desc
	conns    *prometheus.Desc
	up       *prometheus.Desc
	spool    []engineGauge
}

type engineGauge struct {
	desc *prometheus.Desc
	get  func(*engine.Stats) int64
}

type engineMetric struct {
	desc *prometheus.Desc
	get  func(*engine.Stats) uint64
}

func newEngineCollector(f engineStatsSource) *engineCollector {
	c := &engineCollector{f: f}
	add := func(name, help string, get func(*engine.Stats) uint64) {
		c.counters = append(c.counters, engineMetric{
			prometheus.NewDesc("logsieve_engine_"+name+"_total", help, []string{"engine"}, nil), get})
	}
	add("received", "Datagrams received.", func(s *engine.Stats) uint64 { return s.Received })
	add("stored", "Rows stored.", func(s *engine.Stats) uint64 { return s.Stored })
	add("unmatched", "Rows stored without any key matching.", func(s *engine.Stats) uint64 { return s.Unmatched })
	add("rejected", "Datagrams from unknown senders rejected.", func(s *engine.Stats) uint64 { return s.Rejected })
	add("dropped", "Logs dropped because the internal queue was full.", func(s *engine.Stats) uint64 { return s.Dropped })
	add("refused", "Logs refused while the engine was paused.", func(s *engine.Stats) uint64 { return s.Refused })
	add("kernel_drops", "Datagrams dropped by the kernel (socket overflow).", func(s *engine.Stats) uint64 { return s.KernelDrops })
	add("write_errors", "Rows lost to write errors.", func(s *engine.Stats) uint64 { return s.WriteErrors })
	add("connections", "TCP connections served.", func(s *engine.Stats) uint64 { return s.ConnectionsTotal })
	add("connections_refused", "TCP connections closed at once because max_connections were open.", func(s *engine.Stats) uint64 { return s.ConnectionsRefused })
	add("framing_errors", "TCP connections closed for a framing error or cut off mid-frame.", func(s *engine.Stats) uint64 { return s.FramingErrors })
	add("truncated", "TCP LF messages cut at max_message_bytes.", func(s *engine.Stats) uint64 { return s.Truncated })
	add("backpressure_ms", "Milliseconds TCP connections waited for room in the queue (not reading).", func(s *engine.Stats) uint64 { return s.BackpressureMs })
	add("tls_errors", "TLS handshakes that failed or timed out.", func(s *engine.Stats) uint64 { return s.TLSErrors })
	add("spooled", "Logs appended to the overflow spool because the queue was full.", func(s *engine.Stats) uint64 { return s.Spooled })
	add("replayed", "Logs replayed from the overflow spool after a restart.", func(s *engine.Stats) uint64 { return s.Replayed })
	add("spool_corrupt", "Torn or corrupt overflow spool records skipped.", func(s *engine.Stats) uint64 { return s.SpoolCorrupt })
	gauge := func(name, help string, get func(*engine.Stats) int64) {
		c.spool = append(c.spool, engineGauge{prometheus.NewDesc("logsieve_engine_"+name, help, []string{"engine"}, nil), get})
	}
	gauge("spool_bytes", "Bytes of the engine's overflow spool on disk.", func(s *engine.Stats) int64 { return s.SpoolBytes })
	gauge("spool_depth", "Logs waiting in the engine's overflow spool.", func(s *engine.Stats) int64 { return s.SpoolDepth })
	c.depth = prometheus.NewDesc("logsieve_engine_queue_depth", "Logs waiting in the engine's queue.", []string{"engine"}, nil)
	c.conns = prometheus.NewDesc("logsieve_engine_connections", "TCP connections open now.", []string{"engine"}, nil)
	c.up = prometheus.NewDesc("logsieve_engine_running", "1 when the engine is running.", []string{"engine"}, nil)
	return c
}

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.counters {
		ch <- m.desc
	}
	for _, g := range c.spool {
		ch <- g.desc
	}
	ch <- c.depth
	ch <- c.conns
	ch <- c.up
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	for _, e := range c.f.Engines() {
		st, err := c.f.Stats(e.Name)
		if err != nil {
			continue // deleted meanwhile
		}
		for _, m := range c.counters {
			ch <- prometheus.MustNewConstMetric(m.desc, prometheus.CounterValue, float64(m.get(&st)), e.Name)
		}
		for _, g := range c.spool {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(g.get(&st)), e.Name)
		}
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(st.QueueDepth), e.Name)
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(st.Connections), e.Name)
		up := 0.0
		if st.State == "running" {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, e.Name)
	}
}

// metricsHandler serves GET /metrics in the Prometheus text format; it needs a token unless
// the setting metrics_public is on.
func (s *Server) metricsHandler() (fiber.Handler, error) {
	reg := prometheus.NewRegistry()
	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newEngineCollector(s.d.Factory),
	}
	if s.d.Cluster != nil {
		cs = append(cs, newClusterCollector(s.d.Cluster))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	h := adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return func(c *fiber.Ctx) error {
		st, err := s.d.Meta.Settings()
		if err != nil {
			return err
		}
		if !st.MetricsPublic {
			p, err := s.d.Auth.Authenticate(auth.TokenFrom(c))
			if err != nil {
				return err
			}
			if p.MustChangePassword {
				return &auth.Error{Status: 403, Msg: "the password must be changed first"}
			}
		}
		return h(c)
	}, nil
}
