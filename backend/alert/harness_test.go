package alert_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/alert"
	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
)

// clock is a test clock; After moves it on by d and fires at once, so a
// backoff of an hour takes no time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) After(d time.Duration) <-chan time.Time {
	c.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

// fakeEngines answers the manager's questions about engines; the engine
// called "fw" has the test class's columns.
type fakeEngines struct {
	mu     sync.Mutex
	events []string
	health []alert.EngineHealth
	free   float64
}

func (f *fakeEngines) EngineColumns(name string) ([]string, bool) {
	if name != "" && name != "fw" {
		return nil, false
	}
	return alert.RowColumns([]string{"msg", "user"}), true
}

func (f *fakeEngines) EngineEvent(name, level, msg string) {
	f.mu.Lock()
	f.events = append(f.events, name+" "+level+" "+msg)
	f.mu.Unlock()
}

func (f *fakeEngines) Events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

func (f *fakeEngines) EngineHealth() []alert.EngineHealth {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]alert.EngineHealth(nil), f.health...)
}

func (f *fakeEngines) setHealth(h ...alert.EngineHealth) {
	f.mu.Lock()
	f.health = h
	f.mu.Unlock()
}

func (f *fakeEngines) DiskFreePercent() (float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.free, nil
}

// newManager starts a manager on a fresh metadata DB with the test clock.
func newManager(t *testing.T, fe *fakeEngines, c *clock, tune ...func(*alert.Config)) *alert.Manager {
	t.Helper()
	m := newStoppedManager(t, fe, c, tune...)
	m.Start()
	return m
}

// newStoppedManager is newManager without Start: nothing reads its queue.
func newStoppedManager(t *testing.T, fe *fakeEngines, c *clock, tune ...func(*alert.Config)) *alert.Manager {
	t.Helper()
	db, err := meta.Open(filepath.Join(t.TempDir(), "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := alert.Config{Meta: db, Engines: fe, Now: c.Now, After: c.After, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		HealthEvery: time.Hour}
	for _, fn := range tune {
		fn(&cfg)
	}
	m, err := alert.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.Close()
		_ = db.Close()
	})
	return m
}

// startEngine runs a real UDP engine "fw" (keys msg and user) whose rows go
// to m, and returns it and its address.
func startEngine(t *testing.T, m *alert.Manager) (*engine.Engine, string) {
	t.Helper()
	cls, err := class.Compile("t", map[string]string{"msg": `msg=(\S+)`, "user": `user=(\S+)`}, []string{"msg", "user"})
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Name: "fw", Bind: "127.0.0.1", Dir: t.TempDir(), FlushEvery: 20 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, cls)
	e.SetRowSink(m)
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	return e, e.Addr()
}

func sendUDP(t *testing.T, addr string, lines ...string) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, l := range lines {
		if _, err := c.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls cond until it holds, failing after 10 s with what.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// receiver is a local HTTP endpoint that answers each call with the next
// status of plan (200 once plan is used up) and keeps the bodies.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	plan   []int
	bodies []string
	paths  []string
}

func newReceiver(t *testing.T, plan ...int) *receiver {
	t.Helper()
	r := &receiver{plan: plan}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies, r.paths = append(r.bodies, string(b)), append(r.paths, req.URL.Path)
		st := 200
		if len(r.plan) > 0 {
			st, r.plan = r.plan[0], r.plan[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(st)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) Bodies() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// statuses returns the statuses of a channel's recorded attempts, oldest first.
func statuses(t *testing.T, m *alert.Manager, ch string) []string {
	t.Helper()
	ds, err := m.Deliveries(ch, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(ds) - 1; i >= 0; i-- {
		out = append(out, ds[i].Status)
	}
	return out
}

func joined(s []string) string { return strings.Join(s, ",") }
