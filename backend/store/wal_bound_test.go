package store

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// walSize returns the size of the day file's WAL (0 when there is none).
func walSize(t *testing.T, dir, date string) int64 {
	t.Helper()
	st, err := os.Stat(dayPath(dir, date) + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestWriterKeepsWALUnderBoundWhileReadersQuery(t *testing.T) {
	defer func(old int64) { walCheckpointBytes = old }(walCheckpointBytes)
	walCheckpointBytes = 4 << 20 // the same code path as 64 MiB, 16 times faster
	const batches, perBatch = 120, 500
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}, KeepOriginal: true}
	orig := strings.Repeat("x", 1000)
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	mustWrite(t, w, s, []Row{{ReceivedAt: at, SenderIP: "10.0.0.1", Values: []sql.NullString{str("a")}, Original: orig}})
	// An idle read handle held through the whole ingest must not pin the WAL.
	idle, err := w.Days().Open(t.Context(), queryDate)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Release()
	// One batch adds ~0.6 MB of WAL frames; the bound is checked after each.
	bound := walCheckpointBytes + 2<<20
	var peak int64
	rows := make([]Row, perBatch)
	for b := range batches {
		for i := range rows {
			at += 1e6
			rows[i] = Row{ReceivedAt: at, SenderIP: "10.0.0.1", Values: []sql.NullString{str("a")}, Original: orig}
		}
		mustWrite(t, w, s, rows)
		peak = max(peak, walSize(t, dir, queryDate))
		if b%10 == 0 {
			p, err := w.Days().Query(t.Context(), Query{Date: queryDate, Desc: true, Order: []string{"a"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rows) != DefaultLimit {
				t.Fatalf("first page has %d rows; want %d", len(p.Rows), DefaultLimit)
			}
		}
	}
	written := int64(batches * perBatch * len(orig))
	if peak > bound {
		t.Fatalf("WAL reached %d bytes while %d bytes of logs were written; want at most %d", peak, written, bound)
	}
	if n := walSize(t, dir, queryDate); n > bound {
		t.Fatalf("WAL is %d bytes at the end; want at most %d", n, bound)
	}
}

// slowWriter is a CSV client that reads slowly.
type slowWriter struct{}

func (slowWriter) Write(p []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	return len(p), nil
}

// TestWriterKeepsWALUnderBoundWithBusyReaders: viewers querying back to
// back, client counts and a slow CSV export in progress all the time (36 MB
// written against a 4 MiB bound) must not keep the writer from truncating the WAL (some statement was always
// running, so SQLite could never restart the WAL and it grew with the day).
func TestWriterKeepsWALUnderBoundWithBusyReaders(t *testing.T) {
	defer func(old int64) { walCheckpointBytes = old }(walCheckpointBytes)
	walCheckpointBytes = 4 << 20
	defer func(old int) { exportChunkBytes = old }(exportChunkBytes)
	exportChunkBytes = 64 << 10 // a slow client reads many steps per day
	// The writer waits for the statements in progress however slow this
	// machine is (under -race a needle chunk can take over 500 ms): the test
	// is about readers pinning the WAL, not about their speed.
	defer func(old time.Duration) { walGateWait = old }(walGateWait)
	walGateWait = time.Minute
	const batches, perBatch = 60, 500
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}, KeepOriginal: true}
	orig := strings.Repeat("x", 1000)
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	next := func() []Row {
		rows := make([]Row, perBatch)
		for i := range rows {
			at += 1e6
			rows[i] = Row{ReceivedAt: at, SenderIP: "10.0.0.1", Client: str("c"), Values: []sql.NullString{str("a")}, Original: orig}
		}
		return rows
	}
	for range 10 {
		mustWrite(t, w, s, next())
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make(chan error, 16)
	loop := func(read func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := read(); err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	ds := w.Days()
	for range 3 {
		loop(func() error {
			_, err := ds.Query(ctx, Query{Date: queryDate, Desc: true, Order: []string{"a"}})
			return err
		})
		loop(func() error { // a needle scan over the whole day
			_, err := ds.Query(ctx, Query{Date: queryDate, Q: "needle", Order: []string{"a"}})
			return err
		})
	}
	loop(func() error { return ds.Export(ctx, slowWriter{}, []string{queryDate}, Query{Order: []string{"a"}}) })
	loop(func() error {
		ds.mu.Lock()
		for _, d := range ds.days {
			d.counts = nil // count afresh each time
		}
		ds.mu.Unlock()
		_, err := ds.CountByClient(ctx)
		return err
	})
	// The writer goes on while the statements in progress drain, and waits
	// for them only past walHardBytes.
	bound := walHardBytes() + 2<<20
	var peak int64
	for range batches {
		mustWrite(t, w, s, next())
		peak = max(peak, walSize(t, dir, queryDate))
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if reads.Load() < 10 {
		t.Fatalf("only %d reads ran beside the writer", reads.Load())
	}
	if peak > bound {
		t.Fatalf("WAL reached %d bytes with readers busy; want at most %d", peak, bound)
	}
}

// TestCheckpointerSkipsAnIdleWAL: once a checkpoint copied every frame, the
// background checkpointer does not checkpoint again until the WAL changes
// (an idle engine's day file costs a stat every tick, not a checkpoint).
func TestCheckpointerSkipsAnIdleWAL(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}}
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	row := []Row{{ReceivedAt: at, SenderIP: "10.0.0.1", Values: []sql.NullString{str("a")}}}
	mustWrite(t, w, s, row)
	path := dayPath(dir, queryDate)
	db, err := sql.Open("sqlite3", fileDSN(path, "_busy_timeout=1000"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cp := &checkpointer{path: path}
	// settle: checkpoint until one copies every frame (the writer's own
	// checkpointer may hold the lock at times).
	settle := func() {
		t.Helper()
		for i := 0; cp.copied == (walStamp{}); i++ {
			if i == 1000 {
				t.Fatal("no checkpoint copied every frame")
			}
			cp.tick(t.Context(), db)
		}
	}
	settle()
	if cp.tick(t.Context(), db) {
		t.Fatal("checkpointed an unchanged WAL; want a skip")
	}
	mustWrite(t, w, s, row)
	if !cp.tick(t.Context(), db) {
		t.Fatal("skipped the checkpoint of a WAL with a new commit")
	}
	settle()
	if cp.tick(t.Context(), db) {
		t.Fatal("checkpointed an unchanged WAL after the new commit was copied; want a skip")
	}
}
