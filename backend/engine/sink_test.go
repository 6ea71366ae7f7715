package engine

import (
	"fmt"
	"sync"
	"testing"

	"github.com/logsieve/logsieve/backend/store"
)

// memSink is a Sink that keeps the rows it is given.
type memSink struct {
	mu   sync.Mutex
	rows []string // pppoe of each row, in order
}

func (s *memSink) Write(sc *store.Schema, rows []store.Row) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		s.rows = append(s.rows, r.Values[0].String)
	}
	return len(rows), nil
}

func (s *memSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rows)
}

// With a Sink the batches go to it in receive order, no day file is
// written and the overflow spool stays off.
func TestSinkTakesTheBatchesInsteadOfTheDayFiles(t *testing.T) {
	sink := &memSink{}
	dir, spoolDir := t.TempDir(), t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, Sink: sink, SpoolDir: spoolDir, SpoolMaxBytes: 1 << 20, Workers: 1}, mikrotik(t))
	var msgs []string
	for i := 0; i < 50; i++ {
		msgs = append(msgs, fmt.Sprintf("<869> 01:02:05 R in:<pppoe-u%d> out:x", i))
	}
	send(t, addr, msgs...)
	waitStored(t, e, 50)
	if got := sink.count(); got != 50 {
		t.Fatalf("unexpected rows in the sink; got %d; want 50", got)
	}
	for i, p := range sink.rows {
		if want := fmt.Sprintf("u%d", i); p != want {
			t.Fatalf("unexpected row %d; got %q; want %q", i, p, want)
		}
	}
	if files := dayFiles(t, dir); len(files) != 0 {
		t.Fatalf("unexpected day files %q; want none", files)
	}
	if e.sp != nil {
		t.Fatal("the spool is open while a Sink takes the batches")
	}
}
