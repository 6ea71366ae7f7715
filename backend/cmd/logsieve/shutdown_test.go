package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/logsieve/logsieve/backend/meta"
)

// server is one in-process run of runServer on 127.0.0.1:0.
type server struct {
	child                 // base and admin token, for call
	cancel func()         // ends the run (as SIGTERM does in serve)
	done   chan error     // receives runServer's result
	stderr *syncBuffer    // the server's log
	dir    string         // its data dir
	ports  map[string]int // engine name -> UDP port
}

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
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

// startServer runs runServer in a new data dir and logs in as admin.
func startServer(t *testing.T) *server { return startServerWith(t, nil) }

// startServerWith is startServer with options adjusted by tune.
func startServerWith(t *testing.T, tune func(*serveOptions)) *server {
	t.Helper()
	s := &server{dir: t.TempDir(), done: make(chan error, 1), stderr: &syncBuffer{}, ports: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	ready := make(chan string, 1)
	o := serveOptions{DataDir: s.dir, HTTPAddr: "127.0.0.1:0", Settings: meta.DefaultSettings(),
		AdminPW: crashAdminPW, Ready: func(a string) { ready <- a }}
	if tune != nil {
		tune(&o)
	}
	go func() {
		s.done <- runServer(ctx, o, &bytes.Buffer{}, s.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Errorf("server did not stop within 30s")
		}
	})
	select {
	case a := <-ready:
		s.base = "http://" + a
	case err := <-s.done:
		t.Fatalf("server stopped early: %v\n%s", err, s.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not become ready")
	}
	var login struct {
		Token string `json:"token"`
	}
	s.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": crashAdminPW}, 200, &login)
	s.token = login.Token
	return s
}

// addEngine creates class seq (if needed) and engine name on a free UDP port.
func (s *server) addEngine(t *testing.T, name string) int {
	t.Helper()
	if len(s.ports) == 0 {
		s.call(t, "POST", "/api/v1/classes", map[string]any{"name": "seq", "patterns": map[string]string{"n": `n=(\d+)`}}, 201, nil)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	s.call(t, "POST", "/api/v1/engines", map[string]any{"name": name, "class": "seq", "bind": "127.0.0.1", "port": port}, 201, nil)
	s.ports[name] = port
	return port
}

// engineStats returns the counters of engine name.
func (c *child) engineStats(t *testing.T, name string) crashStats {
	t.Helper()
	var st crashStats
	c.call(t, "GET", "/api/v1/engines/"+name+"/stats", nil, 200, &st)
	return st
}

// sendSeq sends the numbered logs from..to-1 to port and waits until engine name has
// received them all (accepted, not necessarily written).
func sendSeq(t *testing.T, c *child, name string, port, from, to int) {
	t.Helper()
	conn, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := from; i < to; i++ {
		if _, err := conn.Write([]byte(crashLine(i))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for c.engineStats(t, name).Received < uint64(to) {
		if time.Now().After(deadline) {
			t.Fatalf("engine %q did not receive %d logs: %+v", name, to, c.engineStats(t, name))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dayRows returns the n column of every row in engine name's day files, in id order.
func dayRows(t *testing.T, dir, name string) []int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "engines", name, "*.sqlite3"))
	var out []int
	for _, f := range files {
		db, err := sql.Open("sqlite3", "file:"+f+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("SELECT n FROM logs ORDER BY id")
		if err != nil {
			db.Close()
			t.Fatalf("cannot read %s: %v", f, err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			i, _ := strconv.Atoi(n)
			out = append(out, i)
		}
		rows.Close()
		db.Close()
	}
	return out
}

// checkSeq fails unless rows are exactly 0..n-1.
func checkSeq(t *testing.T, rows []int, n int) {
	t.Helper()
	if len(rows) != n {
		t.Fatalf("rows in the day file; got %d; want %d (every accepted log)", len(rows), n)
	}
	for i, v := range rows {
		if v != i {
			t.Fatalf("row %d; got n=%d; want %d", i, v, i)
		}
	}
}

// dialWS opens a websocket as token. A receive buffer of rcvBuf bytes (0: the default)
// lets a client that never reads fill the server's socket quickly.
func dialWS(t *testing.T, base, token string, rcvBuf int) *websocket.Conn {
	t.Helper()
	d := *websocket.DefaultDialer
	d.NetDial = func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if err == nil && rcvBuf > 0 {
			_ = c.(*net.TCPConn).SetReadBuffer(rcvBuf)
		}
		return c, err
	}
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/ws"
	conn, resp, err := d.Dial(u, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatalf("websocket dial: %v %v", resp, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestStopWithOpenWebsocketsIsBoundedAndFlushes: websocket clients that tail a busy
// engine and never read, or never send anything and never close, and an HTTP client
// stalled halfway through its request must not hold the stop up: runServer returns
// within 5 s, every log accepted before the stop is in the day file, and a websocket
// client that does read gets the close code 1001.
func TestStopWithOpenWebsocketsIsBoundedAndFlushes(t *testing.T) {
	s := startServer(t)
	port := s.addEngine(t, "stop")

	stuck := dialWS(t, s.base, s.token, 4096) // tails, never reads
	if err := stuck.WriteJSON(map[string]string{"type": "tail", "engine": "stop"}); err != nil {
		t.Fatal(err)
	}
	_ = dialWS(t, s.base, s.token, 0) // never reads, never writes, never closes
	reader := dialWS(t, s.base, s.token, 0)
	closeCode := make(chan int, 1)
	go func() {
		for {
			if _, _, err := reader.ReadMessage(); err != nil {
				code := -1
				if ce, ok := err.(*websocket.CloseError); ok {
					code = ce.Code
				}
				closeCode <- code
				return
			}
		}
	}()
	stalled, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := stalled.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")); err != nil { // never finished
		t.Fatal(err)
	}
	const n = 20000
	sendSeq(t, &s.child, "stop", port, 0, n)

	start := time.Now()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("runServer returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("runServer did not return within 5s of the stop\n%s", s.stderr.String())
	}
	t.Logf("stopped in %v", time.Since(start).Round(time.Millisecond))
	select {
	case code := <-closeCode:
		if code != websocket.CloseGoingAway {
			t.Errorf("close code of the reading client; got %d; want %d", code, websocket.CloseGoingAway)
		}
	case <-time.After(2 * time.Second):
		t.Error("the reading client's connection was not closed")
	}
	s.done <- nil // for the cleanup
	checkSeq(t, dayRows(t, s.dir, "stop"), n)
	if got := fmt.Sprint(s.stderr.String()); !strings.Contains(got, "every accepted log is written") {
		t.Errorf("the stop did not finish; log:\n%s", got)
	}
}
