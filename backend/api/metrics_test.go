package api_test

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// scrape reads /metrics with token and parses it; the body is returned too.
func (e *env) scrape(t *testing.T, token string) (map[string]*dto.MetricFamily, []byte) {
	t.Helper()
	r := e.Do(apitest.Request{Method: "GET", Path: "/metrics", Token: token})
	if r.Status != 200 {
		t.Fatalf("metrics; got %d %s; want 200", r.Status, r.Body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	return mfs, r.Body
}

// metricValue returns the value of the sample of family name whose labels include want.
func metricValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("metric %s is missing", name)
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("metric %s has no sample with labels %v", name, want)
	return 0
}

func TestMetricsPassPromlintAndNameTheOperatorsGauges(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	port := e.createEngine(t, "edge")
	lines := []string{"a msg=one", "b msg=two", "c msg=three"}
	sendUDP(t, port, lines...)
	deadline := time.Now().Add(10 * time.Second)
	for e.stats(t, "edge").Stored < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the 3 logs were not stored within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mfs, body := e.scrape(t, e.viewer)

	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}

	edge := map[string]string{"engine": "edge"}
	if v := metricValue(t, mfs, "logsieve_build_info", map[string]string{"version": "test", "go": runtime.Version()}); v != 1 {
		t.Errorf("logsieve_build_info = %v; want 1", v)
	}
	if v := metricValue(t, mfs, "logsieve_engine_state", map[string]string{"engine": "edge", "state": "running"}); v != 1 {
		t.Errorf("engine state running = %v; want 1", v)
	}
	if v := metricValue(t, mfs, "logsieve_engine_state", map[string]string{"engine": "edge", "state": "failed"}); v != 0 {
		t.Errorf("engine state failed = %v; want 0", v)
	}
	wantBytes := 0
	for _, l := range lines {
		wantBytes += len(l)
	}
	if v := metricValue(t, mfs, "logsieve_engine_received_bytes_total", edge); v != float64(wantBytes) {
		t.Errorf("received bytes = %v; want %d", v, wantBytes)
	}
	if v := metricValue(t, mfs, "logsieve_engine_write_batch_duration_seconds", edge); v < 1 {
		t.Errorf("write batches observed = %v; want at least 1", v)
	}
	if v := metricValue(t, mfs, "logsieve_data_disk_free_bytes", nil); v <= 0 {
		t.Errorf("disk free = %v; want > 0", v)
	}
	// The names kept from before (docs/operations.md), one of each kind.
	for _, n := range []string{"logsieve_engine_received_total", "logsieve_engine_stored_total", "logsieve_engine_kernel_drops_total",
		"logsieve_engine_queue_depth", "logsieve_engine_connections", "logsieve_engine_connections_total",
		"logsieve_engine_spool_bytes", "logsieve_engine_spool_depth", "logsieve_engine_spooled_total",
		"logsieve_engine_running", "logsieve_engine_backpressure_seconds_total", "logsieve_data_disk_size_bytes"} {
		metricValue(t, mfs, n, nil)
	}
	if v := metricValue(t, mfs, "logsieve_engine_stored_total", edge); v != 3 {
		t.Errorf("stored = %v; want 3", v)
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMetricsTokenScrapesAndIsNeverShownOrLogged(t *testing.T) {
	var log syncBuffer
	e := newEnvWith(t, envOptions{log: &log})
	const token = "scrape-token-0123456789abcdef"
	const short = "tooshort-secret"
	e.Run(t, []apitest.Scenario{
		{Name: "no token yet", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: token}, Status: 401},
		{Name: "too short", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin,
			Body: `{"metrics_token":"` + short + `"}`}, Status: 400, Field: "metrics_token"},
		{Name: "viewer cannot set", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.viewer,
			Body: `{"metrics_token":"` + token + `"}`}, Status: 403},
		{Name: "admin sets", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin,
			Body: `{"metrics_token":"` + token + `"}`}, Status: 200},
		{Name: "scrape with the token", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: token}, Status: 200,
			Contains: []string{"logsieve_build_info"}},
		{Name: "scrape with a JWT still", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: e.viewer}, Status: 200},
		{Name: "wrong token", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: token + "x"}, Status: 401},
		{Name: "the token is no API token", Request: apitest.Request{Method: "GET", Path: "/api/v1/settings", Token: token}, Status: 401},
		{Name: "settings round trip keeps it", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin,
			Body: `{"log_level":"debug"}`}, Status: 200},
		{Name: "still scrapes", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: token}, Status: 200},
	})
	for _, r := range []*apitest.Response{
		e.Do(apitest.Request{Method: "GET", Path: "/api/v1/settings", Token: e.admin}),
		e.Do(apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin, Body: `{"metrics_public":false}`}),
		e.Do(apitest.Request{Method: "GET", Path: "/api/v1/audit", Token: e.admin}),
	} {
		if r.Status != 200 || strings.Contains(string(r.Body), token) || strings.Contains(string(r.Body), "metrics_token") {
			t.Errorf("an answer shows the metrics token; got %d %s", r.Status, r.Body)
		}
	}
	if s := log.String(); strings.Contains(s, token) || strings.Contains(s, short) {
		t.Errorf("the log shows the metrics token:\n%s", s)
	}
	e.Run(t, []apitest.Scenario{
		{Name: "cleared", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin,
			Body: `{"metrics_token":""}`}, Status: 200},
		{Name: "no longer scrapes", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: token}, Status: 401},
	})
}
