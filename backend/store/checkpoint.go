package store

import (
	"context"
	"database/sql"
	"os"
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
	path   string
	copied walStamp // the WAL as it was when every frame was copied
}

func startCheckpointer(path string) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	cp := &checkpointer{cancel: cancel, done: make(chan struct{}), path: path}
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
				cp.tick(ctx, db)
			}
		}
	}()
	return cp
}

// tick runs a PASSIVE checkpoint on db unless nothing was written to the
// WAL since one copied every frame: an idle day file costs a stat, not a
// checkpoint (50 engines' idle files took ~1 % of a core checkpointing
// nothing). It reports whether it checkpointed.
func (cp *checkpointer) tick(ctx context.Context, db *sql.DB) bool {
	now, ok := statWAL(cp.path)
	if ok && now == cp.copied {
		return false
	}
	// A failure (disk full, file gone) also shows on the writer's next
	// commit, which reports it; nothing to add here.
	var busy, frames, copied int64
	cp.mu.Lock()
	err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	cp.mu.Unlock()
	cp.copied = walStamp{}
	if err == nil && ok && frames == copied {
		cp.copied = now
	}
	return true
}

// walStamp is what a stat of a WAL file shows of its changes.
type walStamp struct {
	size, mtime int64
}

// statWAL stats the WAL of the day file at path; ok is false when it cannot.
func statWAL(path string) (walStamp, bool) {
	st, err := os.Stat(path + "-wal")
	if err != nil {
		return walStamp{}, false
	}
	return walStamp{size: st.Size(), mtime: st.ModTime().UnixNano()}, true
}

// stop ends the goroutine and waits for it.
func (cp *checkpointer) stop() {
	cp.cancel()
	<-cp.done
}
