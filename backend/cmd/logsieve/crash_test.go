package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/meta"
)

const crashAdminPW = "crash test admin pw"

// TestCrashHelperProcess is the server that TestKill9DuringIngest kills: the test
// binary re-executes itself with LOGSIEVE_CRASH_DATA set and runs serve there,
// writing the HTTP address to <data>/addr once it listens.
func TestCrashHelperProcess(t *testing.T) {
	dir := os.Getenv("LOGSIEVE_CRASH_DATA")
	if dir == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err := runServer(ctx, serveOptions{DataDir: dir, HTTPAddr: "127.0.0.1:0", Settings: meta.DefaultSettings(), AdminPW: crashAdminPW,
		Ready: func(a string) { _ = os.WriteFile(filepath.Join(dir, "addr"), []byte(a), 0o600) }}, io.Discard, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper server:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// child is one run of the helper server.
type child struct {
	cmd   *exec.Cmd
	base  string
	token string
	done  chan struct{} // closed when the process has exited
	err   error         // its exit status, once done
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	_ = os.Remove(filepath.Join(dir, "addr"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LOGSIEVE_CRASH_DATA="+dir, "LOGSIEVE_DEMO=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "addr")); err == nil && len(b) > 0 {
			c.base = "http://" + string(b)
			break
		}
		select {
		case <-c.done:
			t.Fatalf("server exited before listening: %v\n%s", c.err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not listen within 60s\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var login struct {
		Token string `json:"token"`
	}
	c.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": crashAdminPW}, 200, &login)
	c.token = login.Token
	return c
}

// call performs one API request and checks its status.
func (c *child) call(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s; got %d %s; want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

type crashStats struct {
	State    string `json:"state"`
	Received uint64 `json:"received"`
	Stored   uint64 `json:"stored"`
}

func (c *child) stats(t *testing.T) crashStats {
	t.Helper()
	var st crashStats
	c.call(t, "GET", "/api/v1/engines/crash/stats", nil, 200, &st)
	return st
}

func crashLine(n int) string {
	return fmt.Sprintf("<13>1 host app - - - seq n=%d %s", n, strings.Repeat("p", 120))
}

func TestKill9DuringIngestLeavesIntactPrefixAndRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server three times")
	}
	dir := t.TempDir()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()

	c := startChild(t, dir)
	c.call(t, "POST", "/api/v1/classes", map[string]any{"name": "seq", "patterns": map[string]string{"n": `n=(\d+)`}}, 201, nil)
	c.call(t, "POST", "/api/v1/engines", map[string]any{"name": "crash", "class": "seq", "bind": "127.0.0.1", "port": port}, 201, nil)

	// One sender, numbered logs in order, paced well under capacity so that no
	// log is dropped before the kill.
	conn, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var sent atomic.Int64
	stop := make(chan struct{})
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		n := 0
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for i := 0; i < 5; i++ {
					_, _ = conn.Write([]byte(crashLine(n)))
					n++
					sent.Store(int64(n))
				}
			}
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for c.stats(t).Stored < 2000 {
		if time.Now().After(deadline) {
			t.Fatalf("rows not stored in time: %+v", c.stats(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.done
	close(stop)
	<-senderDone
	total := int(sent.Load())

	// Restart on the same data: the engine comes back by itself and stores again.
	c = startChild(t, dir)
	if st := c.stats(t); st.State != "running" {
		t.Fatalf("engine after restart; got state %q; want running", st.State)
	}
	const after = 1_000_000
	conn2, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	for i := 0; i < 10; i++ {
		if _, err := conn2.Write([]byte(crashLine(after + i))); err != nil {
			t.Fatal(err)
		}
	}
	deadline = time.Now().Add(15 * time.Second)
	for c.stats(t).Stored < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("rows after restart not stored: %+v", c.stats(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-c.done
	if c.err != nil {
		t.Fatalf("server after SIGTERM: %v", c.err)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "engines", "crash", "*.sqlite3"))
	if len(files) == 0 {
		t.Fatal("no day file")
	}
	var seqs []int
	for _, f := range files {
		db, err := sql.Open("sqlite3", "file:"+f+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var res string
		if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
			t.Fatalf("integrity_check of %s; got %q, %v; want ok", f, res, err)
		}
		rows, err := db.Query("SELECT n, original_log FROM logs ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n, orig string
			if err := rows.Scan(&n, &orig); err != nil {
				t.Fatal(err)
			}
			i, err := strconv.Atoi(n)
			if err != nil || orig != crashLine(i) {
				t.Fatalf("garbled row n=%q original_log=%q", n, orig)
			}
			seqs = append(seqs, i)
		}
		rows.Close()
		db.Close()
	}
	// Before the kill: exactly 0..k-1 (a prefix of what was sent, no duplicate,
	// no gap); after the restart: the 10 new logs.
	k := len(seqs) - 10
	if k < 2000 || k > total {
		t.Fatalf("rows kept from before the kill; got %d; want 2000..%d", k, total)
	}
	for i := 0; i < k; i++ {
		if seqs[i] != i {
			t.Fatalf("row %d; got n=%d; want %d (stored rows must be a prefix of what was sent)", i, seqs[i], i)
		}
	}
	for i := 0; i < 10; i++ {
		if seqs[k+i] != after+i {
			t.Fatalf("row %d after restart; got n=%d; want %d", k+i, seqs[k+i], after+i)
		}
	}
	t.Logf("sent %d before the kill; %d stored (lost in flight: %d)", total, k, total-k)
}
