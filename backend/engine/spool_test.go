package engine

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/spool"
)

// spoolConfig is an engine with a small queue and a spool in the test's
// temp dir.
func spoolConfig(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	return Config{Dir: filepath.Join(dir, "days"), SpoolDir: filepath.Join(dir, "spool"), SpoolMaxBytes: 1 << 30,
		KeepOriginal: true, QueueLogs: 512, Workers: 1, BatchRows: 256}
}

// settledWithSpool reports whether every received log is accounted for,
// with nothing in flight in the queue or the spool.
func settledWithSpool(st Stats) bool {
	return st.QueueDepth == 0 && st.SpoolDepth == 0 &&
		st.Received == st.Stored+st.Dropped+st.WriteErrors+st.Rejected+st.Refused
}

// waitSpoolQuiet waits until the engine is settled (spool included) and has
// received nothing new for 50 polls in a row.
func waitSpoolQuiet(t *testing.T, e *Engine) Stats {
	t.Helper()
	var last uint64
	quiet := 0
	waitFor(t, 30*time.Second, "the engine to store what it received", func() bool {
		st := e.Stats()
		if !settledWithSpool(st) || st.Received != last {
			last, quiet = st.Received, 0
			return false
		}
		quiet++
		return quiet >= 50
	})
	return e.Stats()
}

// sendPaced sends msgs in bursts of 200 with a short pause between, so the
// kernel buffer (not what is tested) does not overflow.
func sendPaced(t *testing.T, addr string, msgs []string) {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, m := range msgs {
		if _, err := conn.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		if i%200 == 199 {
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// storedSeqs returns the n of every stored row of dir, in id order across days.
func storedSeqs(t *testing.T, dir string) []int {
	t.Helper()
	var all []int
	for _, f := range dayFiles(t, dir) {
		all = append(all, fileSeqs(t, dir)[filepath.Base(f)]...)
	}
	return all
}

// checkAscending fails unless seqs strictly grow (send order, no duplicate).
func checkAscending(t *testing.T, seqs []int) {
	t.Helper()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("rows out of send order or duplicated at row %d: %d after %d", i, seqs[i], seqs[i-1])
		}
	}
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	return m
}

func TestWriterBlockedFiveSecondsSpoolsThenStoresEverythingInOrder(t *testing.T) {
	cfg := spoolConfig(t)
	e, addr := startEngine(t, cfg, seqClass(t))
	send(t, addr, numbered(0, 1, 100)...)
	waitStored(t, e, 1)

	unlock := holdWriteLock(t, dayFiles(t, cfg.Dir)[0])
	const total = 30000
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		start := time.Now()
		for i := 1; i < total; i += 1000 { // about 6,000 logs/s for 5 s
			sendPaced(t, addr, numbered(i, min(i+1000, total), 200))
			time.Sleep(time.Until(start.Add(time.Duration(i+1000) * time.Second / 6000)))
		}
	}()
	blocked := time.After(5 * time.Second)
	waitFor(t, 10*time.Second, "logs to be spooled", func() bool { return e.Stats().Spooled > 0 })
	st := e.Stats()
	if st.Stored != 1 || st.SpoolBytes == 0 || st.Dropped != 0 {
		t.Fatalf("while the writer is blocked; got %+v; want nothing stored, the spool growing, nothing dropped", st)
	}
	<-blocked
	<-sent
	unlock()

	st = waitSpoolQuiet(t, e)
	seqs := storedSeqs(t, cfg.Dir)
	if st.Dropped != 0 || st.WriteErrors != 0 || uint64(len(seqs)) != st.Received || st.Stored != st.Received {
		t.Fatalf("after the writer came back; got %d rows, stats %+v; want every received log stored", len(seqs), st)
	}
	if st.Spooled == 0 || st.Received+st.KernelDrops < total {
		t.Fatalf("spooled %d, received %d + kernel drops %d; want spooling and %d accounted for", st.Spooled, st.Received, st.KernelDrops, total)
	}
	checkAscending(t, seqs)
	waitFor(t, 10*time.Second, "the drained spool's files to go", func() bool {
		return e.Stats().SpoolBytes == 0 && len(segments(t, cfg.SpoolDir)) == 0
	})
	checkIntegrity(t, cfg.Dir)
}

func TestClassEditWhileTheSpoolDrainsAppliesToTheDrainedRows(t *testing.T) {
	cfg := spoolConfig(t)
	e, addr := startEngine(t, cfg, seqClass(t))
	send(t, addr, numbered(0, 1, 100)...)
	waitStored(t, e, 1)
	unlock := holdWriteLock(t, dayFiles(t, cfg.Dir)[0])
	const total = 3000
	sendPaced(t, addr, numbered(1, total, 100))
	waitFor(t, 10*time.Second, "every log to be queued or spooled", func() bool {
		st := e.Stats()
		return st.Received+st.KernelDrops >= total
	})
	waitFor(t, 10*time.Second, "the accounting identity with logs in flight in the spool", func() bool {
		st := e.Stats()
		return st.SpoolDepth > 0 && st.Received == st.Stored+st.Dropped+st.WriteErrors+st.Rejected+st.Refused+uint64(st.QueueDepth)+uint64(st.SpoolDepth)
	})
	// The edit comes while the spooled logs wait: they are parsed when they
	// are drained, so they get the new class; the logs already in the queue
	// were parsed with the old one.
	edited, err := class.Compile("seq", map[string]string{"n": `n=(\d+)`, "peer": `> (\w+) `}, []string{"n", "peer"})
	if err != nil {
		t.Fatal(err)
	}
	e.SetClass(edited)
	unlock()
	st := waitSpoolQuiet(t, e)
	if st.Spooled == 0 || st.Stored != st.Received {
		t.Fatalf("after draining; got %+v; want logs spooled and all stored", st)
	}
	var old, drained int
	for _, f := range dayFiles(t, cfg.Dir) {
		for _, r := range readRows(t, f) {
			switch {
			case r["peer"] == "host":
				drained++
			case drained > 0:
				t.Fatalf("row n=%s with the old class after rows with the new one", r["n"])
			default:
				old++
			}
		}
	}
	// Old class: the first log and at most a queue's worth (QueueLogs).
	if old > 1+cfg.QueueLogs || uint64(drained) < st.Spooled {
		t.Fatalf("rows by class; got %d old, %d new (spooled %d); want at most %d old and every spooled log new", old, drained, st.Spooled, 1+cfg.QueueLogs)
	}
}

func TestSpoolFullOrFailingDropsCountsAndRecovers(t *testing.T) {
	cfg := spoolConfig(t)
	var fail atomic.Bool
	cfg.SpoolFault = func() error {
		if fail.Load() {
			return syscall.ENOSPC
		}
		return nil
	}
	e, addr := startEngine(t, cfg, seqClass(t))
	send(t, addr, numbered(0, 1, 100)...)
	waitStored(t, e, 1)
	unlock := holdWriteLock(t, dayFiles(t, cfg.Dir)[0])
	sendPaced(t, addr, numbered(1, 2000, 100))
	waitFor(t, 10*time.Second, "logs to be spooled", func() bool { return e.Stats().Spooled > 0 })
	// The disk is full: spooling fails, logs are dropped and counted, and
	// the spool keeps what it had.
	fail.Store(true)
	sendPaced(t, addr, numbered(2000, 3000, 100))
	waitFor(t, 10*time.Second, "drops to be counted", func() bool { return e.Stats().Dropped > 0 })
	fail.Store(false)
	sendPaced(t, addr, numbered(3000, 4000, 100))
	unlock()
	st := waitSpoolQuiet(t, e)
	seqs := storedSeqs(t, cfg.Dir)
	if uint64(len(seqs)) != st.Stored || st.Dropped == 0 || st.Stored+st.Dropped != st.Received {
		t.Fatalf("after the full disk; got %d rows, stats %+v; want every received log stored or dropped", len(seqs), st)
	}
	checkAscending(t, seqs)
	if seqs[len(seqs)-1] < 3000 && st.KernelDrops == 0 {
		t.Fatalf("last row n=%d; want the logs sent after the disk had room again stored", seqs[len(seqs)-1])
	}
	if !hasEvent(e, "no space left on device") {
		t.Fatalf("events %v; want the spool write error", e.Events().List(50))
	}
}

func TestSpoolMaxBytesBoundsTheSpool(t *testing.T) {
	cfg := spoolConfig(t)
	cfg.SpoolMaxBytes = 64 << 10
	e, addr := startEngine(t, cfg, seqClass(t))
	send(t, addr, numbered(0, 1, 100)...)
	waitStored(t, e, 1)
	unlock := holdWriteLock(t, dayFiles(t, cfg.Dir)[0])
	sendPaced(t, addr, numbered(1, 3000, 200)) // 600 KB: far more than queue + spool
	waitFor(t, 10*time.Second, "drops to be counted", func() bool { return e.Stats().Dropped > 0 })
	if st := e.Stats(); st.SpoolBytes > cfg.SpoolMaxBytes || st.Spooled == 0 {
		t.Fatalf("spool; got %+v; want some spooled, at most %d bytes", st, cfg.SpoolMaxBytes)
	}
	unlock()
	st := waitSpoolQuiet(t, e)
	checkAscending(t, storedSeqs(t, cfg.Dir))
	if !hasEvent(e, "spool is full (spool_max_bytes 65536)") || st.Stored+st.Dropped != st.Received {
		t.Fatalf("stats %+v, events %v; want the full spool reported and every log accounted for", st, e.Events().List(50))
	}
}

func TestSpoolDirRemovedWhileSpoolingLosesNothing(t *testing.T) {
	cfg := spoolConfig(t)
	cfg.SpoolSegmentBytes = 64 << 10
	e, addr := startEngine(t, cfg, seqClass(t))
	send(t, addr, numbered(0, 1, 100)...)
	waitStored(t, e, 1)
	unlock := holdWriteLock(t, dayFiles(t, cfg.Dir)[0])
	sendPaced(t, addr, numbered(1, 2000, 200))
	waitFor(t, 10*time.Second, "logs to be spooled", func() bool { return e.Stats().Spooled > 0 })
	// The engine may open a new segment while RemoveAll walks the directory
	// ("directory not empty"); remove again, as an operator would.
	waitFor(t, 10*time.Second, "the spool directory to be removed", func() bool { return os.RemoveAll(cfg.SpoolDir) == nil })
	sendPaced(t, addr, numbered(2000, 4000, 200))
	unlock()
	st := waitSpoolQuiet(t, e)
	seqs := storedSeqs(t, cfg.Dir)
	if st.Dropped != 0 || uint64(len(seqs)) != st.Received || st.Received+st.KernelDrops < 4000 {
		t.Fatalf("after the spool directory was removed; got %d rows, stats %+v; want every received log stored", len(seqs), st)
	}
	checkAscending(t, seqs)
}

// writeSpool writes chunks of the numbered logs from..to (per chunks of
// per) into a spool directory, as an engine would have.
func writeSpool(t *testing.T, dir string, segBytes int64, at time.Time, from, to, per int) {
	t.Helper()
	sp, err := spool.Open(dir, spool.Options{SegmentBytes: segBytes})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	for i := from; i < to; i += per {
		c := getChunk()
		c.at = at.UnixNano()
		for _, m := range numbered(i, min(i+per, to), 100) {
			c.buf = append(c.buf, m...)
			c.ends = append(c.ends, len(c.buf))
			c.addrs = append(c.addrs, netip.MustParseAddr("10.0.0.7"))
		}
		if _, err := sp.Append(encodeChunk(nil, c)); err != nil {
			t.Fatal(err)
		}
		putChunk(c)
	}
}

func TestCorruptSpoolAtStartIsCountedAndTheRestReplays(t *testing.T) {
	cfg := spoolConfig(t)
	cfg.SpoolSegmentBytes = 16 << 10
	writeSpool(t, cfg.SpoolDir, cfg.SpoolSegmentBytes, time.Now(), 0, 1000, 10)
	segs := segments(t, cfg.SpoolDir)
	if len(segs) < 4 {
		t.Fatalf("segments; got %d; want several", len(segs))
	}
	// Garble a record in the middle of the second segment and tear the last
	// one's tail, as a kill mid-write would.
	b, err := os.ReadFile(segs[1])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(segs[1], b, 0o640); err != nil {
		t.Fatal(err)
	}
	last := segs[len(segs)-1]
	fi, _ := os.Stat(last)
	if err := os.Truncate(last, fi.Size()-5); err != nil {
		t.Fatal(err)
	}

	e, _ := startEngine(t, cfg, seqClass(t))
	st := waitSpoolQuiet(t, e)
	seqs := storedSeqs(t, cfg.Dir)
	if st.SpoolCorrupt != 2 || st.Replayed != st.Stored || st.Received != st.Stored || len(seqs) < 800 || len(seqs) > 990 {
		t.Fatalf("after replaying a damaged spool; got %d rows, stats %+v; want 2 corrupt records and the rest (> 800 of 1000) replayed", len(seqs), st)
	}
	checkAscending(t, seqs)
	if !hasEvent(e, "checksum mismatch") || !hasEvent(e, "torn record") {
		t.Fatalf("events %v; want the corrupt and the torn record reported", e.Events().List(50))
	}
	if r := readRows(t, dayFiles(t, cfg.Dir)[0])[0]; r["log_sender_ip"] != "10.0.0.7" {
		t.Fatalf("replayed row; got sender %q; want 10.0.0.7", r["log_sender_ip"])
	}
	waitFor(t, 10*time.Second, "the replayed spool's files to go", func() bool { return len(segments(t, cfg.SpoolDir)) == 0 })
}

func TestChunkRecordRoundTrips(t *testing.T) {
	c := getChunk()
	c.at = 1234567890123
	for i, a := range []string{"10.1.2.3", "2001:db8::1", ""} {
		c.buf = append(c.buf, fmt.Sprintf("datagram %d with \x00 bytes", i)...)
		c.ends = append(c.ends, len(c.buf))
		var addr netip.Addr
		if a != "" {
			addr = netip.MustParseAddr(a)
		}
		c.addrs = append(c.addrs, addr)
	}
	rec := encodeChunk(nil, c)
	d := getChunk()
	if err := decodeChunk(d, rec); err != nil {
		t.Fatal(err)
	}
	if d.at != c.at || string(d.buf) != string(c.buf) || fmt.Sprint(d.ends) != fmt.Sprint(c.ends) || fmt.Sprint(d.addrs) != fmt.Sprint(c.addrs) {
		t.Fatalf("round trip; got %d %q %v %v; want %d %q %v %v", d.at, d.buf, d.ends, d.addrs, c.at, c.buf, c.ends, c.addrs)
	}
	for cut := range len(rec) {
		if err := decodeChunk(getChunk(), rec[:cut]); !errors.Is(err, errBadRecord) {
			t.Fatalf("record cut at %d; got %v; want errBadRecord", cut, err)
		}
	}
}

// hasEvent reports whether one of the engine's events contains s.
func hasEvent(e *Engine, s string) bool {
	for _, ev := range e.Events().List(1000) {
		if strings.Contains(ev.Message, s) {
			return true
		}
	}
	return false
}

func TestPausedByTheDiskGuardDropsInsteadOfSpooling(t *testing.T) {
	cfg := spoolConfig(t)
	cfg.QueueLogs = 1 // every log finds the queue full until the writer's next batch
	e, addr := startEngine(t, cfg, seqClass(t))
	e.Pause("disk full: test")
	sendPaced(t, addr, numbered(0, 2000, 100))
	st := waitSpoolQuiet(t, e)
	if st.Spooled != 0 || st.Dropped == 0 || st.Refused+st.Dropped != st.Received {
		t.Fatalf("paused engine; got %+v; want drops counted and nothing spooled", st)
	}
	if segs := segments(t, cfg.SpoolDir); len(segs) != 0 {
		t.Fatalf("spool files of a paused engine; got %v; want none", segs)
	}
}

// A burst sent unpaced while the writer is blocked: the receiver reads full
// batches (a backlog in the socket) while it spools, so the parse workers
// pause between chunks (parse_worker.go). Once the writer is back and the
// socket is empty, the backlog flag must clear (else the workers stay
// throttled) and every received log is stored once, in send order.
func TestBurstWhileSpoolingStoresEverythingInOrderAndTheBacklogClears(t *testing.T) {
	cfg := spoolConfig(t)
	cfg.Workers = 2
	e, addr := startEngine(t, cfg, seqClass(t))
	send(t, addr, numbered(0, 1, 100)...)
	waitStored(t, e, 1)

	unlock := holdWriteLock(t, dayFiles(t, cfg.Dir)[0])
	const total = 20000
	sawBacklog := false
	for i := 1; i < total; i += 2000 {
		send(t, addr, numbered(i, min(i+2000, total), 200)...)
		sawBacklog = sawBacklog || e.backlog.Load()
	}
	waitFor(t, 10*time.Second, "logs to be spooled", func() bool { return e.Stats().Spooled > 0 })
	unlock()

	st := waitSpoolQuiet(t, e)
	seqs := storedSeqs(t, cfg.Dir)
	if st.Dropped != 0 || st.WriteErrors != 0 || uint64(len(seqs)) != st.Received || st.Stored != st.Received {
		t.Fatalf("after the burst; got %d rows, stats %+v; want every received log stored", len(seqs), st)
	}
	if st.Received+st.KernelDrops < total {
		t.Fatalf("received %d + kernel drops %d; want %d accounted for", st.Received, st.KernelDrops, total)
	}
	checkAscending(t, seqs)
	e.backlog.Store(true)                           // as the burst left it where the receiver read full batches
	send(t, addr, numbered(total, total+1, 100)...) // one short batch: the socket is empty
	waitStored(t, e, st.Stored+1)
	if e.backlog.Load() {
		t.Fatalf("the backlog flag is still set with the socket empty (saw it set during the burst: %t)", sawBacklog)
	}
	checkIntegrity(t, cfg.Dir)
}

// A receiver that stops with the backlog flag set clears it, so the parse
// workers do not pause for it while they finish the queue at stop.
func TestStoppedReceiverClearsTheBacklogFlag(t *testing.T) {
	cfg := spoolConfig(t)
	e, addr := startEngine(t, cfg, seqClass(t))
	send(t, addr, numbered(0, 1, 100)...)
	waitStored(t, e, 1)
	e.backlog.Store(true)
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if e.backlog.Load() {
		t.Fatal("the backlog flag is still set after the receiver stopped")
	}
}
