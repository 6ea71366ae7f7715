package cluster

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/spool"
)

// An engine is deleted while its unacked spool holds rows (acks stall),
// and an engine of the same name is defined again. In the same process the
// new definition's sink retires the old one and moves its unacked spool
// aside (reported with its path); what the old sender had already handed
// to the NATS client may still arrive (it was the old engine's). After a
// restart, the spool as the kill left it is moved aside too, and nothing
// of it is published: the store node gets only the new engine's rows.
func TestUnackedSpoolOfAnEarlierDefinitionIsMovedAsideNotPublished(t *testing.T) {
	dataDir := t.TempDir()
	c := startSpoolClusterWith(t, func(cfg *Config) { cfg.DataDir = dataDir })
	ns, ds, st, in, e := c.ns, c.ds, c.st, c.in, c.e

	sendSeq(t, e, 0, 300)
	waitFor(t, "the first 300 logs stored", func() bool { return st.Stats().StoredRows == 300 })
	ns.stop()
	sendSeq(t, e, 300, 1300)
	waitFor(t, "the old engine's logs in its unacked spool", func() bool {
		s := e.Stats()
		return s.Stored == 1300 && s.QueueDepth == 0 && in.Stats().UnackedSpooledRows == 1000
	})
	if err := e.Stop(); err != nil { // the engine is deleted
		t.Fatal(err)
	}
	snap := copyDir(t, unackedDir(dataDir, "e1")) // as a kill would leave it

	var mu sync.Mutex
	var movedTo string
	var movedBytes int64
	report := func(path string, bytes int64) {
		mu.Lock()
		movedTo, movedBytes = path, bytes
		mu.Unlock()
	}
	checkMoved := func(want string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if movedTo != want || movedBytes == 0 {
			t.Fatalf("moved aside; got %q, %d bytes; want %q, some bytes", movedTo, movedBytes, want)
		}
		if ents, err := os.ReadDir(want); err != nil || len(ents) < 2 {
			t.Fatalf("old unacked spool at %s; got %d files, %v", want, len(ents), err)
		}
		movedTo = ""
	}
	sink := in.SinkFor("e1", "def-2", report)
	checkMoved(filepath.Join(dataDir, "cluster", "unacked", spool.OrphanedDir, "e1-"+spool.LegacyOwner))
	if b, err := os.ReadFile(filepath.Join(unackedDir(dataDir, "e1"), spool.OwnerFile)); err != nil || string(b) != "def-2\n" {
		t.Fatalf("owner of the new unacked spool; got %q, %v", b, err)
	}

	cls, err := class.Compile("seq", map[string]string{"n": `n=(\d+)`}, []string{"n"})
	if err != nil {
		t.Fatal(err)
	}
	newEngine := func(s *EngineSink) *engine.Engine {
		e := engine.New(engine.Config{Name: "e1", Bind: "127.0.0.1", Port: freeUDPPort(t), Dir: t.TempDir(),
			QueueLogs: 256, Workers: 1, BatchRows: 64, FlushEvery: 20 * time.Millisecond, Sink: s}, cls)
		if err := e.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Stop() })
		return e
	}
	e2 := newEngine(sink)
	ns.start()
	sendSeq(t, e2, 5000, 5100)
	waitFor(t, "the new engine's logs stored", func() bool {
		got := nums(t, ds)
		return in.Stats().UnackedSpooledRows == 0 && len(got) >= 100 && slices.Equal(got[len(got)-100:], seqInts(5000, 5100))
	})

	// The restart: the old spool, as the kill left it, under a node that
	// defines the engine anew.
	d := t.TempDir()
	if err := os.MkdirAll(filepath.Dir(unackedDir(d, "e1")), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(snap, unackedDir(d, "e1")); err != nil {
		t.Fatal(err)
	}
	in3 := startNode(t, c.url, "in3", RoleIngest, func(cfg *Config) { cfg.DataDir = d })
	before := nums(t, ds)
	e3 := newEngine(in3.SinkFor("e1", "def-2", report))
	checkMoved(filepath.Join(d, "cluster", "unacked", spool.OrphanedDir, "e1-"+spool.LegacyOwner))
	sendSeq(t, e3, 6000, 6100)
	want := append(slices.Clone(before), seqInts(6000, 6100)...)
	waitFor(t, "the restarted engine's logs stored", func() bool { return len(nums(t, ds)) >= len(want) })
	if got := nums(t, ds); !slices.Equal(got, want) {
		t.Fatalf("stored logs after the restart; got %d rows; want %d: those before and the new engine's 100 (nothing of the moved spool)", len(got), len(want))
	}
}
