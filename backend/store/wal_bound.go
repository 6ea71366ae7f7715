package store

import (
	"context"
	"os"
	"strconv"
	"time"
)

// walCheckpointBytes is the WAL size past which the writer checkpoints and
// truncates the WAL after a batch, and the size SQLite truncates the WAL to
// whenever it restarts it (journal_size_limit). The WAL of a day file thus
// stays under this plus one batch while no reader holds a snapshot through
// the checkpoint (a variable for tests).
var walCheckpointBytes int64 = 64 << 20

// walCheckpointWaitMs is the busy timeout of the writer's truncating
// checkpoint: a reader in the middle of a statement makes it give up after
// this long (the next batch tries again) instead of stalling ingest.
const walCheckpointWaitMs = 20

// walLimitPragma is the journal_size_limit of the writer's connection.
func walLimitPragma() string {
	return "PRAGMA journal_size_limit=" + strconv.FormatInt(walCheckpointBytes, 10)
}

// boundWAL runs after a committed batch: once the WAL has grown past
// walCheckpointBytes it shuts the day's read gate (waiting for the
// statements in progress, at most walGateWait, then it gives up for
// walGateRetry: no snapshot of this process is left then), checkpoints every frame and truncates the WAL to zero
// bytes, and reopens the gate. The background checkpointer has usually
// copied most frames already (it holds cp.mu while it runs, so the two never
// race for SQLite's checkpoint lock, which would fail this one at once). A
// checkpoint that cannot finish (the gate did not drain in time, or a reader
// outside the gate holds an older snapshot past walCheckpointWaitMs) leaves
// the WAL as it is for the next batch; a failure shows on the next commit,
// so none is returned.
func (d *dayFile) boundWAL() {
	st, err := os.Stat(d.path + "-wal")
	if err != nil || st.Size() <= walCheckpointBytes {
		return
	}
	if d.gate != nil {
		if time.Now().Before(d.gateRetry) {
			return
		}
		ok := d.gate.close(walGateWait)
		defer d.gate.reopen()
		if !ok {
			d.gateRetry = time.Now().Add(walGateRetry)
			return
		}
	}
	if d.cp != nil {
		d.cp.mu.Lock()
		defer d.cp.mu.Unlock()
	}
	ctx := context.Background()
	if _, err := d.conn.ExecContext(ctx, "PRAGMA busy_timeout="+strconv.Itoa(walCheckpointWaitMs)); err != nil {
		return
	}
	_, _ = d.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	_, _ = d.conn.ExecContext(ctx, "PRAGMA busy_timeout="+strconv.Itoa(writerBusyTimeoutMs))
}
