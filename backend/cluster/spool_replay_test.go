package cluster

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/internal/daytest"
	"github.com/logsieve/logsieve/backend/store"
)

var _ engine.SpoolSink = (*EngineSink)(nil)

// natsOnPort is a NATS server with JetStream that a test stops and starts
// again on the same port and store directory.
type natsOnPort struct {
	t    *testing.T
	opts server.Options
	srv  *server.Server
}

func startNATSOnPort(t *testing.T) *natsOnPort {
	t.Helper()
	s := &natsOnPort{t: t, opts: server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true, MaxPayload: maxPayload}}
	s.start()
	s.opts.Port = s.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(s.stop)
	return s
}

func (s *natsOnPort) start() {
	s.t.Helper()
	opts := s.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		s.t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("NATS server not ready")
	}
	s.srv = srv
}

func (s *natsOnPort) stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

// spoolingEngine starts engine "e1" on 127.0.0.1 publishing to in, with a
// queue of 256 logs and an overflow spool in spoolDir.
func spoolingEngine(t *testing.T, in *Node, port int, spoolDir string) *engine.Engine {
	t.Helper()
	cls, err := class.Compile("seq", map[string]string{"n": `n=(\d+)`}, []string{"n"})
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Name: "e1", Bind: "127.0.0.1", Port: port, Dir: t.TempDir(),
		SpoolDir: spoolDir, SpoolMaxBytes: 1 << 30, QueueLogs: 256, Workers: 1, BatchRows: 64,
		FlushEvery: 20 * time.Millisecond, Sink: in.Sink("e1")}, cls)
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	return e
}

// sendSeq sends "n=from".."n=to-1" to e in rounds of 100, each round once
// the engine received the one before (the socket buffer is not what is
// tested).
func sendSeq(t *testing.T, e *engine.Engine, from, to int) {
	t.Helper()
	conn, err := net.Dial("udp", e.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	base := e.Stats().Received
	for i := from; i < to; i++ {
		if _, err := fmt.Fprintf(conn, "<13>host app: n=%d", i); err != nil {
			t.Fatal(err)
		}
		if sent := i - from + 1; sent%100 == 0 || i == to-1 {
			waitFor(t, "the engine to receive what was sent", func() bool { return e.Stats().Received >= base+uint64(sent) })
		}
	}
}

// storedNums returns the n column of every row stored on st, sorted.
func storedNums(t *testing.T, msgs []string) []int {
	t.Helper()
	out := make([]int, 0, len(msgs))
	for _, m := range msgs {
		n, err := strconv.Atoi(m)
		if err != nil {
			t.Fatalf("unexpected n %q", m)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func seqInts(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// copyDir copies the regular files of src into a new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// nums reads the n column of the store node's rows (engine "e1", class
// seq: the column "n").
func nums(t *testing.T, ds *store.Days) []int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(ds.Dir(), "*.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, f := range files {
		for _, r := range daytest.Rows(t, f) {
			msgs = append(msgs, r["n"])
		}
	}
	return storedNums(t, msgs)
}

// spoolCluster is the set-up of the spool replay tests: a NATS server
// that can be stopped and started on its port, a store node writing into
// ds, and an ingest node whose engine e spools into spoolDir.
type spoolCluster struct {
	ns       *natsOnPort
	url      string
	ds       *store.Days
	st, in   *Node
	spoolDir string
	e        *engine.Engine
}

func startSpoolCluster(t *testing.T) spoolCluster {
	t.Helper()
	// These tests are of the engine's spool: the unacked spool (which would
	// take the rows first) is off.
	return startSpoolClusterWith(t, func(c *Config) { c.UnackedAfter = -1 })
}

// startSpoolClusterWith is startSpoolCluster with the ingest node's
// setting tuned.
// passDuplicateWindow shortens the stream's duplicate window to a second
// and lets it pass, so that copies of what was published before reach the
// store node. The window is set twice: nats-server 2.15.2 makes its dedupe
// timer fire at once on an update and stores the new window later in the
// same update, so a timer that fires in between reads the old window (two
// minutes) and sleeps that long (a CI failure under load). The second
// update's timer reads a window of about a second either way.
func passDuplicateWindow(t *testing.T, st *Node) {
	t.Helper()
	cfg := st.stream.CachedInfo().Config
	for _, w := range []time.Duration{1100 * time.Millisecond, time.Second} {
		cfg.Duplicates = w
		if _, err := st.js.UpdateStream(t.Context(), cfg); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second) // the window must pass: nothing to wait on
}

func startSpoolClusterWith(t *testing.T, tune func(*Config)) spoolCluster {
	t.Helper()
	c := spoolCluster{ns: startNATSOnPort(t)}
	c.url = c.ns.srv.ClientURL()
	ds, days := engineDays(t)
	c.ds = ds
	c.st = startNode(t, c.url, "st", RoleStore, nil)
	if err := c.st.StartStore(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	c.in = startNode(t, c.url, "in", RoleIngest, func(c *Config) {
		c.PublishWait = 200 * time.Millisecond
		tune(c)
	})
	c.spoolDir = filepath.Join(t.TempDir(), "spool")
	c.e = spoolingEngine(t, c.in, freeUDPPort(t), c.spoolDir)
	return c
}

// An ingest node whose NATS is gone keeps what arrives: its queue fills,
// then its spool; nothing is dropped. NATS back, the spool drains in order
// and every log is stored once (counted through the store node).
func TestIngestSpoolsWhileNATSIsDownAndStoresEveryLogOnce(t *testing.T) {
	c := startSpoolCluster(t)
	ns, ds, st, e := c.ns, c.ds, c.st, c.e

	sendSeq(t, e, 0, 300)
	waitFor(t, "the first 300 logs stored", func() bool { return st.Stats().StoredRows == 300 })

	ns.stop()
	sendSeq(t, e, 300, 3300)
	s := e.Stats()
	if s.Spooled == 0 || s.Dropped != 0 || s.SpoolBytes == 0 {
		t.Fatalf("unexpected stats while NATS is down: spooled %d, dropped %d, spool_bytes %d; want some spooled, none dropped",
			s.Spooled, s.Dropped, s.SpoolBytes)
	}
	if got := st.Stats().StoredRows; got != 300 {
		t.Fatalf("rows stored while NATS was down: %d; want 300", got)
	}

	ns.start()
	waitFor(t, "3300 logs stored", func() bool { return st.Stats().StoredRows >= 3300 && e.Stats().Stored == 3300 })
	if got, want := nums(t, ds), seqInts(0, 3300); !slices.Equal(got, want) {
		t.Fatalf("unexpected stored logs; got %d rows (first %v); want 0..3299 once each", len(got), got[:min(len(got), 10)])
	}
	s = e.Stats()
	if s.Received != 3300 || s.Dropped != 0 || s.WriteErrors != 0 || s.Replayed != 0 {
		t.Fatalf("unexpected stats %+v", s)
	}
	waitFor(t, "the spool to empty", func() bool { return e.Stats().SpoolBytes == 0 })
	if got := st.Stats().DuplicateRows; got != 0 {
		t.Fatalf("unexpected duplicate rows %d", got)
	}
}

// A kill -9 after JetStream acked spooled batches and before the spool's
// mark was saved: the next start replays them under the same batch ids, and
// JetStream (within its duplicate window) or the store node's claims and
// batch table (past it) drop the copies. No log is stored twice.
func TestSpoolReplayAfterAKillStoresNothingTwice(t *testing.T) {
	c := startSpoolCluster(t)
	ns, url, ds, st, in, spoolDir, e := c.ns, c.url, c.ds, c.st, c.in, c.spoolDir, c.e

	ns.stop()
	sendSeq(t, e, 0, 2000)
	spooled := e.Stats().Spooled
	if spooled == 0 {
		t.Fatal("nothing spooled while NATS was down")
	}
	// What a kill -9 just after the acks and before the mark leaves on disk:
	// the segments, no mark. (Records on disk now do not change until NATS
	// is back: the receiver is idle, the batcher waits for NATS.)
	snapA := copyDir(t, spoolDir)
	snapB := copyDir(t, spoolDir)
	snapC := copyDir(t, spoolDir)

	ns.start()
	waitFor(t, "2000 logs stored", func() bool { return st.Stats().StoredRows >= 2000 && e.Stats().Stored == 2000 })
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	in.Close()

	// A kill after the mark was saved, before the segments were deleted: the
	// records at or below the mark are not published again.
	mark, err := os.ReadFile(filepath.Join(spoolDir, "mark"))
	if err != nil {
		t.Fatalf("no spool mark saved after the acks: %v", err)
	}
	if err := os.WriteFile(filepath.Join(snapC, "mark"), mark, 0o600); err != nil {
		t.Fatal(err)
	}
	inC := startNode(t, url, "in", RoleIngest, nil)
	eC := spoolingEngine(t, inC, freeUDPPort(t), snapC)
	waitFor(t, "the marked spool to be read", func() bool { return eC.Stats().SpoolBytes == 0 })
	if err := eC.Stop(); err != nil {
		t.Fatal(err)
	}
	if s, p := eC.Stats(), inC.Stats(); s.Replayed != 0 || p.PublishedBatches != 0 {
		t.Fatalf("records at or below the mark replayed: replayed %d, published %d batches; want 0, 0", s.Replayed, p.PublishedBatches)
	}
	inC.Close()

	// The node comes back (a new process: new boot id) with the spool as the
	// kill left it; JetStream's duplicate window drops every replayed batch.
	in2 := startNode(t, url, "in", RoleIngest, nil)
	e2 := spoolingEngine(t, in2, freeUDPPort(t), snapA)
	waitFor(t, "the spool replayed", func() bool { return e2.Stats().Replayed == spooled && e2.Stats().Stored == spooled })
	if d := in2.Stats().PublishDuplicates; d == 0 || d != in2.Stats().PublishedBatches {
		t.Fatalf("unexpected duplicate publishes %d of %d; want all", d, in2.Stats().PublishedBatches)
	}
	if got := nums(t, ds); !slices.Equal(got, seqInts(0, 2000)) {
		t.Fatalf("unexpected stored logs after the replay; got %d rows; want 0..1999 once each", len(got))
	}
	if err := e2.Stop(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(snapA, "mark")); err != nil || strings.TrimSpace(string(b)) == "" {
		t.Fatalf("no spool mark saved after the replay: %q, %v", b, err)
	}

	// Past the duplicate window the copies reach the store node, which finds
	// its claim and the batch ids in its day files.
	passDuplicateWindow(t, st)
	in3 := startNode(t, url, "in", RoleIngest, nil)
	e3 := spoolingEngine(t, in3, freeUDPPort(t), snapB)
	waitFor(t, "the second replay found stored", func() bool {
		if d := in3.Stats().PublishDuplicates; d != 0 {
			t.Fatalf("JetStream still dropped %d copies past its window", d)
		}
		return e3.Stats().Stored == spooled && st.Stats().DuplicateRows == spooled
	})
	if d := in3.Stats().PublishDuplicates; d != 0 {
		t.Fatalf("JetStream still dropped %d copies past its window", d)
	}
	if got := nums(t, ds); !slices.Equal(got, seqInts(0, 2000)) {
		t.Fatalf("unexpected stored logs after the replay past the window; got %d rows; want 0..1999 once each", len(got))
	}
}

// NATS goes away again while the spool drains: the messages sent at once
// whose acks did not come are published again alone under the same ids,
// and every log is still stored exactly once.
func TestSpoolDrainCutByANATSOutageStoresEveryLogOnce(t *testing.T) {
	c := startSpoolCluster(t)
	ns, ds, st, in, e := c.ns, c.ds, c.st, c.in, c.e

	ns.stop()
	const total = 6000
	sendSeq(t, e, 0, total)
	if e.Stats().Spooled == 0 {
		t.Fatal("nothing spooled while NATS was down")
	}
	ns.start()
	waitFor(t, "the drain to start", func() bool { return e.Stats().Stored > 0 })
	ns.stop()
	cut := e.Stats().Stored
	ns.start()
	waitFor(t, "every log stored", func() bool { return st.Stats().StoredRows >= total && e.Stats().Stored == total })
	t.Logf("drain cut after %d of %d logs acked; %d publish retries, %d duplicates", cut, total, in.Stats().PublishRetries, in.Stats().PublishDuplicates)
	if got := nums(t, ds); !slices.Equal(got, seqInts(0, total)) {
		t.Fatalf("unexpected stored logs; got %d rows; want 0..%d once each", len(got), total-1)
	}
	if s := e.Stats(); s.Dropped != 0 || s.WriteErrors != 0 {
		t.Fatalf("unexpected losses: dropped %d, write errors %d", s.Dropped, s.WriteErrors)
	}
}
