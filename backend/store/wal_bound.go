package store

import (
	"context"
	"os"
	"strconv"
	"time"
)

// walCheckpointBytes is the WAL size past which the writer checkpoints and
// restarts the WAL after a batch, and the size SQLite truncates the WAL to
// whenever it restarts it (journal_size_limit). The WAL file of a day file
// thus stays at about this size, plus one batch while no reader holds a
// snapshot through the checkpoint (a variable for tests).
var walCheckpointBytes int64 = 64 << 20

// WALBoundBytes is the WAL size past which a day's writer restarts its WAL
// (the bench reports WAL sizes against it).
func WALBoundBytes() int64 { return walCheckpointBytes }

// walHardBytes is the WAL size past which the writer does wait for the
// statements in progress (at most walGateWait) before it goes on: below it
// readers delay nothing, above it they delay ingest (the engine's queue and
// spool hold what arrives) rather than let the WAL grow with the day.
func walHardBytes() int64 { return walCheckpointBytes * 3 / 2 }

// walCheckpointWaitMs is the busy timeout of the writer's restarting
// checkpoint: a reader in the middle of a statement makes it give up after
// this long (the next batch tries again) instead of stalling ingest.
const walCheckpointWaitMs = 20

// walLimitPragma is the journal_size_limit of the writer's connection.
func walLimitPragma() string {
	return "PRAGMA journal_size_limit=" + strconv.FormatInt(walCheckpointBytes, 10)
}

// boundWAL runs after a committed batch: once the WAL has grown past
// walCheckpointBytes it shuts the day's read gate (new statements wait) and,
// as soon as the statements in progress have ended (at once when none runs,
// else at a later batch; below walHardBytes the writer does not wait for
// them), checkpoints every frame with RESTART and reopens the gate. The next
// batch then writes the WAL from its start again, over the blocks and cached
// pages the file already has (SQLite cuts it back to walCheckpointBytes);
// truncating it to zero bytes instead, as the writer did, made every 64 MiB
// of WAL cost an ftruncate that dropped its pages and a new allocation of
// them (perf of the server at 350k/s over TCP: pwrite 13.1 % -> 8.2 % of
// the samples, ftruncate 2.7 % -> 0.1 %). A gate that did not drain within
// walGateWait reopens by itself and the writer leaves it alone for
// walGateRetry. The background checkpointer has usually copied most frames
// already (it holds cp.mu while it runs, so the two never race for SQLite's
// checkpoint lock, which would fail this one at once). A checkpoint that cannot finish (a reader outside
// the gate holds an older snapshot past walCheckpointWaitMs) leaves the WAL
// as it is for the next batch; a failure shows on the next commit, so none
// is returned.
func (d *dayFile) boundWAL() {
	st, err := os.Stat(d.path + "-wal")
	if err != nil || st.Size() <= walCheckpointBytes {
		return
	}
	if d.gate != nil {
		if time.Now().Before(d.gateRetry) {
			return
		}
		state := d.gate.tryHold(walGateWait)
		if state == gatePending && st.Size() > walHardBytes() {
			state = d.gate.waitHold(walGateWait)
		}
		switch state {
		case gatePending:
			return
		case gateExpired:
			d.gateRetry = time.Now().Add(walGateRetry)
			return
		}
		defer d.gate.reopen()
	}
	if d.cp != nil {
		d.cp.mu.Lock()
		defer d.cp.mu.Unlock()
	}
	ctx := context.Background()
	if _, err := d.conn.ExecContext(ctx, "PRAGMA busy_timeout="+strconv.Itoa(walCheckpointWaitMs)); err != nil {
		return
	}
	_, _ = d.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(RESTART)")
	_, _ = d.conn.ExecContext(ctx, "PRAGMA busy_timeout="+strconv.Itoa(writerBusyTimeoutMs))
}
