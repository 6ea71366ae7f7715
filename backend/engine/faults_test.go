package engine

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/store"
)

// seqClass extracts the sequence number of the numbered test messages.
func seqClass(t *testing.T) *class.Class {
	t.Helper()
	c, err := class.Compile("seq", map[string]string{"n": `n=(\d+)`}, []string{"n"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// numbered returns the messages n=from..to-1, padded to about size bytes.
func numbered(from, to, size int) []string {
	msgs := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		m := fmt.Sprintf("<13> host app: n=%d ", i)
		if len(m) < size {
			m += strings.Repeat("x", size-len(m))
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// waitFor polls cond every 5 ms until it holds, failing after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settled reports whether every received log has been accounted for.
func settled(st Stats) bool {
	return st.QueueDepth == 0 && st.Received == st.Stored+st.Dropped+st.WriteErrors+st.Rejected+st.Refused
}

// fileSeqs returns the n column of every row of every day file of dir, per file.
func fileSeqs(t *testing.T, dir string) map[string][]int {
	t.Helper()
	out := map[string][]int{}
	for _, f := range dayFiles(t, dir) {
		var seqs []int
		for _, r := range readRows(t, f) {
			n, err := strconv.Atoi(r["n"])
			if err != nil {
				t.Fatalf("row of %s without a sequence number: %v", f, r)
			}
			seqs = append(seqs, n)
		}
		out[filepath.Base(f)] = seqs
	}
	return out
}

// checkIntegrity runs PRAGMA integrity_check on every day file of dir.
func checkIntegrity(t *testing.T, dir string) {
	t.Helper()
	for _, f := range dayFiles(t, dir) {
		db, err := sql.Open("sqlite3", "file:"+f+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var res string
		err = db.QueryRow("PRAGMA integrity_check").Scan(&res)
		db.Close()
		if err != nil || res != "ok" {
			t.Fatalf("integrity_check of %s; got %q, %v; want ok", f, res, err)
		}
	}
}

// waitQuiet waits until the engine is settled and has received nothing new for
// 50 polls in a row: the kernel buffer may still hold logs of a burst after the
// queues are empty.
func waitQuiet(t *testing.T, e *Engine) {
	t.Helper()
	var last uint64
	quiet := 0
	waitFor(t, 20*time.Second, "the engine to go quiet", func() bool {
		st := e.Stats()
		if !settled(st) || st.Received != last {
			last, quiet = st.Received, 0
			return false
		}
		quiet++
		return quiet >= 50
	})
}

// checkNoSilentLoss asserts the loss accounting (received = stored + rejected + dropped + refused + write_errors) once the engine is idle: every
// received log is stored (and readable in a day file) or counted as lost.
func checkNoSilentLoss(t *testing.T, e *Engine, dir string) {
	t.Helper()
	waitQuiet(t, e)
	st := e.Stats()
	rows := 0
	for _, seqs := range fileSeqs(t, dir) {
		rows += len(seqs)
	}
	if uint64(rows) != st.Stored {
		t.Fatalf("rows in day files; got %d; want stored=%d (stats %+v)", rows, st.Stored, st)
	}
}

func TestBurstFarAboveCapacityIsCountedBoundedAndRecovers(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true, QueueLogs: 512, Workers: 1, BatchRows: 256, RcvBuf: 4 << 20}, seqClass(t))
	send(t, addr, numbered(0, 1, 100)...)
	waitStored(t, e, 1)

	// Hold the day file's write lock: the writer blocks, the queues fill, the
	// receiver must drop (and count) instead of buffering without bound.
	unlock := holdWriteLock(t, dayFiles(t, dir)[0])
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(numbered(1, 2, 1000)[0])
	const burst = 100000 // ~100 MB offered while nothing can be written
	for i := 0; i < burst; i++ {
		_, _ = conn.Write(line) // the kernel may refuse some: that is kernel loss
	}
	conn.Close()
	waitFor(t, 10*time.Second, "drops to be counted", func() bool { return e.Stats().Dropped > 0 })
	runtime.GC()
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	if grew := int64(during.HeapInuse) - int64(before.HeapInuse); grew > 64<<20 {
		t.Errorf("heap grew %d MiB during a burst with a blocked writer; want it bounded by the queues", grew>>20)
	}
	unlock()
	checkNoSilentLoss(t, e, dir)
	st := e.Stats()
	if st.Dropped == 0 || st.Stored < 2 {
		t.Fatalf("after the burst; got %+v; want drops counted and the accepted logs stored", st)
	}

	// The engine recovers: new logs are stored again, none dropped.
	stored, dropped := st.Stored, st.Dropped
	send(t, addr, numbered(1000000, 1000100, 100)...)
	waitStored(t, e, stored+100)
	if st := e.Stats(); st.Dropped != dropped {
		t.Fatalf("drops after recovery; got %d; want %d", st.Dropped, dropped)
	}
	seqs := fileSeqs(t, dir)[filepath.Base(dayFiles(t, dir)[0])]
	if got := seqs[len(seqs)-100:]; got[0] != 1000000 || got[99] != 1000099 {
		t.Fatalf("last rows after recovery; got %d..%d; want 1000000..1000099", got[0], got[99])
	}
}

// freePort returns a UDP port of 127.0.0.1 that was free a moment ago (an
// engine restarted on port 0 would move).
func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// mountTmpfs mounts a tmpfs of size bytes at a new directory (root only).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("disk-full test needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file into dir until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return p
		}
	}
}

func TestDiskFullCountsWriteErrorsOtherEnginesContinueAndItResumes(t *testing.T) {
	mnt := mountTmpfs(t, "2m")
	fullDir, okDir := filepath.Join(mnt, "engines", "full"), t.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	full, fullAddr := startEngine(t, Config{Dir: fullDir, KeepOriginal: true, Log: quiet}, seqClass(t))
	ok, okAddr := startEngine(t, Config{Dir: okDir, KeepOriginal: true}, seqClass(t))
	send(t, fullAddr, numbered(0, 10, 200)...)
	waitStored(t, full, 10)

	filler := fill(t, mnt)
	for i := 0; i < 20; i++ { // 20 batches of 500 x 1 KB: far more than what is left
		send(t, fullAddr, numbered(10+i*500, 10+(i+1)*500, 1000)...)
		send(t, okAddr, numbered(i*500, (i+1)*500, 1000)...)
		if full.Stats().WriteErrors > 0 {
			break
		}
		waitFor(t, 10*time.Second, "the batch to be written or refused", func() bool { return settled(full.Stats()) })
	}
	waitFor(t, 10*time.Second, "write errors on the full disk", func() bool { return full.Stats().WriteErrors > 0 })
	st := full.Stats()
	if st.State != StateRunning || !strings.Contains(st.Reason, "full") {
		t.Fatalf("engine on the full disk; got state %q reason %q; want running with a reason naming the full disk", st.State, st.Reason)
	}
	waitFor(t, 10*time.Second, "the other engine to store everything", func() bool {
		s := ok.Stats()
		return s.Received > 0 && s.Stored == s.Received
	})
	if s := ok.Stats(); s.WriteErrors != 0 || s.Reason != "" {
		t.Fatalf("the engine on a healthy disk; got %+v; want no errors", s)
	}

	// Space returns: the engine stores again by itself and the reason clears.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	checkNoSilentLoss(t, full, fullDir)
	stored := full.Stats().Stored
	send(t, fullAddr, numbered(900000, 900050, 200)...)
	waitStored(t, full, stored+50)
	if st := full.Stats(); st.Reason != "" {
		t.Errorf("reason after space returned; got %q; want none", st.Reason)
	}
	checkNoSilentLoss(t, full, fullDir)
	checkIntegrity(t, fullDir)
	checkNoSilentLoss(t, ok, okDir)
}

func TestDayFileDeletedUnderRunningEngineIsRecreated(t *testing.T) {
	dir := t.TempDir()
	days := store.NewDays(dir)
	t.Cleanup(func() { days.Close() })
	e, addr := startEngine(t, Config{Dir: dir, Days: days, KeepOriginal: true}, seqClass(t))
	send(t, addr, numbered(0, 10, 100)...)
	waitStored(t, e, 10)
	today := time.Now().UTC().Format(store.DateLayout)
	if err := days.Delete(today); err != nil {
		t.Fatal(err)
	}
	send(t, addr, numbered(10, 20, 100)...)
	waitStored(t, e, 20)
	got := fileSeqs(t, dir)[today+".sqlite3"]
	if want := []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows after the day file was deleted; got %v; want %v", got, want)
	}
	checkIntegrity(t, dir)
}

func TestDayFileMadeReadOnlyUnderRunningEngineLosesNothingSilently(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true, Port: freePort(t)}, seqClass(t))
	send(t, addr, numbered(0, 10, 100)...)
	waitStored(t, e, 10)
	f := dayFiles(t, dir)[0]
	if err := os.Chmod(f, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o750) })
	send(t, addr, numbered(10, 20, 100)...)
	waitFor(t, 10*time.Second, "the logs to be stored or refused", func() bool {
		st := e.Stats()
		return st.Received == 20 && settled(st)
	})
	// A restart reopens the file: as root it still opens, otherwise the engine
	// must fail or count write errors, never lose rows silently.
	_ = e.Stop()
	if err := e.Start(); err == nil {
		send(t, addr, numbered(20, 30, 100)...)
		waitFor(t, 10*time.Second, "the logs to be stored or refused", func() bool {
			st := e.Stats()
			return st.Received == 30 && settled(st)
		})
	}
	checkNoSilentLoss(t, e, dir)
	if st := e.Stats(); st.WriteErrors > 0 && st.Reason == "" {
		t.Fatalf("write errors without a reason: %+v", st)
	}
}

// logBuffer is a concurrency-safe slog sink for tests that wait on a log line.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

func TestClockJumpingAcrossMidnightRoutesRowsByReceiveDate(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	d1 := func(s int) time.Time { return time.Date(2026, 5, 1, 23, 59, s, 0, loc) }
	d2 := func(s int) time.Time { return time.Date(2026, 5, 2, 0, 0, s, 0, loc) }
	far := time.Date(2026, 5, 12, 12, 0, 0, 0, loc)
	clk := newFakeClock(d1(50))
	logs := &logBuffer{}
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, Location: loc, TZName: "Europe/Berlin", Now: clk.Now, KeepOriginal: true,
		Log: slog.New(slog.NewTextHandler(logs, nil))}, seqClass(t))

	steps := []time.Time{d1(50), d2(1), d1(55), far, d2(3)}
	want := map[string][]int{}
	for i, at := range steps {
		// Count the rollovers before the clock moves: the writer may notice the new
		// date (it checks once a second) before a count taken after Set.
		rolled := logs.count("day rolled over")
		clk.Set(at)
		if i > 0 && at.Format(store.DateLayout) != steps[i-1].Format(store.DateLayout) {
			waitFor(t, 5*time.Second, "the rollover to "+at.Format(store.DateLayout), func() bool { return logs.count("day rolled over") > rolled })
		}
		send(t, addr, numbered(i*10, i*10+10, 100)...)
		waitStored(t, e, uint64(i*10+10))
		date := at.Format(store.DateLayout) + ".sqlite3"
		for n := i * 10; n < i*10+10; n++ {
			want[date] = append(want[date], n)
		}
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	got := fileSeqs(t, dir)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows per day file; got %v; want %v", got, want)
	}
	for _, f := range dayFiles(t, dir) {
		date := strings.TrimSuffix(filepath.Base(f), ".sqlite3")
		for _, r := range readRows(t, f) {
			at := clockAt(steps, r["n"])
			if r["time"] != at.Format(store.TimeLayout) || r["time_zone"] != "Europe/Berlin" {
				t.Fatalf("row %s of %s; got time %q zone %q; want %q Europe/Berlin", r["n"], date, r["time"], r["time_zone"], at.Format(store.TimeLayout))
			}
		}
	}
	checkIntegrity(t, dir)
	// Closed days got their indexes even though the clock came back to them.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	days := store.NewDays(dir)
	defer days.Close()
	if _, err := days.Query(ctx, store.Query{Date: d1(0).Format(store.DateLayout), Filters: []store.Filter{{Column: "n", Text: "25", Exact: true}}}); err != nil {
		t.Fatalf("query of a day the clock came back to: %v", err)
	}
}

// clockAt returns the step time at which message n (text) was sent.
func clockAt(steps []time.Time, n string) time.Time {
	i, _ := strconv.Atoi(n)
	return steps[i/10]
}

func TestQueueIsBoundedInBytesForBigDatagrams(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true, QueueLogs: 1 << 20, QueueBytes: 1 << 20,
		Workers: 1, BatchRows: 64, RcvBuf: 8 << 20}, seqClass(t))
	send(t, addr, numbered(0, 1, 100)...)
	waitStored(t, e, 1)
	unlock := holdWriteLock(t, dayFiles(t, dir)[0])
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	big := []byte(numbered(1, 2, 32<<10)[0])
	for i := 0; i < 200; i++ { // 6.4 MB offered against a 1 MiB queue
		_, _ = conn.Write(big)
	}
	conn.Close()
	waitFor(t, 10*time.Second, "drops to be counted", func() bool { return e.Stats().Dropped > 0 })
	if q := e.ctr.queuedBytes.Load(); q > 1<<20 {
		t.Fatalf("queued bytes %d exceed the 1 MiB bound", q)
	}
	unlock()
	checkNoSilentLoss(t, e, dir)
	if q := e.ctr.queuedBytes.Load(); q != 0 {
		t.Fatalf("queued bytes after drain: got %d; want 0", q)
	}
}
