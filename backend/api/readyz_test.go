package api_test

import (
	"math"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/api"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/internal/apitest"
	"github.com/logsieve/logsieve/backend/meta"
)

// readyz calls GET /readyz (no token) and decodes its body.
func (e *env) readyz(t *testing.T) (int, api.Readiness) {
	t.Helper()
	r := e.Do(apitest.Request{Method: "GET", Path: "/readyz"})
	var body api.Readiness
	r.JSON(t, &body)
	if body.Ready != (r.Status == http.StatusOK) {
		t.Fatalf("readyz status %d disagrees with its body %s", r.Status, r.Body)
	}
	return r.Status, body
}

// waitReady polls /readyz until its status is want (5 s at most).
func (e *env) waitReady(t *testing.T, want int) api.Readiness {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, body := e.readyz(t)
		if st == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz; got %d %v; want %d", st, body.Reasons, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) healthzOK(t *testing.T) {
	t.Helper()
	if r := e.Do(apitest.Request{Method: "GET", Path: "/healthz"}); r.Status != 200 || string(r.Body) != "ok" {
		t.Fatalf("healthz; got %d %q; want 200 ok", r.Status, r.Body)
	}
}

func hasReason(reasons []string, sub string) bool {
	for _, r := range reasons {
		if strings.Contains(r, sub) {
			return true
		}
	}
	return false
}

func TestReadyzFailsWhileAnEnabledEngineIsNotRunning(t *testing.T) {
	held, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.LocalAddr().(*net.UDPAddr).Port
	e := newEnvWith(t, envOptions{beforeFactory: func(db *meta.DB) {
		// An engine stored enabled whose port another socket holds: Boot fails it.
		if err := db.SaveClass(meta.ClassRecord{Name: "mikrotik",
			Patterns: meta.EncodePatterns(factory.MikrotikPatterns, factory.MikrotikKeys)}); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveEngine(meta.EngineRecord{Name: "edge", Class: "mikrotik", Protocol: "udp", Bind: "127.0.0.1",
			Port: port, Timezone: "UTC", Enabled: true, SyslogHeader: "none"}); err != nil {
			t.Fatal(err)
		}
	}})
	st, body := e.readyz(t)
	if st != http.StatusServiceUnavailable || !hasReason(body.Reasons, `engine "edge" is enabled but failed`) {
		t.Fatalf("readyz with a failed engine; got %d %q; want 503 naming engine \"edge\"", st, body.Reasons)
	}
	e.healthzOK(t)

	_ = held.Close()
	if r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/engines/edge/start", Token: e.admin}); r.Status != 200 {
		t.Fatalf("start; got %d %s", r.Status, r.Body)
	}
	if st, body := e.readyz(t); st != 200 || len(body.Reasons) != 0 {
		t.Fatalf("readyz with the engine running; got %d %q; want 200 and no reason", st, body.Reasons)
	}
	// A stopped engine is disabled (POST /stop): not a reason.
	if r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/engines/edge/stop", Token: e.admin}); r.Status != 200 {
		t.Fatalf("stop; got %d %s", r.Status, r.Body)
	}
	if st, body := e.readyz(t); st != 200 {
		t.Fatalf("readyz with the engine stopped by hand; got %d %q; want 200", st, body.Reasons)
	}
}

func TestReadyzFailsWhileTheDiskIsPastTheGuard(t *testing.T) {
	var free atomic.Uint64
	free.Store(math.Float64bits(50))
	e := newEnvWith(t, envOptions{factory: func(c *factory.Config) {
		c.MinFreePercent, c.DiskFullPolicy = 10, meta.PolicyPause
		c.DiskCheckEvery = 10 * time.Millisecond
		c.FreeSpace = func(string) (float64, error) { return math.Float64frombits(free.Load()), nil }
	}})
	e.waitReady(t, 200)
	free.Store(math.Float64bits(4))
	body := e.waitReady(t, http.StatusServiceUnavailable)
	if !hasReason(body.Reasons, "disk") {
		t.Fatalf("readyz reasons %q; want one about the disk", body.Reasons)
	}
	e.healthzOK(t)
	free.Store(math.Float64bits(50))
	e.waitReady(t, 200)
}

func TestReadyzFailsWhileTheMetadataDBIsUnavailable(t *testing.T) {
	e := newEnv(t)
	e.waitReady(t, 200)
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	st, body := e.readyz(t)
	if st != http.StatusServiceUnavailable || !hasReason(body.Reasons, "metadata database") {
		t.Fatalf("readyz with the metadata DB closed; got %d %q; want 503 naming the metadata database", st, body.Reasons)
	}
	e.healthzOK(t)
}
