package engine

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/realclient"
)

// startTCPEngine starts a tcp engine on 127.0.0.1 with a short flush.
func startTCPEngine(t *testing.T, cfg Config) (*Engine, string) {
	t.Helper()
	cfg.Protocol = "tcp"
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	cfg.KeepOriginal = true
	return startEngine(t, cfg, mikrotik(t))
}

// dialTCP opens a client connection; it closes with the test.
func dialTCP(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
}

// originals returns the original_log of every stored row, in id order.
func originals(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range dayFiles(t, dir) {
		for _, r := range readRows(t, f) {
			out = append(out, r["original_log"])
		}
	}
	return out
}

// waitClosedByServer waits until the server has closed c (a read sees EOF or a reset).
func waitClosedByServer(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Read(make([]byte, 1))
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection not closed by the server: %v", err)
	}
}

func checkIdentity(t *testing.T, st Stats) {
	t.Helper()
	if st.Received != st.Stored+st.Rejected+st.Dropped+st.Refused+st.WriteErrors {
		t.Fatalf("accounting identity broken: %+v", st)
	}
}

func TestTCPLoggerLFAndOctetCountedAreStored(t *testing.T) {
	realclient.Require(t, "logger")
	dir := t.TempDir()
	e, addr := startTCPEngine(t, Config{Dir: dir})
	_, port, _ := net.SplitHostPort(addr)
	for _, extra := range [][]string{nil, {"--octet-count"}} {
		args := append([]string{"--tcp", "-n", "127.0.0.1", "-P", port}, extra...)
		out, err := exec.Command("logger", append(args, mikrotikLog)...).CombinedOutput()
		if err != nil {
			t.Fatalf("logger %v failed: %v %s", extra, err, out)
		}
	}
	waitStored(t, e, 2)
	rows := readRows(t, dayFiles(t, dir)[0])
	if len(rows) != 2 {
		t.Fatalf("got %d rows; want 2", len(rows))
	}
	for i, r := range rows {
		want := map[string]string{"pppoe": "RRWLkNYEZ", "router_identity": "T8Y45jGZY",
			"destination_ip": "176.13.130.56", "destination_port": "13878", "log_sender_ip": "127.0.0.1", "client": "<nil>"}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("row %d: unexpected %s; got %q; want %q", i, k, r[k], v)
			}
		}
		o := r["original_log"]
		if !strings.HasPrefix(o, "<13>") || !strings.HasSuffix(o, " "+mikrotikLog) || strings.ContainsAny(o, "\r\n") {
			t.Errorf("row %d: unexpected original_log %q; want logger's header, then the message, no LF", i, o)
		}
	}
	waitFor(t, 5*time.Second, "both connections to close", func() bool { return e.Stats().Connections == 0 })
	st := e.Stats()
	if st.ConnectionsTotal != 2 || st.FramingErrors != 0 || st.Received != 2 {
		t.Fatalf("unexpected stats %+v", st)
	}
}

func TestTCPMixedFramingSplitAcrossWritesKeepsOrder(t *testing.T) {
	dir := t.TempDir()
	e, addr := startTCPEngine(t, Config{Dir: dir})
	c := dialTCP(t, addr)
	s, want := mixedFramedStream(200, "\r\n")
	for i := 0; i < len(s); i += 7 { // every frame split across several writes
		write(t, c, s[i:min(i+7, len(s))])
	}
	waitStored(t, e, uint64(len(want)))
	got := originals(t, dir)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("unexpected rows; got %q; want %q", got, want)
	}
	conns := e.Connections()
	if len(conns) != 1 || conns[0].Messages != 200 || conns[0].Bytes != uint64(len(s)) || conns[0].Peer != c.LocalAddr().String() {
		t.Fatalf("unexpected connections %+v; want one from %s with 200 messages, %d bytes", conns, c.LocalAddr(), len(s))
	}
}

func TestTCPLongLFMessageIsCutAndCounted(t *testing.T) {
	dir := t.TempDir()
	e, addr := startTCPEngine(t, Config{Dir: dir, MaxMessageBytes: 100})
	c := dialTCP(t, addr)
	long := strings.Repeat("y", 5000)
	write(t, c, long+"\nshort\n")
	waitStored(t, e, 2)
	got := originals(t, dir)
	if len(got) != 2 || got[0] != long[:100] || got[1] != "short" {
		t.Fatalf("unexpected rows; got %q; want the long line cut at 100 bytes, then short", got)
	}
	if st := e.Stats(); st.Truncated != 1 || st.FramingErrors != 0 || st.Connections != 1 {
		t.Fatalf("unexpected stats %+v; want truncated 1, the connection open", st)
	}
}

func TestTCPOversizeOctetCountClosesOnlyThatConnection(t *testing.T) {
	dir := t.TempDir()
	e, addr := startTCPEngine(t, Config{Dir: dir, MaxMessageBytes: 100})
	good, bad := dialTCP(t, addr), dialTCP(t, addr)
	write(t, good, "first\n")
	waitStored(t, e, 1)
	write(t, bad, "2 ok101 "+strings.Repeat("z", 101))
	waitClosedByServer(t, bad)
	waitEvent(t, e.Events(), "octet count 101 above max_message_bytes 100")
	write(t, good, "second\n")
	waitStored(t, e, 3)
	got := originals(t, dir)
	if strings.Join(got, ",") != "first,ok,second" {
		t.Fatalf("unexpected rows; got %q; want first, ok, second", got)
	}
	st := e.Stats()
	if st.FramingErrors != 1 || st.Connections != 1 || st.ConnectionsTotal != 2 {
		t.Fatalf("unexpected stats %+v; want one framing error, the good connection still open", st)
	}
	checkIdentity(t, st)
}

func TestTCPGarbageIsStoredOrClosesTheConnection(t *testing.T) {
	dir := t.TempDir()
	e, addr := startTCPEngine(t, Config{Dir: dir})
	c := dialTCP(t, addr)
	write(t, c, "\x00\xff\xfe binary\x01junk\n")
	write(t, c, "9x not a count\n")
	write(t, c, "99999999 too big\n")
	waitClosedByServer(t, c)
	waitStored(t, e, 2)
	if got := originals(t, dir); len(got) != 2 || got[0] != "\x00\xff\xfe binary\x01junk" || got[1] != "9x not a count" {
		t.Fatalf("unexpected rows; got %q", got)
	}
	waitEvent(t, e.Events(), `octet count 99999999 above max_message_bytes`)
	if st := e.Stats(); st.FramingErrors != 1 {
		t.Fatalf("unexpected stats %+v; want one framing error", st)
	}
}

func TestTCPFrameCutOffByDisconnectIsNotStoredButCounted(t *testing.T) {
	dir := t.TempDir()
	e, addr := startTCPEngine(t, Config{Dir: dir})
	for _, partial := range []string{"50 only part of the frame", "an LF message without its LF"} {
		c := dialTCP(t, addr)
		write(t, c, "5 whole")
		write(t, c, "also whole\n")
		write(t, c, partial)
		c.Close()
	}
	waitFor(t, 5*time.Second, "two framing errors", func() bool { return e.Stats().FramingErrors == 2 })
	waitStored(t, e, 4)
	waitEvent(t, e.Events(), "ended mid-frame")
	got := originals(t, dir)
	if strings.Join(got, ",") != "whole,also whole,whole,also whole" {
		t.Fatalf("unexpected rows; got %q; want the whole frames only", got)
	}
	checkIdentity(t, e.Stats())
}

func TestTCPMaxConnectionsRefusesTheNext(t *testing.T) {
	const limit = 20
	e, addr := startTCPEngine(t, Config{MaxConnections: limit})
	conns := make([]net.Conn, limit)
	for i := range conns {
		conns[i] = dialTCP(t, addr)
	}
	waitFor(t, 5*time.Second, "20 open connections", func() bool { return e.Stats().Connections == limit })
	over := dialTCP(t, addr)
	waitClosedByServer(t, over)
	waitEvent(t, e.Events(), "refused: max_connections (20) are open")
	if st := e.Stats(); st.ConnectionsRefused != 1 || st.Connections != limit || st.ConnectionsTotal != limit {
		t.Fatalf("unexpected stats %+v", st)
	}
	conns[0].Close()
	waitFor(t, 5*time.Second, "a free connection slot", func() bool { return e.Stats().Connections == limit-1 })
	next := dialTCP(t, addr)
	write(t, next, "after the limit\n")
	waitStored(t, e, 1)
}

func TestTCPIdleConnectionIsClosed(t *testing.T) {
	e, addr := startTCPEngine(t, Config{IdleTimeout: 50 * time.Millisecond})
	c := dialTCP(t, addr)
	write(t, c, "one\n")
	waitClosedByServer(t, c)
	waitEvent(t, e.Events(), "idle")
	waitFor(t, 5*time.Second, "no open connection", func() bool { return e.Stats().Connections == 0 })
	waitStored(t, e, 1)
	if st := e.Stats(); st.Stored != 1 || st.FramingErrors != 0 {
		t.Fatalf("unexpected stats %+v", st)
	}
}

func TestTCPUnknownSenderIsRejectedAtAccept(t *testing.T) {
	dir := t.TempDir()
	e, addr := startTCPEngine(t, Config{Dir: dir})
	l, err := CompileClients([]Client{{Name: "elsewhere", Match: "10.0.0.0/8"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	e.SetClients(l)
	c := dialTCP(t, addr)
	_, _ = io.WriteString(c, "from an unknown sender\n")
	waitClosedByServer(t, c)
	st := waitSettled(t, e, 1)
	if st.Rejected != 1 || st.Stored != 0 || st.ConnectionsTotal != 0 {
		t.Fatalf("unexpected stats %+v; want the connection rejected and counted", st)
	}
	l, _ = CompileClients([]Client{{Name: "local", Match: "127.0.0.1"}}, false)
	e.SetClients(l)
	write(t, dialTCP(t, addr), "known\n")
	waitStored(t, e, 1)
	if got := clientsOf(t, dir); len(got) != 1 || got[0] != "127.0.0.1=local" {
		t.Fatalf("unexpected clients; got %q", got)
	}
}

func TestTCPFullQueueBlocksTheSenderAndLosesNothing(t *testing.T) {
	fullQueueBlocksTheSender(t, Config{Protocol: "tcp"}, dialTCP)
}

// fullQueueBlocksTheSender holds the writer while one connection of a stream
// engine (cfg.Protocol) sends more than the queue holds, and checks that
// nothing is lost and the wait shows as back-pressure.
func fullQueueBlocksTheSender(t *testing.T, cfg Config, dial func(*testing.T, string) net.Conn) {
	dir := t.TempDir()
	cfg.Dir, cfg.KeepOriginal, cfg.QueueLogs, cfg.BatchRows = dir, true, 16, 8
	e, addr := startEngine(t, cfg, seqClass(t))
	c := dial(t, addr)
	write(t, c, numbered(0, 1, 0)[0]+"\n")
	waitStored(t, e, 1)
	unlock := holdWriteLock(t, dayFiles(t, dir)[0])
	const n = 20000 // ~5 MB: more than the queue and the socket buffers hold
	sendErr := sendUntilItWaits(t, e, c, numberedLines(1, n, 250))
	held := time.Now()
	waitFor(t, time.Second, "the writer to be held a while", func() bool { return time.Since(held) > 20*time.Millisecond })
	unlock()
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	waitStored(t, e, n)
	st := e.Stats()
	if st.Dropped != 0 || st.BackpressureMs == 0 || st.Stored != n || st.WriteErrors != 0 {
		t.Fatalf("unexpected stats %+v; want %d stored, none dropped, back-pressure time", st, n)
	}
	checkIdentity(t, st)
	seqs := fileSeqs(t, dir)
	for _, s := range seqs {
		for i, v := range s {
			if v != i {
				t.Fatalf("row %d holds n=%d; want every message once, in order", i, v)
			}
		}
	}
}

func TestStreamEngineQueueHoldsTwoBatchesByDefault(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, Protocol: "tcp", KeepOriginal: true}, seqClass(t))
	if e.cfg.QueueLogs != streamQueueLogs {
		t.Fatalf("queue of a tcp engine holds %d logs; want %d", e.cfg.QueueLogs, streamQueueLogs)
	}
	c := dialTCP(t, addr)
	write(t, c, numbered(0, 1, 0)[0]+"\n")
	waitStored(t, e, 1)
	unlock := holdWriteLock(t, dayFiles(t, dir)[0])
	// 60,000 logs (~3.6 MB): more than two batches and the socket buffers
	// hold, fewer than a UDP engine's queue (which would take them all).
	const n = 60000
	sendErr := sendUntilItWaits(t, e, c, numberedLines(1, n, 60))
	if q := e.ctr.queued.Load(); q > streamQueueLogs {
		t.Fatalf("%d logs queued while the writer is held; want at most %d", q, streamQueueLogs)
	}
	unlock()
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	waitStored(t, e, n)
	if st := e.Stats(); st.Dropped != 0 || st.Stored != n || st.BackpressureMs == 0 {
		t.Fatalf("unexpected stats %+v; want %d stored, none dropped, back-pressure time", st, n)
	}
}

func TestFullStreamQueueIsWrittenWithoutWaitingForTheFlushTimers(t *testing.T) {
	dir := t.TempDir()
	// Batches of 8,000 rows at most, a queue of 1,000 logs and flush timers
	// of a minute: only a batch written because the queue is full stores
	// anything within waitStored's 10 s.
	cfg := Config{Dir: dir, Bind: "127.0.0.1", Name: "test", Protocol: "tcp", KeepOriginal: true,
		QueueLogs: 1000, BatchRows: 8000, FlushEvery: time.Minute, FlushIdle: time.Minute}
	e := New(cfg, seqClass(t))
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	c := dialTCP(t, e.Addr())
	const n = 5000
	write(t, c, numberedLines(0, n, 60))
	waitStored(t, e, n/2) // the last ones wait for a timer or Stop: no connection waits then
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats(); st.Stored != n || st.Dropped != 0 {
		t.Fatalf("unexpected stats %+v; want all %d stored", st, n)
	}
	for _, s := range fileSeqs(t, dir) {
		for i, v := range s {
			if v != i {
				t.Fatalf("row %d holds n=%d; want every message once, in order", i, v)
			}
		}
	}
}

// numberedLines returns numbered(from, to, size), each message followed by LF.
func numberedLines(from, to, size int) string {
	var sb strings.Builder
	for _, m := range numbered(from, to, size) {
		sb.WriteString(m + "\n")
	}
	return sb.String()
}

// sendUntilItWaits writes text to c in a goroutine and returns once the
// engine's connection waits for room in the queue; the write's error comes
// on the channel.
func sendUntilItWaits(t *testing.T, e *Engine, c net.Conn, text string) <-chan error {
	t.Helper()
	sendErr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c, text)
		sendErr <- err
	}()
	waitFor(t, 10*time.Second, "the connection to wait for room", func() bool { return e.ctr.waiting.Load() > 0 })
	return sendErr
}

func TestTCPStopClosesConnectionsFlushesAndLeaksNothing(t *testing.T) {
	base := baseline{goroutines: runtime.NumGoroutine(), sockets: openSockets(t)}
	for round := 0; round < 3; round++ {
		dir := t.TempDir()
		e, addr := startTCPEngine(t, Config{Dir: dir})
		var cs []net.Conn
		for i := 0; i < 10; i++ {
			c := dialTCP(t, addr)
			write(t, c, fmt.Sprintf("conn %d\n", i))
			cs = append(cs, c)
		}
		waitFor(t, 5*time.Second, "10 connections", func() bool { return e.Stats().Connections == 10 })
		waitFor(t, 5*time.Second, "10 framed", func() bool { return e.Stats().Received == 10 })
		if err := e.Stop(); err != nil {
			t.Fatal(err)
		}
		if st := e.Stats(); st.Stored != 10 || st.Connections != 0 || len(e.Connections()) != 0 {
			t.Fatalf("after stop; got %+v; want the 10 framed logs stored, no connection", st)
		}
		for _, c := range cs {
			waitClosedByServer(t, c)
			c.Close()
		}
		ln, err := net.Listen("tcp4", addr)
		if err != nil {
			t.Fatalf("port not free after stop: %v", err)
		}
		ln.Close()
	}
	base.waitBack(t, 5*time.Second, 2)
}

func TestTCPVanishedClientsLeaveNoGoroutineOrFD(t *testing.T) {
	e, addr := startTCPEngine(t, Config{})
	base := connBaseline(t, e, dialTCP(t, addr))
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.WriteString(c, "hello\n3 ab") // one whole, one cut off
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // vanish with a reset
			}
			c.Close()
		}()
	}
	wg.Wait()
	waitFor(t, 5*time.Second, "every connection to end", func() bool {
		st := e.Stats()
		return st.ConnectionsTotal == 21 && st.Connections == 0
	})
	base.waitBack(t, 5*time.Second, 1)
	checkIdentity(t, waitSettled(t, e, e.Stats().Received))
}

// mixedFramedStream returns n messages framed in turn by octet counting (every
// third) and by lf (the line end), and the messages in order.
func mixedFramedStream(n int, lf string) (string, []string) {
	var want []string
	var stream strings.Builder
	for i := 0; i < n; i++ {
		m := fmt.Sprintf("<13> msg %d with\ttab", i)
		if i%3 == 0 {
			fmt.Fprintf(&stream, "%d %s", len(m), m)
		} else {
			stream.WriteString(m + lf)
		}
		want = append(want, m)
	}
	return stream.String(), want
}

// baseline is a test process's goroutines and open sockets at a point where
// no client is connected: what is left after clients vanish is compared with it.
type baseline struct{ goroutines, sockets int }

// connBaseline stores one log over first (the day file opens with the first
// log: it is open before counting), closes it, waits until e has no
// connection and returns the baseline.
func connBaseline(t *testing.T, e *Engine, first net.Conn) baseline {
	t.Helper()
	write(t, first, "first\n")
	waitStored(t, e, 1)
	first.Close()
	waitFor(t, 5*time.Second, "the first connection to end", func() bool { return e.Stats().Connections == 0 })
	return baseline{goroutines: runtime.NumGoroutine(), sockets: openSockets(t)}
}

// waitBack waits until the goroutines are back to at most the baseline + 1
// and the sockets to at most the baseline + slack.
func (b baseline) waitBack(t *testing.T, within time.Duration, slack int) {
	t.Helper()
	waitFor(t, within, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= b.goroutines+max(1, slack) })
	waitFor(t, within, "the sockets to be closed", func() bool { return openSockets(t) <= b.sockets+slack })
}
