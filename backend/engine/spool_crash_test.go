package engine

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestSpoolCrashChild is the engine process that
// TestKill9WhileSpoolingStoresEveryReceivedLogOnce kills: the test binary
// re-executes itself with LOGSIEVE_SPOOL_CHILD set to a directory and runs
// a spooling engine there, writing its stats to <dir>/stats.json every 10 ms
// until it is killed.
func TestSpoolCrashChild(t *testing.T) {
	dir := os.Getenv("LOGSIEVE_SPOOL_CHILD")
	if dir == "" {
		return
	}
	port, err := strconv.Atoi(os.Getenv("LOGSIEVE_SPOOL_PORT"))
	if err != nil {
		t.Fatal(err)
	}
	e := New(Config{Name: "crash", Bind: "127.0.0.1", Port: port, Dir: filepath.Join(dir, "days"),
		SpoolDir: filepath.Join(dir, "spool"), SpoolMaxBytes: 1 << 30, KeepOriginal: true,
		QueueLogs: 512, Workers: 1, BatchRows: 64, FlushEvery: 20 * time.Millisecond}, seqClass(t))
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	for {
		b, _ := json.Marshal(e.Stats())
		tmp := filepath.Join(dir, "stats.json.tmp")
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "stats.json")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// spoolChild is one run of TestSpoolCrashChild.
type spoolChild struct {
	cmd  *exec.Cmd
	dir  string
	done chan struct{}
}

func startSpoolChild(t *testing.T, dir string, port int) *spoolChild {
	t.Helper()
	_ = os.Remove(filepath.Join(dir, "stats.json"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpoolCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LOGSIEVE_SPOOL_CHILD="+dir, "LOGSIEVE_SPOOL_PORT="+strconv.Itoa(port))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &spoolChild{cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(c.kill)
	waitFor(t, 30*time.Second, "the child engine to run", func() bool { return c.stats(t).State == StateRunning })
	return c
}

// stats returns the child's last written stats (zero before the first).
func (c *spoolChild) stats(t *testing.T) Stats {
	t.Helper()
	var st Stats
	b, err := os.ReadFile(filepath.Join(c.dir, "stats.json"))
	if err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("child stats %q: %v", b, err)
		}
	}
	select {
	case <-c.done:
		t.Fatalf("the child engine exited; last stats %+v", st)
	default:
	}
	return st
}

// kill sends SIGKILL and waits for the process to go.
func (c *spoolChild) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Kill()
	<-c.done
}

// stableStats waits until cond holds and the child's stats stay the same
// for 300 ms of the child's own uptime, and returns them.
func stableStats(t *testing.T, c *spoolChild, what string, cond func(Stats) bool) Stats {
	t.Helper()
	var last Stats
	var since float64
	waitFor(t, 30*time.Second, what, func() bool {
		st := c.stats(t)
		up := st.UptimeS
		st.UptimeS, st.Workers, st.InPerS, st.StoredPerS = 0, nil, 0, 0
		if !cond(st) || !statsEqual(st, last) {
			last, since = st, up
			return false
		}
		return up-since >= 0.3
	})
	return last
}

func statsEqual(a, b Stats) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestKill9WhileSpoolingStoresEveryReceivedLogOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir, port := t.TempDir(), freePort(t)
	a := startSpoolChild(t, dir, port)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	send(t, addr, numbered(0, 1, 100)...)
	stableStats(t, a, "the first log to be stored", func(st Stats) bool { return st.Stored == 1 })
	day := dayFiles(t, filepath.Join(dir, "days"))[0]

	// The writer stalls (this test holds the day file's write lock): the
	// burst goes to the spool.
	unlock := holdWriteLock(t, day+"?_busy_timeout=10000")
	const total = 20000
	sendPaced(t, addr, numbered(1, total, 150))
	received := stableStats(t, a, "the burst to be received", func(st Stats) bool {
		return st.Spooled > 0 && st.Received+st.KernelDrops >= total
	}).Received
	// The writer drains part of the spool, then stalls again (the lock is
	// taken between two of its transactions): the kill comes while spooled
	// logs are stored, queued, and still spooled.
	unlock()
	waitFor(t, 30*time.Second, "part of the spool to be stored", func() bool { return a.stats(t).Stored >= 3000 })
	unlock = holdWriteLock(t, day+"?_busy_timeout=10000")
	before := stableStats(t, a, "the writer to stall", func(Stats) bool { return true })
	if before.SpoolDepth == 0 || before.Stored >= received {
		t.Fatalf("stats before the kill; got %+v; want logs stored and logs still spooled", before)
	}
	a.kill()
	unlock()

	// The restart replays exactly what was not committed.
	b := startSpoolChild(t, dir, port)
	after := stableStats(t, b, "the spool to be replayed", func(st Stats) bool {
		return st.Replayed > 0 && st.SpoolDepth == 0 && st.QueueDepth == 0 && st.SpoolBytes == 0
	})
	b.kill()
	seqs := storedSeqs(t, filepath.Join(dir, "days"))
	checkAscending(t, seqs) // no duplicate, receive order
	if uint64(len(seqs)) != received || after.Replayed != received-before.Stored || after.Stored != after.Replayed {
		t.Fatalf("after kill -9 and restart; got %d rows (first run received %d, stored %d; second run %+v); want every received log stored once",
			len(seqs), received, before.Stored, after)
	}
	checkIntegrity(t, filepath.Join(dir, "days"))
}
