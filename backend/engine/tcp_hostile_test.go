package engine

import (
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/class"
)

// Hostile TCP clients: each one gets a counter and an event, and nothing the
// engine framed before it is lost.

func TestTCPClientCutOffMidFrameLosesOnlyTheCutFrame(t *testing.T) {
	f := func(name, tail, event string) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			e, addr := startTCPEngine(t, Config{Dir: dir})
			c := dialTCP(t, addr)
			write(t, c, "5 octet")
			write(t, c, "lf line\n")
			write(t, c, tail)
			c.Close()
			waitFor(t, 5*time.Second, "the connection to end", func() bool {
				st := e.Stats()
				return st.ConnectionsTotal == 1 && st.Connections == 0
			})
			st := waitSettled(t, e, 2)
			if got := originals(t, dir); strings.Join(got, "|") != "octet|lf line" {
				t.Fatalf("unexpected rows; got %q; want the two whole frames", got)
			}
			wantErrors := uint64(0)
			if event != "" {
				wantErrors = 1
				waitEvent(t, e.Events(), event)
			}
			if st.FramingErrors != wantErrors || st.Received != 2 || st.Stored != 2 {
				t.Fatalf("unexpected stats %+v; want received=stored=2, framing_errors=%d", st, wantErrors)
			}
		})
	}
	f("clean close", "", "")
	f("inside the octet count", "12", "ended mid-frame: 2 bytes not stored")
	f("after the octet count", "12 ", "ended mid-frame: 3 bytes not stored")
	f("inside an octet frame", "12 only part", "ended mid-frame: 12 bytes not stored")
	f("an LF message without its LF", "no line feed", "ended mid-frame: 12 bytes not stored")
}

func TestTCPGarbageAndBogusOctetCounts(t *testing.T) {
	// Garbage that frames as LF messages is stored as sent; an octet count the
	// engine cannot take closes that connection only, with an event and a
	// framing error; the other connection goes on.
	f := func(name, garbage string, want []string, event string) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			e, addr := startTCPEngine(t, Config{Dir: dir})
			good, bad := dialTCP(t, addr), dialTCP(t, addr)
			write(t, good, "before\n")
			waitStored(t, e, 1)
			write(t, bad, "5 whole")
			write(t, bad, garbage)
			wantErrors := uint64(0)
			if event != "" {
				wantErrors = 1
				waitClosedByServer(t, bad)
				waitEvent(t, e.Events(), event)
			} else {
				bad.Close()
			}
			write(t, good, "after\n")
			all := append(append([]string{"before", "whole"}, want...), "after")
			st := waitSettled(t, e, uint64(len(all)))
			got := originals(t, dir)
			sort.Strings(got)
			sort.Strings(all)
			if strings.Join(got, "|") != strings.Join(all, "|") {
				t.Fatalf("unexpected rows; got %q; want %q", got, all)
			}
			if st.FramingErrors != wantErrors || st.Stored != uint64(len(all)) {
				t.Fatalf("unexpected stats %+v; want %d stored, framing_errors=%d", st, len(all), wantErrors)
			}
			if conns := e.Connections(); len(conns) != 1 || conns[0].Peer != good.LocalAddr().String() {
				t.Fatalf("unexpected open connections %+v; want only the good one", conns)
			}
		})
	}
	f("binary", "\x00\x01\xfe\xff\x1b[2J\n", []string{"\x00\x01\xfe\xff\x1b[2J"}, "")
	f("eleven-digit count", "99999999999 x", nil, "octet count 99999999999 above max_message_bytes 65536")
	f("count above max_message_bytes", "65537 "+strings.Repeat("y", 100), nil, "octet count 65537 above max_message_bytes 65536")
	f("count of max_message_bytes", fmt.Sprintf("65536 %s", strings.Repeat("m", 65536)), []string{strings.Repeat("m", 65536)}, "")
	f("digits without a space", "12345678901234567890123 is a line\n", []string{"12345678901234567890123 is a line"}, "")
}

// raiseOpenFiles makes sure this process may hold need open files, raising
// the soft limit (and the hard one when allowed) where it is lower.
func raiseOpenFiles(t *testing.T, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= need {
		return
	}
	lim.Cur = need
	lim.Max = max(lim.Max, need)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("cannot raise RLIMIT_NOFILE to %d (run as root or raise ulimit -n): %v", need, err)
	}
}

func TestTCP2000SimultaneousConnectionsAgainstTheDefaultLimit(t *testing.T) {
	const clients = 2000
	raiseOpenFiles(t, 3*clients+1000)
	dir := t.TempDir()
	e, addr := startTCPEngine(t, Config{Dir: dir}) // max_connections: the default
	base := connBaseline(t, e, dialTCP(t, addr))

	conns := make([]net.Conn, clients)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			conns[i] = c
			// A refused connection may see this write fail: the server closed it.
			_, _ = io.WriteString(c, "hello from "+c.LocalAddr().String()+"\n")
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	const open, refused = DefaultMaxConnections, clients - DefaultMaxConnections
	waitFor(t, 30*time.Second, "1024 connections open, 976 refused, 1024 stored", func() bool {
		st := e.Stats()
		return st.Connections == open && st.ConnectionsRefused == refused && st.Stored == open+1
	})
	waitEvent(t, e.Events(), fmt.Sprintf("refused: max_connections (%d) are open", DefaultMaxConnections))
	want := []string{"first"}
	for _, c := range e.Connections() {
		want = append(want, "hello from "+c.Peer)
	}
	st := e.Stats()
	if st.ConnectionsTotal != open+1 || st.FramingErrors != 0 || st.Received != open+1 {
		t.Fatalf("unexpected stats %+v", st)
	}

	for _, c := range conns {
		c.Close()
	}
	waitFor(t, 10*time.Second, "every connection to end", func() bool { return e.Stats().Connections == 0 })
	base.waitBack(t, 10*time.Second, 0)

	// Read the day file only now: SQLite keeps a reader's fds open while the writer holds the file.
	got := originals(t, dir)
	sort.Strings(want)
	sort.Strings(got)
	if len(want) != open+1 || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("unexpected rows; got %d; want first and one from each of the %d open connections (%d listed)", len(got), open, len(want)-1)
	}
	write(t, dialTCP(t, addr), "after\n")
	waitStored(t, e, open+2)
	checkIdentity(t, e.Stats())
}

func TestTCP1000ConnectionsAt50LogsPerSecondStoreEverything(t *testing.T) {
	const (
		clients = 1000
		perConn = 100 // 2 s at 50 logs/s; the test waits for the count, not the time
	)
	raiseOpenFiles(t, 2*clients+1000)
	dir := t.TempDir()
	cls, err := class.Compile("conn", map[string]string{"c": `c=(\d+)`, "n": `n=(\d+)`}, []string{"c", "n"})
	if err != nil {
		t.Fatal(err)
	}
	e, addr := startEngine(t, Config{Protocol: "tcp", Dir: dir, KeepOriginal: true}, cls)
	base := connBaseline(t, e, dialTCP(t, addr))
	conns := make([]net.Conn, clients)
	for i := range conns {
		conns[i] = dialTCP(t, addr)
	}
	waitFor(t, 10*time.Second, "1000 open connections", func() bool { return e.Stats().Connections == clients })

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for n := 0; n < perConn; n++ {
				m := fmt.Sprintf("<13>Dec  2 14:00:00 host%d app: c=%d n=%d", i, i, n)
				if i%2 == 0 { // half the senders count octets, half end lines with LF
					m = fmt.Sprintf("%d %s", len(m), m)
				} else {
					m += "\n"
				}
				if _, err := io.WriteString(c, m); err != nil {
					t.Error(err)
					return
				}
				<-tick.C
			}
			c.Close()
		}()
	}
	close(start)
	wg.Wait()
	const total = clients*perConn + 1
	waitFor(t, 60*time.Second, "every log stored", func() bool {
		st := e.Stats()
		return st.Stored >= total && st.Connections == 0
	})
	st := e.Stats()
	if st.Received != total || st.Stored != total || st.Dropped != 0 || st.FramingErrors != 0 || st.ConnectionsTotal != clients+1 {
		t.Fatalf("unexpected stats %+v; want %d received and stored from %d connections, nothing lost", st, total, clients)
	}
	base.waitBack(t, 10*time.Second, 0)
	checkPerConnectionOrder(t, dir, clients, perConn)
}

// openSockets counts this process's open sockets (the day files' SQLite
// connections open lazily, so the other fds are no measure of what clients left).
func openSockets(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// checkPerConnectionOrder reads the c and n columns of every row: each
// connection's messages n=0..perConn-1 are stored once each, in the order sent
// (rows without c, the first log, are left out).
func checkPerConnectionOrder(t *testing.T, dir string, clients, perConn int) {
	t.Helper()
	next := make([]int, clients)
	rows := 0
	for _, f := range dayFiles(t, dir) {
		db, err := sql.Open("sqlite3", "file:"+f+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		r, err := db.Query("SELECT CAST(c AS INTEGER), CAST(n AS INTEGER) FROM logs WHERE c IS NOT NULL ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var c, n int
			if err := r.Scan(&c, &n); err != nil {
				t.Fatal(err)
			}
			if c < 0 || c >= clients || n != next[c] {
				t.Fatalf("row %d holds c=%d n=%d; want each connection's messages once, in order", rows, c, n)
			}
			next[c]++
			rows++
		}
		r.Close()
		db.Close()
	}
	if rows != clients*perConn {
		t.Fatalf("got %d rows; want %d", rows, clients*perConn)
	}
}
