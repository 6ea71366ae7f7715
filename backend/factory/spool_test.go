package factory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/spool"
)

func TestEnginesSpoolUnderTheDataDirAndPurgeRemovesIt(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	e.f.SetSpoolMaxBytes(1 << 20)
	s := e.create(t, "edge")
	cfg := e.f.engineConfig(s, time.UTC, nil)
	if want := filepath.Join(e.dir, "spool", "edge"); cfg.SpoolDir != want || cfg.SpoolMaxBytes != 1<<20 {
		t.Fatalf("engine spool; got %q, %d bytes; want %q, 1048576", cfg.SpoolDir, cfg.SpoolMaxBytes, want)
	}
	// A running udp engine with a spool has its directory; purging the
	// engine removes it with the day files.
	if fi, err := os.Stat(cfg.SpoolDir); err != nil || !fi.IsDir() {
		t.Fatalf("spool directory of the running engine; got %v; want it created", err)
	}
	if err := e.f.DeleteEngine("edge", true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg.SpoolDir); !os.IsNotExist(err) {
		t.Fatalf("spool directory after purge; got %v; want it gone", err)
	}
}

// An engine deleted without purge keeps its spool; a later engine of the
// same name moves it aside (named in a warning event), does not replay it,
// and runs on a spool of its own.
func TestSpoolOfADeletedEngineIsMovedAsideNotReplayed(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	e.f.SetSpoolMaxBytes(1 << 20)
	e.create(t, "edge")
	dir := SpoolDir(e.dir, "edge")
	if err := e.f.DeleteEngine("edge", false); err != nil {
		t.Fatal(err)
	}
	// What the old engine left in its spool.
	sp, err := spool.Open(dir, spool.Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Append([]byte("a chunk of the old engine")); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(dir)
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	oldOwner, err := os.ReadFile(filepath.Join(dir, spool.OwnerFile))
	if err != nil {
		t.Fatalf("owner file of the old engine's spool: %v", err)
	}

	s := e.create(t, "edge") // another port
	st, err := e.f.Stats("edge")
	if err != nil {
		t.Fatal(err)
	}
	if st.Replayed != 0 || st.SpoolCorrupt != 0 || st.SpoolBytes != 0 {
		t.Fatalf("new engine replayed the old spool: %+v", st)
	}
	moved := filepath.Join(e.dir, "spool", spool.OrphanedDir, "edge-"+strings.TrimSpace(string(oldOwner)))
	got, err := os.ReadDir(moved)
	if err != nil || len(got) != len(left) {
		t.Fatalf("old spool at %s; got %v, %d files; want the %d files left", moved, err, len(got), len(left))
	}
	if !hasEvent(t, e.f, "edge", moved) {
		t.Fatalf("no event names %s: %+v", moved, mustEvents(t, e.f, "edge"))
	}
	now, err := os.ReadFile(filepath.Join(dir, spool.OwnerFile))
	if err != nil || string(now) == string(oldOwner) {
		t.Fatalf("new engine's spool owner; got %q, %v; want a new one (old %q)", now, err, oldOwner)
	}
	sendTo(t, s.Port, "<13>Jan  1 00:00:00 host app: new engine", 3)
	waitStored(t, e.f, "edge", 3)

	// Purge removes the new engine's spool (the moved one is the operator's).
	if err := e.f.DeleteEngine("edge", true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("spool after purge; got %v; want it gone", err)
	}
}
