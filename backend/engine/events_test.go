package engine

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// messages returns the messages of events, oldest first.
func messages(evs []Event) []string {
	out := make([]string, 0, len(evs))
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Level+": "+evs[i].Message)
	}
	return out
}

// waitEvent waits for an event whose "level: message" contains want.
func waitEvent(t *testing.T, l *EventLog, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range messages(l.List(0)) {
			if strings.Contains(m, want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event %q; got %q", want, messages(l.List(0)))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventsForStartStopAndFailure(t *testing.T) {
	var pushed []Event
	log := NewEventLog(10, nil, func(ev Event) { pushed = append(pushed, ev) })
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	e := New(Config{Name: "x", Bind: "127.0.0.1", Port: port, Dir: t.TempDir(), Events: log}, mikrotik(t))
	if err := e.Start(); err == nil {
		t.Fatal("start on a taken port; got nil; want an error")
	}
	waitEvent(t, log, "error: failed to start")
	pc.Close()
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, log, "info: started on udp "+e.Addr())
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, log, "info: stopped")
	if len(pushed) != 3 {
		t.Errorf("events pushed to onAdd; got %d; want 3", len(pushed))
	}
	if got := log.List(1); len(got) != 1 || got[0].Level != LevelInfo || got[0].T == 0 {
		t.Errorf("newest event; got %+v; want the stop, with a time", got)
	}
}

func TestEventLogKeepsTheNewest(t *testing.T) {
	l := NewEventLog(3, nil, nil)
	for _, m := range []string{"a", "b", "c", "d"} {
		l.Add(LevelInfo, "%s", m)
	}
	if got, want := strings.Join(messages(l.List(0)), ","), "info: b,info: c,info: d"; got != want {
		t.Errorf("events; got %q; want %q", got, want)
	}
	if got := l.List(2); len(got) != 2 || got[0].Message != "d" {
		t.Errorf("List(2); got %+v; want d then c", got)
	}
}

func TestClassChangeAndRolloverAreEvents(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 5, 1, 23, 59, 59, 0, time.UTC))
	e, addr := startEngine(t, Config{Now: clock.Now}, mikrotik(t))
	e.SetClass(mikrotik(t))
	waitEvent(t, e.Events(), `class "mikrotik" changed`)
	send(t, addr, mikrotikLog)
	waitStored(t, e, 1)
	clock.Set(time.Date(2024, 5, 2, 0, 0, 1, 0, time.UTC))
	waitEvent(t, e.Events(), "day rolled over from 2024-05-01 to 2024-05-02")
}

func TestPauseRefusesCountsAndResumes(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir}, mikrotik(t))
	e.Pause("disk full: 3% free")
	if st := e.Stats(); st.State != StatePaused || st.Reason != "disk full: 3% free" {
		t.Errorf("state, reason; got %q, %q; want paused with the reason", st.State, st.Reason)
	}
	send(t, addr, "a", "b", "c")
	st := waitSettled(t, e, 3)
	if st.Refused != 3 || st.Stored != 0 {
		t.Errorf("refused, stored; got %d, %d; want 3, 0", st.Refused, st.Stored)
	}
	e.Resume("space is back")
	send(t, addr, "d")
	waitStored(t, e, 1)
	if st := e.Stats(); st.State != StateRunning || st.Refused != 3 {
		t.Errorf("after resume state, refused; got %q, %d; want running, 3", st.State, st.Refused)
	}
	waitEvent(t, e.Events(), "warning: paused: disk full")
	waitEvent(t, e.Events(), "info: resumed: space is back (refused while paused: 3)")
}

func TestWriteErrorsBecomeEvents(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	// A directory where today's file should be makes every write fail.
	if err := os.Mkdir(filepath.Join(dir, "2024-05-01.sqlite3"), 0o755); err != nil {
		t.Fatal(err)
	}
	e, addr := startEngine(t, Config{Dir: dir, Now: clock.Now}, mikrotik(t))
	send(t, addr, "a", "b")
	st := waitSettled(t, e, 2)
	if st.WriteErrors != 2 {
		t.Errorf("write errors; got %d; want 2", st.WriteErrors)
	}
	waitEvent(t, e.Events(), "error: write failed, ")
}

func TestDropsStartedAndStoppedAreEvents(t *testing.T) {
	e := New(Config{Name: "d", Dir: t.TempDir()}, mikrotik(t))
	var w dropWatch
	for _, s := range [][2]uint64{{0, 0}, {5, 0}, {9, 2}, {9, 2}, {9, 2}, {9, 2}} {
		w.observe(e, s[0], s[1])
	}
	got := messages(e.Events().List(0))
	want := []string{
		"warning: drops started: 5 dropped (queue full), 0 kernel drops in the last second",
		"info: drops stopped: 9 dropped (queue full), 2 kernel drops in all",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("drop events; got %q; want %q", got, want)
	}
}
