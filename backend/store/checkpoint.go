package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointEvery is how often the background checkpointer copies the WAL of
// an open day file into the file.
const checkpointEvery = 500 * time.Millisecond

// checkpointer moves WAL checkpoints (page copies and their fsync) off the
// writer's commit path: the writer's connection runs with
// wal_autocheckpoint=0 and this goroutine, on its own connection, runs
// PASSIVE checkpoints, which never block the writer. SQLite restarts the WAL
// from its beginning only when a writer begins while every frame has been
// copied, which under sustained ingest (a commit every few milliseconds)
// almost never happens: the WAL grew to the size of the day. The writer
// therefore bounds it itself (dayFile.boundWAL), with most frames already
// copied here.
type checkpointer struct {
	mu     sync.Mutex // held while a checkpoint runs (see dayFile.boundWAL)
	cancel context.CancelFunc
	done   chan struct{}
}

func startCheckpointer(path string) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	cp := &checkpointer{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(cp.done)
		db, err := sql.Open("sqlite3", fileDSN(path, "_busy_timeout=1000"))
		if err != nil {
			return
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A failure (disk full, file gone) also shows on the writer's
				// next commit, which reports it; nothing to add here.
				cp.mu.Lock()
				_, _ = db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
				cp.mu.Unlock()
			}
		}
	}()
	return cp
}

// stop ends the goroutine and waits for it.
func (cp *checkpointer) stop() {
	cp.cancel()
	<-cp.done
}
