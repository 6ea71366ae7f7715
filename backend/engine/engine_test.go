package engine

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/internal/daytest"
	"github.com/logsieve/logsieve/backend/internal/realclient"
)

const mikrotikLog = `<869> 01:02:05 T8Y45jGZY prerouting: in:<pppoe-RRWLkNYEZ> out:(unknown 0), connection-state:established,snat proto TCP (ACK,FIN,PSH), 73.181.232.17:34921->176.13.130.56:13878, NAT (73.181.232.17:34921->95.110.59.28:11384)->176.13.130.56:13878, len 946`

func mikrotik(t *testing.T) *class.Class {
	t.Helper()
	c, err := class.Compile("mikrotik", map[string]string{
		"pppoe":           `in:<pppoe-([A-Za-z\d]+)>`,
		"router_identity": `\d{1,2}:\d{1,2}:\d{1,2}\s+(\w+)`,
		"destination_ip":  `->(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+)`,
	}, []string{"pppoe", "router_identity", "destination_ip"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeClock is a settable clock for rollover tests.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time       { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Set(t time.Time)      { c.ns.Store(t.UnixNano()) }
func newFakeClock(t time.Time) *fakeClock { c := &fakeClock{}; c.Set(t); return c }

func startEngine(t *testing.T, cfg Config, c *class.Class) (*Engine, string) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Bind == "" {
		cfg.Bind = "127.0.0.1"
	}
	cfg.Name = "test"
	cfg.FlushEvery = 20 * time.Millisecond
	e := New(cfg, c)
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	return e, e.Addr()
}

func send(t *testing.T, addr string, msgs ...string) {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, m := range msgs {
		if _, err := conn.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
}

func waitStored(t *testing.T, e *Engine, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.Stats().Stored < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d stored rows; stats %+v", n, e.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readRows returns every row of a day file as column -> value ("<nil>" for NULL).
func readRows(t *testing.T, path string) []map[string]string { return daytest.Rows(t, path) }

func dayFiles(t *testing.T, dir string) []string {
	t.Helper()
	fs, _ := filepath.Glob(filepath.Join(dir, "*.sqlite3"))
	return fs
}

func TestUDPLogIsExtractedAndStored(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true}, mikrotik(t))
	send(t, addr, mikrotikLog, "no key matches this line")
	waitStored(t, e, 2)
	files := dayFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("got day files %v; want one", files)
	}
	rows := readRows(t, files[0])
	want := map[string]string{"pppoe": "RRWLkNYEZ", "router_identity": "T8Y45jGZY",
		"destination_ip": "176.13.130.56", "destination_port": "13878", "log_sender_ip": "127.0.0.1",
		"original_log": mikrotikLog, "client": "<nil>", "time_zone": "UTC"}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("unexpected %s; got %q; want %q", k, rows[0][k], v)
		}
	}
	for _, k := range []string{"pppoe", "router_identity", "destination_ip", "destination_port"} {
		if rows[1][k] != "<nil>" {
			t.Errorf("non-matching key %s: got %q; want NULL", k, rows[1][k])
		}
	}
	if st := e.Stats(); st.Unmatched != 1 || st.Received != 2 {
		t.Fatalf("unexpected counters: %+v", st)
	}
}

func TestLoggerClientIsStored(t *testing.T) {
	realclient.Require(t, "logger")
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true}, mikrotik(t))
	_, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command("logger", "-n", "127.0.0.1", "-P", port, "-d", mikrotikLog).CombinedOutput()
	if err != nil {
		t.Fatalf("logger failed: %v %s", err, out)
	}
	waitStored(t, e, 1)
	rows := readRows(t, dayFiles(t, dir)[0])
	if rows[0]["pppoe"] != "RRWLkNYEZ" || !strings.HasSuffix(rows[0]["original_log"], mikrotikLog) {
		t.Fatalf("unexpected row from logger: %v", rows[0])
	}
}

func TestOversizedAndNonUTF8DatagramsAreStored(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true}, mikrotik(t))
	big := strings.Repeat("x", 65507-len(mikrotikLog)) + mikrotikLog
	bad := "\xff\xfe in:<pppoe-Bad1> \xc3\x28 ->10.0.0.1:80"
	send(t, addr, big, bad)
	waitStored(t, e, 2)
	rows := readRows(t, dayFiles(t, dir)[0])
	if len(rows[0]["original_log"]) != 65507 || rows[0]["pppoe"] != "RRWLkNYEZ" {
		t.Fatalf("oversized datagram: got len %d pppoe %q", len(rows[0]["original_log"]), rows[0]["pppoe"])
	}
	if rows[1]["original_log"] != bad || rows[1]["pppoe"] != "Bad1" || rows[1]["destination_port"] != "80" {
		t.Fatalf("non-UTF-8 datagram: got %q", rows[1])
	}
}

func TestClassEditMidDayAddsColumnsWithoutLoss(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true}, mikrotik(t))
	const before = 300
	for i := 0; i < before; i++ {
		send(t, addr, mikrotikLog)
	}
	waitStored(t, e, before)
	pats := mikrotik(t).Patterns()
	pats["proto"] = `proto (\w+)`
	c2, err := class.Compile("mikrotik", pats, []string{"pppoe", "router_identity", "destination_ip", "proto"})
	if err != nil {
		t.Fatal(err)
	}
	e.SetClass(c2)
	for i := 0; i < before; i++ {
		send(t, addr, mikrotikLog)
	}
	waitStored(t, e, 2*before)
	rows := readRows(t, dayFiles(t, dir)[0])
	if len(rows) != 2*before {
		t.Fatalf("got %d rows; want %d", len(rows), 2*before)
	}
	if last := rows[len(rows)-1]; last["proto"] != "TCP" {
		t.Fatalf("row after the edit: got proto %q; want TCP", last["proto"])
	}
	if rows[0]["proto"] != "<nil>" {
		t.Fatalf("row before the edit: got proto %q; want NULL", rows[0]["proto"])
	}
	if st := e.Stats(); st.WriteErrors != 0 || st.Dropped != 0 {
		t.Fatalf("losses during class edit: %+v", st)
	}
}

func TestRolloverAtMidnightInEngineTimezone(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock(time.Date(2026, 3, 7, 23, 59, 59, 0, loc))
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, Location: loc, TZName: "America/New_York", Now: clk.Now}, mikrotik(t))
	send(t, addr, mikrotikLog)
	waitStored(t, e, 1)
	clk.Set(time.Date(2026, 3, 8, 0, 0, 1, 0, loc))
	send(t, addr, mikrotikLog)
	waitStored(t, e, 2)
	files := dayFiles(t, dir)
	if len(files) != 2 || filepath.Base(files[0]) != "2026-03-07.sqlite3" || filepath.Base(files[1]) != "2026-03-08.sqlite3" {
		t.Fatalf("unexpected day files %v", files)
	}
	r1, r2 := readRows(t, files[0]), readRows(t, files[1])
	if len(r1) != 1 || r1[0]["time"] != "23:59:59" || r1[0]["time_zone"] != "America/New_York" {
		t.Fatalf("unexpected first day rows %v", r1)
	}
	if len(r2) != 1 || r2[0]["time"] != "00:00:01" {
		t.Fatalf("unexpected second day rows %v", r2)
	}
}

func TestStopFlushesAndRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	e, _ := startEngine(t, Config{Dir: dir}, mikrotik(t))
	_ = e.Stop()
	e.cfg.FlushEvery, e.cfg.FlushIdle = time.Hour, time.Hour // only Stop can flush now
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	addr := e.Addr()
	for i := 0; i < 50; i++ {
		send(t, addr, mikrotikLog)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.Stats().Received < 50 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats(); st.Stored != 50 || st.State != StateStopped {
		t.Fatalf("after stop: got %+v; want 50 stored, stopped", st)
	}
	e.cfg.FlushEvery = 20 * time.Millisecond
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	send(t, e.Addr(), mikrotikLog)
	waitStored(t, e, 51)
	if n := len(readRows(t, dayFiles(t, dir)[0])); n != 51 {
		t.Fatalf("got %d rows after restart; want 51", n)
	}
}

func TestIdleFlushWritesWhenSendersPause(t *testing.T) {
	e, _ := startEngine(t, Config{}, mikrotik(t))
	_ = e.Stop()
	// With the cap at an hour, only the idle flush can store these rows.
	e.cfg.FlushEvery, e.cfg.FlushIdle = time.Hour, 30*time.Millisecond
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		send(t, e.Addr(), mikrotikLog)
	}
	deadline := time.Now().Add(3 * time.Second)
	for e.Stats().Stored < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("rows not written %v after the senders paused; stats %+v", 3*time.Second, e.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStopReleasesPortAndGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		e, addr := startEngine(t, Config{}, mikrotik(t))
		send(t, addr, mikrotikLog)
		waitStored(t, e, 1)
		if err := e.Stop(); err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp4", addr)
		if err != nil {
			t.Fatalf("port not free after stop: %v", err)
		}
		pc.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines leaked: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPortConflictFailsWithReason(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	e := New(Config{Name: "x", Bind: "127.0.0.1", Port: port, Dir: t.TempDir()}, mikrotik(t))
	err = e.Start()
	if !IsAddrInUse(err) {
		t.Fatalf("got %v; want address in use", err)
	}
	if st := e.Stats(); st.State != StateFailed || !strings.Contains(st.Reason, fmt.Sprint(port)) {
		t.Fatalf("unexpected state %q reason %q", st.State, st.Reason)
	}
}

func TestTailSamplesAtMostFiftyRowsASecond(t *testing.T) {
	e, addr := startEngine(t, Config{KeepOriginal: true}, mikrotik(t))
	ch, cancel := e.Subscribe()
	defer cancel()
	for i := 0; i < 500; i++ {
		send(t, addr, mikrotikLog)
	}
	waitStored(t, e, 500)
	got := 0
	timeout := time.After(300 * time.Millisecond)
loop:
	for {
		select {
		case b := <-ch:
			if b.Columns[4] != "pppoe" || *b.Rows[0][4] != "RRWLkNYEZ" {
				t.Fatalf("unexpected tail batch %v %v", b.Columns, b.Rows[0])
			}
			got += len(b.Rows)
		case <-timeout:
			break loop
		}
	}
	if got == 0 || got > 60 {
		t.Fatalf("tail sent %d rows within ~1 s of 500; want 1..60", got)
	}
}

func TestKernelDropsParsedFromProcNetUDP(t *testing.T) {
	data := []byte(`  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:1582 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99999 2 0000000000000000 17
  124: 0100007F:1583 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12345 2 0000000000000000 42
`)
	if d, ok := parseProcUDP(data, "12345"); !ok || d != 42 {
		t.Fatalf("got %d %v; want 42 true", d, ok)
	}
	if _, ok := parseProcUDP(data, "1"); ok {
		t.Fatal("found a socket that is not there")
	}
	if _, err := os.Stat("/proc/net/udp"); err == nil {
		e, _ := startEngine(t, Config{}, mikrotik(t))
		if _, ok := newKernelDrops(e.conn).read(); !ok {
			t.Fatal("own socket not found in /proc/net/udp")
		}
	}
}

// holdWriteLock takes the write lock of the day file at path (BEGIN IMMEDIATE on
// a connection of its own), so the engine's writer blocks; unlock rolls back.
// The connection closes with the test.
func holdWriteLock(t *testing.T, path string) (unlock func()) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if _, err := db.Exec("ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDefaultWorkersLeaveStreamWriterAP(t *testing.T) {
	f := func(protocol string, procs, want int) {
		t.Helper()
		if got := defaultWorkers(protocol, procs); got != want {
			t.Errorf("unexpected parse workers for %s on %d Ps; got %d; want %d", protocol, procs, got, want)
		}
	}
	f("udp", 1, 1)
	f("udp", 2, 2)
	f("udp", 8, 8)
	f("tcp", 1, 1)
	f("tcp", 2, 1)
	f("tls", 2, 1)
	f("tls", 8, 7)
}
