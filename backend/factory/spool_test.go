package factory

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestEnginesSpoolUnderTheDataDirAndPurgeRemovesIt(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	e.f.SetSpoolMaxBytes(1 << 20)
	s := e.create(t, "edge")
	cfg := e.f.engineConfig(s, time.UTC)
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
