package store

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/logsieve/logsieve/backend/class"
)

// indexer builds the indexes of closed day files, one file at a time, on a
// single background goroutine of a Days.
type indexer struct {
	ds     *Days
	mu     sync.Mutex
	queue  []string // dates
	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// startIndexer starts the index goroutine; stop ends it.
func startIndexer(ds *Days) *indexer {
	ctx, cancel := context.WithCancel(context.Background())
	ix := &indexer{ds: ds, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go ix.run()
	return ix
}

// add queues the day of date (once).
func (ix *indexer) add(date string) {
	ix.mu.Lock()
	if !slices.Contains(ix.queue, date) {
		ix.queue = append(ix.queue, date)
	}
	ix.mu.Unlock()
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

// stop cancels the build in progress and waits for the goroutine to end.
func (ix *indexer) stop() {
	ix.cancel()
	<-ix.done
}

func (ix *indexer) run() {
	defer close(ix.done)
	for {
		ix.mu.Lock()
		var date string
		if len(ix.queue) > 0 {
			date = ix.queue[0]
			ix.queue = ix.queue[1:]
		}
		ix.mu.Unlock()
		if date == "" {
			select {
			case <-ix.ctx.Done():
				return
			case <-ix.wake:
				continue
			}
		}
		// A failed build leaves the day browsable, only slower; the next
		// rollover of that day (if any) tries again. A day deleted meanwhile
		// is skipped (its files stay until the build lets go of them).
		if d, err := ix.ds.acquire(date); err == nil {
			_ = buildIndexes(ix.ctx, d.path)
			ix.ds.release(d)
		}
		if ix.ctx.Err() != nil {
			return
		}
	}
}

// indexSkip are the columns that get no index on a closed day.
var indexSkip = map[string]bool{
	class.ColID: true, class.ColSenderIP: true, class.ColClient: true, class.ColTimeZone: true, class.ColOriginal: true, class.ColReceivedAt: true,
}

// buildIndexes creates an index on `time` and on each extracted column of the
// day file at path.
func buildIndexes(ctx context.Context, path string) error {
	db, err := sqlOpen(path, "mode=rw&_busy_timeout=10000")
	if err != nil {
		return fmt.Errorf("cannot open day file %q: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// Each index is a transaction as big as the index: bound the WAL it
	// leaves behind as the writer does (see boundWAL).
	if _, err := db.ExecContext(ctx, walLimitPragma()); err != nil {
		return fmt.Errorf("cannot set up day file %q: %w", path, err)
	}
	defer func() { _, _ = db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)") }()
	cols, err := tableColumns(ctx, db)
	if err != nil {
		return fmt.Errorf("cannot read columns of day file %q: %w", path, err)
	}
	for _, c := range cols {
		if indexSkip[c] {
			continue
		}
		q := "CREATE INDEX IF NOT EXISTS " + quoteIdent("logs_"+c) + " ON logs(" + quoteIdent(c) + ")"
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("cannot index column %q of day file %q: %w", c, path, err)
		}
	}
	return nil
}

// IndexClosedDays queues the index build of every day file dated before today
// that the Writer does not have open: days closed by a crash or a restart
// never went through CloseDaysBefore. Files already indexed cost one no-op
// CREATE INDEX IF NOT EXISTS per column.
func (w *Writer) IndexClosedDays(today string) error {
	w.ds.mu.Lock()
	all, err := w.ds.scan()
	w.ds.mu.Unlock()
	if err != nil {
		return err
	}
	for _, d := range all {
		if _, open := w.days[d.date]; d.date < today && !open {
			w.ds.queueIndex(d.date)
		}
	}
	return nil
}
