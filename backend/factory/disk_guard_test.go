package factory

import (
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// openGuarded opens a factory whose clock is 2024-05-05 12:00 UTC and whose
// free space is what free returns; the guard runs only when the test calls
// CheckDisk (after the one check at boot).
func openGuarded(t *testing.T, dir string, minFree int, policy string, free func() float64) *Factory {
	t.Helper()
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 5, 5, 12, 0, 0, 0, time.UTC)
	f, err := New(Config{DataDir: dir, Meta: db, HostTZ: "UTC", Now: func() time.Time { return now },
		MinFreePercent: minFree, DiskFullPolicy: policy, DiskCheckEvery: time.Hour,
		FreeSpace:    func(string) (float64, error) { return free(), nil },
		EngineTuning: func(c *engine.Config) { c.FlushEvery = 20 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close(); _ = db.Close() })
	if err := f.Seed(false); err != nil {
		t.Fatal(err)
	}
	return f
}

// writeDay makes a closed day file of engine with one row.
func writeDay(t *testing.T, dir, name, date string) {
	t.Helper()
	w, err := store.OpenWriter(store.EngineDir(dir, name), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at, _ := time.Parse("2006-01-02 15:04", date+" 10:00")
	if _, err := w.Write(&store.Schema{}, []store.Row{{ReceivedAt: at.UnixNano(), SenderIP: "10.0.0.1"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// allDays lists "engine/date" of every day file, sorted.
func allDays(t *testing.T, dir string, engines ...string) []string {
	t.Helper()
	var out []string
	for _, n := range engines {
		ds, err := listDays(store.EngineDir(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			out = append(out, n+"/"+d.Date)
		}
	}
	sort.Strings(out)
	return out
}

func hasEvent(t *testing.T, f *Factory, name, want string) bool {
	t.Helper()
	evs, err := f.Events(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Level+": "+ev.Message, want) {
			return true
		}
	}
	return false
}

func TestDiskGuardDeletesOldestClosedDaysThenPausesAndResumes(t *testing.T) {
	dir := t.TempDir()
	// Free space grows 3 points with each day file deleted: 5 files -> 5 %.
	free := func() float64 { return 20 - 3*float64(len(allDays(t, dir, "a", "b"))) }
	f := openGuarded(t, dir, 0, meta.PolicyDeleteOldest, free)
	for _, n := range []string{"a", "b"} {
		s := f.DefaultSpec()
		s.Name, s.Class, s.Bind, s.Port = n, "mikrotik", "127.0.0.1", freeUDPPort(t)
		if err := f.CreateEngine(s); err != nil {
			t.Fatal(err)
		}
	}
	writeDay(t, dir, "a", "2024-05-01")
	writeDay(t, dir, "b", "2024-05-02")
	writeDay(t, dir, "a", "2024-05-03")
	writeDay(t, dir, "b", "2024-05-04")
	aPort := f.engines["a"].spec.Port
	sendTo(t, aPort, mikrotikLog, 1)
	waitStored(t, f, "a", 1) // today's file of a: 2024-05-05

	f.SetDiskPolicy(10, meta.PolicyDeleteOldest)
	f.CheckDisk() // 5 % -> delete 05-01 (8 %), 05-02 (11 %)
	want := "a/2024-05-03 a/2024-05-05 b/2024-05-04"
	if got := strings.Join(allDays(t, dir, "a", "b"), " "); got != want {
		t.Errorf("days after the guard; got %q; want %q", got, want)
	}
	if !hasEvent(t, f, "a", "disk guard deleted day 2024-05-01") || !hasEvent(t, f, "b", "disk guard deleted day 2024-05-02") {
		t.Errorf("no deletion events; got a %v, b %v", mustEvents(t, f, "a"), mustEvents(t, f, "b"))
	}
	if st, _ := f.Stats("a"); st.State != engine.StateRunning {
		t.Errorf("state after freeing enough; got %q; want running", st.State)
	}

	f.SetDiskPolicy(20, meta.PolicyDeleteOldest)
	f.CheckDisk() // deletes every closed day (17 %), never today, then pauses
	if got, want := strings.Join(allDays(t, dir, "a", "b"), " "), "a/2024-05-05"; got != want {
		t.Errorf("days after the guard; got %q; want %q", got, want)
	}
	for _, n := range []string{"a", "b"} {
		if st, _ := f.Stats(n); st.State != engine.StatePaused || !strings.Contains(st.Reason, "disk full") {
			t.Errorf("engine %q state, reason; got %q, %q; want paused, disk full", n, st.State, st.Reason)
		}
	}
	if info, _ := f.Engine("b"); info.State != engine.StatePaused || info.Error == "" {
		t.Errorf("engine info while paused; got %+v; want paused with the reason", info)
	}
	sendTo(t, aPort, mikrotikLog, 3)
	waitSettled(t, f, "a", 4)
	if st, _ := f.Stats("a"); st.Refused != 3 || st.Stored != 1 {
		t.Errorf("refused, stored while paused; got %d, %d; want 3, 1", st.Refused, st.Stored)
	}

	f.SetDiskPolicy(16, meta.PolicyDeleteOldest) // 17 % < 16+2: stays paused
	f.CheckDisk()
	if st, _ := f.Stats("a"); st.State != engine.StatePaused {
		t.Errorf("state at 1 point above the minimum; got %q; want paused", st.State)
	}
	f.SetDiskPolicy(15, meta.PolicyDeleteOldest) // 17 % >= 15+2: resumes
	f.CheckDisk()
	if st, _ := f.Stats("a"); st.State != engine.StateRunning {
		t.Errorf("state once space is back; got %q; want running", st.State)
	}
	sendTo(t, aPort, mikrotikLog, 1)
	waitStored(t, f, "a", 2)
	if !hasEvent(t, f, "b", "info: resumed: disk space is back") || !hasEvent(t, f, "a", "warning: paused: disk full") {
		t.Errorf("no pause/resume events; got %v", mustEvents(t, f, "a"))
	}
}

func mustEvents(t *testing.T, f *Factory, name string) []engine.Event {
	t.Helper()
	evs, err := f.Events(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestDiskGuardPausePolicyKeepsDaysAndResumesByItself(t *testing.T) {
	dir := t.TempDir()
	var free atomic.Int64
	free.Store(50)
	f := openGuarded(t, dir, 10, meta.PolicyPause, func() float64 { return float64(free.Load()) })
	s := f.DefaultSpec()
	s.Name, s.Class, s.Bind, s.Port = "p", "mikrotik", "127.0.0.1", freeUDPPort(t)
	if err := f.CreateEngine(s); err != nil {
		t.Fatal(err)
	}
	writeDay(t, dir, "p", "2024-05-01")
	free.Store(5)
	f.CheckDisk()
	if st, _ := f.Stats("p"); st.State != engine.StatePaused {
		t.Fatalf("state at 5 %% free; got %q; want paused", st.State)
	}
	if got := allDays(t, dir, "p"); len(got) != 1 {
		t.Errorf("days under the pause policy; got %q; want the closed day kept", got)
	}
	sendTo(t, s.Port, mikrotikLog, 2)
	waitSettled(t, f, "p", 2)

	// An engine created while paused starts paused.
	s2 := f.DefaultSpec()
	s2.Name, s2.Class, s2.Bind, s2.Port = "late", "mikrotik", "127.0.0.1", freeUDPPort(t)
	if err := f.CreateEngine(s2); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.Stats("late"); st.State != engine.StatePaused {
		t.Errorf("engine created while paused; got %q; want paused", st.State)
	}

	free.Store(11)
	f.CheckDisk()
	if st, _ := f.Stats("p"); st.State != engine.StatePaused {
		t.Errorf("state at 11 %% free (min 10); got %q; want still paused", st.State)
	}
	free.Store(12)
	f.CheckDisk()
	st, _ := f.Stats("p")
	if st.State != engine.StateRunning || st.Refused != 2 {
		t.Errorf("state, refused at 12 %% free; got %q, %d; want running, 2", st.State, st.Refused)
	}
	if d := f.DiskState(); d.Paused || d.FreePercent != 12 || d.Policy != meta.PolicyPause {
		t.Errorf("disk state; got %+v; want not paused, 12 %%, pause policy", d)
	}
}
