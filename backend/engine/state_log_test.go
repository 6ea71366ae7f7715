package engine

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"sync"
	"testing"
)

// lockedBuffer is a log sink safe for the engine's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// stateLines returns the "engine state changed" lines of a JSON log as
// engine/from/to[/reason] strings.
func (l *lockedBuffer) stateLines(t *testing.T) []map[string]string {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, line := range bytes.Split(bytes.TrimSpace(l.b.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] != "engine state changed" {
			continue
		}
		r := map[string]string{}
		for _, k := range []string{"level", "engine", "state", "from", "reason"} {
			if v, ok := m[k].(string); ok {
				r[k] = v
			}
		}
		out = append(out, r)
	}
	return out
}

// TestEngineLogsOneLinePerStateChange: start, pause, resume, stop and a failed start
// each write one line naming the engine, the new state and the one before.
func TestEngineLogsOneLinePerStateChange(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	e := New(Config{Name: "edge", Bind: "127.0.0.1", Dir: t.TempDir(), Log: log}, mikrotik(t))
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	e.Pause("disk full")
	e.Pause("disk full") // no change, no line
	e.Resume("space is back")
	addr := e.Addr()
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	held, err := net.ListenPacket("udp", addr) // the port the engine had: its next start fails
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	e2 := New(Config{Name: "edge", Bind: "127.0.0.1", Port: held.LocalAddr().(*net.UDPAddr).Port, Dir: t.TempDir(), Log: log}, mikrotik(t))
	if err := e2.Start(); err == nil {
		_ = e2.Stop()
		t.Fatal("start on a held port succeeded")
	}
	want := []struct{ level, from, to string }{
		{"INFO", "stopped", "running"},
		{"WARN", "running", "paused"},
		{"INFO", "paused", "running"},
		{"INFO", "running", "stopped"},
		{"ERROR", "stopped", "failed"},
	}
	got := buf.stateLines(t)
	if len(got) != len(want) {
		t.Fatalf("unexpected state lines; got %v; want %d", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g["engine"] != "edge" || g["level"] != w.level || g["from"] != w.from || g["state"] != w.to {
			t.Errorf("state line %d; got %v; want engine edge %s %s -> %s", i, g, w.level, w.from, w.to)
		}
	}
	if got[1]["reason"] != "disk full" || got[4]["reason"] == "" {
		t.Errorf("lines without their reason: %v", got)
	}
}
