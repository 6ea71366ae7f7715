package cluster

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Acks stall (NATS gone, as while a stream leader is elected): what the
// ingest node accepted goes to its unacked spool once it waited
// UnackedAfter, so its memory holds nothing a kill could lose. The node is
// then killed (its disk copied as the kill leaves it) and started again:
// every log is stored, once. A second start from the same disk, after the
// acks (a kill between the acks and the mark), publishes copies that
// JetStream drops, and a third past its duplicate window copies the store
// node finds claimed and stored: still once.
func TestUnackedSpoolKeepsWhatAKillWouldLoseWhileAcksStall(t *testing.T) {
	dataDir := t.TempDir()
	c := startSpoolClusterWith(t, func(cfg *Config) { cfg.DataDir = dataDir })
	ns, url, ds, st, in, e := c.ns, c.url, c.ds, c.st, c.in, c.e

	sendSeq(t, e, 0, 300)
	waitFor(t, "the first 300 logs stored", func() bool { return st.Stats().StoredRows == 300 })

	ns.stop()
	const total = 3300
	sendSeq(t, e, 300, total)
	// Nothing in memory: the queue is empty, nothing waits for an ack
	// outside the spool, every log after the first 300 is on disk.
	waitFor(t, "every log accepted on disk", func() bool {
		s, p := e.Stats(), in.Stats()
		return s.Stored == total && s.QueueDepth == 0 && p.UnackedSpooledRows == total-300
	})
	if s := e.Stats(); s.Dropped != 0 || s.WriteErrors != 0 {
		t.Fatalf("unexpected losses while acks stall: dropped %d, write errors %d", s.Dropped, s.WriteErrors)
	}
	dir := unackedDir(dataDir, "e1")
	killA, killB, killC := copyDir(t, dir), copyDir(t, dir), copyDir(t, dir)

	// The kill: nothing the first node holds reaches NATS any more.
	in.StopRetrying()
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if got := st.Stats().StoredRows; got != 300 {
		t.Fatalf("rows stored while acks stalled: %d; want 300", got)
	}

	restart := func(snap string) *Node {
		t.Helper()
		d := t.TempDir()
		if err := os.MkdirAll(filepath.Dir(unackedDir(d, "e1")), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(snap, unackedDir(d, "e1")); err != nil {
			t.Fatal(err)
		}
		n := startNode(t, url, "in", RoleIngest, func(cfg *Config) { cfg.DataDir = d })
		spoolingEngine(t, n, freeUDPPort(t), filepath.Join(t.TempDir(), "spool"))
		return n
	}

	ns.start()
	in2 := restart(killA)
	waitFor(t, "every log stored after the restart", func() bool {
		return st.Stats().StoredRows >= total && in2.Stats().UnackedSpooledRows == 0
	})
	if got := nums(t, ds); !slices.Equal(got, seqInts(0, total)) {
		t.Fatalf("unexpected stored logs after the restart; got %d rows; want 0..%d once each", len(got), total-1)
	}
	if p := in2.Stats(); p.PublishedRows != total-300 || p.PublishDuplicates != 0 {
		t.Fatalf("restart published %d rows (%d duplicates); want %d, 0", p.PublishedRows, p.PublishDuplicates, total-300)
	}
	waitFor(t, "the replayed unacked spool marked", func() bool {
		_, err := os.Stat(filepath.Join(unackedDir(in2.Config().DataDir, "e1"), "mark"))
		return err == nil
	})
	in2.Close()

	// The same disk again: every message was acked before (a kill between
	// the acks and the mark); JetStream drops the copies.
	in3 := restart(killB)
	waitFor(t, "the second replay acked", func() bool {
		p := in3.Stats()
		return p.PublishedRows == total-300 && p.UnackedSpooledRows == 0
	})
	if p := in3.Stats(); p.PublishDuplicates == 0 || p.PublishDuplicates != p.PublishedBatches {
		t.Fatalf("unexpected duplicate publishes %d of %d; want all", p.PublishDuplicates, p.PublishedBatches)
	}
	if got := nums(t, ds); !slices.Equal(got, seqInts(0, total)) {
		t.Fatalf("unexpected stored logs after the second replay; got %d rows; want 0..%d once each", len(got), total-1)
	}
	in3.Close()

	// Past the duplicate window the copies reach the store node, which finds
	// the batch ids claimed and stored.
	passDuplicateWindow(t, st)
	in4 := restart(killC)
	waitFor(t, "the third replay found stored", func() bool {
		if d := in4.Stats().PublishDuplicates; d != 0 {
			t.Fatalf("JetStream still dropped %d copies past its window", d)
		}
		return in4.Stats().PublishedRows == total-300 && st.Stats().DuplicateRows == total-300
	})
	if d := in4.Stats().PublishDuplicates; d != 0 {
		t.Fatalf("JetStream still dropped %d copies past its window", d)
	}
	if got := nums(t, ds); !slices.Equal(got, seqInts(0, total)) {
		t.Fatalf("unexpected stored logs after the replay past the window; got %d rows; want 0..%d once each", len(got), total-1)
	}
}
