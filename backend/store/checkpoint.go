package store

import (
	"context"
	"database/sql"
	"time"
)

// checkpointEvery is how often the background checkpointer copies the WAL of
// an open day file into the file.
const checkpointEvery = 500 * time.Millisecond

// checkpointer moves WAL checkpoints (page copies and their fsync) off the
// writer's commit path: the writer's connection runs with
// wal_autocheckpoint=0 and this goroutine, on its own connection, runs
// PASSIVE checkpoints, which never block the writer. The writer restarts the
// WAL from its beginning once a checkpoint has copied every frame, so the WAL
// stays bounded.
type checkpointer struct {
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
				_, _ = db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
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
