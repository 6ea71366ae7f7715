package factory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// The disk guard lists days from stat alone: a day file SQLite cannot open
// (here not a database at all) is still listed and deleted. Listing by opening
// each file failed on it and skipped the whole engine.
func TestDiskGuardDeletesADayFileThatIsNotADatabase(t *testing.T) {
	dir := t.TempDir()
	free := func() float64 { return 20 - 15*float64(len(mustDayNames(t, dir, "a"))) }
	f := openGuarded(t, dir, 0, meta.PolicyDeleteOldest, free)
	s := f.DefaultSpec()
	s.Name, s.Class, s.Bind, s.Port, s.Enabled = "a", "mikrotik", "127.0.0.1", freeUDPPort(t), false
	if err := f.CreateEngine(s); err != nil {
		t.Fatal(err)
	}
	edir := store.EngineDir(dir, "a")
	if err := os.MkdirAll(edir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(edir, "2024-05-01.sqlite3"), []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.SetDiskPolicy(10, meta.PolicyDeleteOldest)
	f.CheckDisk() // 5 % free -> delete 2024-05-01 -> 20 %
	if got := mustDayNames(t, dir, "a"); len(got) != 0 {
		t.Errorf("day files after the guard; got %v; want none", got)
	}
	if !hasEvent(t, f, "a", "disk guard deleted day 2024-05-01") {
		t.Errorf("no deletion event; got %v", mustEvents(t, f, "a"))
	}
}

// mustDayNames lists the day files of engine name by name (no SQLite open).
func mustDayNames(t *testing.T, dir, name string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(store.EngineDir(dir, name), "*.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// While the disk guard lists an engine's days, the factory answers other calls:
// it does not hold its lock while listing.
func TestDiskGuardListsDaysOutsideTheFactoryLock(t *testing.T) {
	dir := t.TempDir()
	f := openGuarded(t, dir, 0, meta.PolicyDeleteOldest, func() float64 { return 5 })
	s := f.DefaultSpec()
	s.Name, s.Class, s.Bind, s.Port, s.Enabled = "a", "mikrotik", "127.0.0.1", freeUDPPort(t), false
	if err := f.CreateEngine(s); err != nil {
		t.Fatal(err)
	}
	listing, release := make(chan struct{}), make(chan struct{})
	f.guardMu.Lock() // the boot check may still run
	f.listHook = func() {
		close(listing)
		<-release
	}
	f.guardMu.Unlock()
	f.SetDiskPolicy(10, meta.PolicyDeleteOldest)
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		f.CheckDisk()
	}()
	<-listing
	answered := make(chan []EngineInfo, 1)
	go func() { answered <- f.Engines() }()
	select {
	case infos := <-answered:
		if len(infos) != 1 || !strings.EqualFold(infos[0].Name, "a") {
			t.Errorf("engines while the guard lists; got %+v", infos)
		}
	case <-time.After(10 * time.Second):
		t.Error("Engines() did not answer while the disk guard was listing days: the guard holds the factory lock")
	}
	close(release)
	<-checked
}
