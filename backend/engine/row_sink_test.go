package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/store"
)

// holdSink keeps every batch it is offered (or refuses them all).
type holdSink struct {
	mu      sync.Mutex
	batches []*RowBatch
	refuse  bool
}

func (s *holdSink) OfferRows(b *RowBatch) bool {
	if s.refuse {
		return false
	}
	s.mu.Lock()
	s.batches = append(s.batches, b)
	s.mu.Unlock()
	return true
}

func TestRowSinkSeesEveryWrittenRowIntactWhileTheEngineGoesOn(t *testing.T) {
	sink := &holdSink{}
	e := New(Config{Name: "test", Bind: "127.0.0.1", Dir: t.TempDir(), FlushEvery: 5 * time.Millisecond}, mikrotik(t))
	e.SetRowSink(sink)
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	const n = 3000
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("%s seq=%d", mikrotikLog, i)
	}
	// In rounds, so the engine's pools turn over while the sink holds the
	// first rounds' chunks.
	for k := 0; k < n; k += 500 {
		send(t, e.Addr(), lines[k:k+500]...)
		waitStored(t, e, uint64(k+500))
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	var got []string
	for _, b := range sink.batches {
		if b.Engine != "test" || b.TZName != "UTC" || b.Schema == nil {
			t.Fatalf("unexpected batch; got %q %q %v", b.Engine, b.TZName, b.Schema)
		}
		b.Each(func(r *store.Row) bool {
			if r.Values[0].String != "RRWLkNYEZ" {
				t.Fatalf("unexpected pppoe of %q; got %q", r.Original, r.Values[0].String)
			}
			got = append(got, r.Original)
			return true
		})
		b.Release()
	}
	if len(got) != n {
		t.Fatalf("rows seen by the sink; got %d; want %d", len(got), n)
	}
	for i := range got {
		if got[i] != lines[i] {
			t.Fatalf("row %d; got %q; want %q", i, got[i], lines[i])
		}
	}
}

func TestASinkThatRefusesOrIsRemovedLeavesStoringAlone(t *testing.T) {
	e := New(Config{Name: "test", Bind: "127.0.0.1", Dir: t.TempDir()}, mikrotik(t))
	e.SetRowSink(&holdSink{refuse: true})
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	send(t, e.Addr(), mikrotikLog, mikrotikLog)
	waitStored(t, e, 2)
	e.SetRowSink(nil)
	send(t, e.Addr(), mikrotikLog)
	waitStored(t, e, 3)
}
