package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/logsieve/logsieve/backend/class"
)

// purgeStep is the id range one purge transaction covers: small enough that
// the engine's writer never waits long for the file's write lock.
const purgeStep = 20000

// PurgeProgress reports a purge's progress: done of total id slots scanned.
type PurgeProgress func(done, total int64)

// PurgeClient deletes the rows of client from every day, in short
// transactions over id ranges so ingest into today's file keeps going. It
// returns how many rows it deleted. progress, when set, is called after each
// step. A day deleted meanwhile is skipped.
func (ds *Days) PurgeClient(ctx context.Context, client string, progress PurgeProgress) (deleted int64, err error) {
	ds.mu.Lock()
	all, err := ds.scan()
	ds.mu.Unlock()
	if err != nil {
		return 0, err
	}
	defer ds.forgetClientCounts()
	type span struct {
		date     string
		min, max int64
	}
	var spans []span
	var total int64
	for _, d := range all {
		lo, hi, err := ds.idSpan(ctx, d.date)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if hi >= lo && hi > 0 {
			spans = append(spans, span{d.date, lo, hi})
			total += hi - lo + 1
		}
	}
	var done int64
	if progress != nil {
		progress(0, total)
	}
	for _, s := range spans {
		d, err := ds.acquire(s.date)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return deleted, err
		}
		n, err := purgeFile(ctx, d.path, &d.gate, client, s.min, s.max, func(step int64) {
			done += step
			if progress != nil {
				progress(done, total)
			}
		})
		ds.mu.Lock()
		dropped := d.dropped
		d.rows = -1
		ds.mu.Unlock()
		ds.release(d)
		deleted += n
		if errors.Is(err, fs.ErrNotExist) || err != nil && dropped {
			continue
		}
		if err != nil {
			return deleted, err
		}
	}
	if progress != nil {
		progress(total, total)
	}
	return deleted, nil
}

// idSpan returns min(id) and max(id) of the day of date.
func (ds *Days) idSpan(ctx context.Context, date string) (lo, hi int64, err error) {
	h, err := ds.Open(ctx, date)
	if err != nil {
		return 0, 0, err
	}
	defer h.Release()
	if len(h.cols) == 0 {
		return 0, 0, nil
	}
	var a, b sql.NullInt64
	if err := h.idBounds(ctx, &a, &b); err != nil {
		return 0, 0, fmt.Errorf("cannot read day file %q: %w", h.d.path, err)
	}
	return a.Int64, b.Int64, nil
}

// purgeFile deletes the rows of client with ids in [lo, hi] from the file at
// path, one purgeStep id range per transaction, each passing gate.
func purgeFile(ctx context.Context, path string, gate *readGate, client string, lo, hi int64, step func(int64)) (int64, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("cannot purge day file %q: %w", path, err)
	}
	// BEGIN IMMEDIATE: the step reads the rows it deletes and their minutes
	// under the write lock, so the writer cannot commit in between.
	db := gatedOpen(path, "_busy_timeout=10000&_txlock=immediate", gate, false)
	defer db.Close()
	db.SetMaxOpenConns(1)
	var deleted int64
	for from := lo; from <= hi; from += purgeStep {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		to := min(from+purgeStep-1, hi)
		n, err := purgeStepTx(ctx, db, client, from, to)
		if err != nil {
			if strings.Contains(err.Error(), "no such column") {
				step(hi - from + 1)
				return deleted, nil // a file without clients holds none of this one
			}
			return deleted, fmt.Errorf("cannot purge client %q from day file %q: %w", client, path, err)
		}
		deleted += n
		step(to - from + 1)
	}
	if deleted > 0 {
		if err := recordRowCount(ctx, db); err != nil {
			return deleted, fmt.Errorf("cannot record the row count of day file %q: %w", path, err)
		}
	}
	return deleted, nil
}

// purgeStepTx deletes the rows of client with ids in [from, to] in one
// transaction and takes them off the minutes table (when the file has one).
func purgeStepTx(ctx context.Context, db *sql.DB, client string, from, to int64) (int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	counted, err := hasTable(ctx, tx, minutesTable)
	if err != nil {
		return 0, err
	}
	var minutes []minuteCount
	if counted {
		rows, err := tx.QueryContext(ctx, "SELECT substr("+class.ColTime+", 1, 5), count(*) FROM logs WHERE id BETWEEN ? AND ? AND client = ? AND "+
			class.ColTime+" IS NOT NULL GROUP BY 1", from, to, client)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var m minuteCount
			if err := rows.Scan(&m.minute, &m.n); err != nil {
				rows.Close()
				return 0, err
			}
			minutes = append(minutes, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM logs WHERE id BETWEEN ? AND ? AND client = ?", from, to, client)
	if err != nil {
		return 0, err
	}
	for _, m := range minutes {
		if _, err := tx.ExecContext(ctx, "UPDATE "+minutesTable+" SET n = n - ? WHERE minute = ?", m.n, m.minute); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// rowCountTable remembers, in a day file that had rows purged, how many rows
// it held and its highest id at that moment. Row ids then have gaps (and
// SQLite reuses purged ids at the end), so max(id) alone no longer counts the
// rows; dayRows adds the rows inserted since to the recorded count.
const rowCountTable = "logsieve_row_count"

// recordRowCount stores count(*) and max(id) of one read snapshot. Rows the
// writer adds after the snapshot get ids above its max(id), so they are
// counted by dayRows; the snapshot is read outside the write lock, which the
// writer needs for every batch.
func recordRowCount(ctx context.Context, db *sql.DB) error {
	var count, maxID sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT count(*), max(id) FROM logs").Scan(&count, &maxID); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+rowCountTable+
		" (id INTEGER PRIMARY KEY CHECK (id = 1), rows INTEGER NOT NULL, max_id INTEGER NOT NULL)"); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, "INSERT OR REPLACE INTO "+rowCountTable+" (id, rows, max_id) VALUES (1, ?, ?)",
		count.Int64, maxID.Int64)
	return err
}

// clientCountTTL bounds how long the counts of a file that keeps changing
// (today's) are reused: a count that took d is reused for up to 10·d, so small
// files are always exact and a big one costs at most a tenth of the time.
const clientCountTTL = 10 * time.Second

// clientCountSlow is the shortest count that is reused while its file changes:
// a faster one is cheap enough to redo, so small files are always exact.
const clientCountSlow = 100 * time.Millisecond

type clientCountEntry struct {
	stamp  fileStamp
	at     time.Time
	took   time.Duration
	counts map[string]int64
}

// CountByClient returns the rows of each client over every day (rows
// without a client are not counted). Counts of an unchanged file are cached;
// a changing file (today's) is recounted unless its last count was slow and
// recent (see clientCountTTL).
func (ds *Days) CountByClient(ctx context.Context) (map[string]int64, error) {
	ds.mu.Lock()
	all, err := ds.scan()
	ds.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, d := range all {
		c, err := ds.dayClientCounts(ctx, d.date)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for k, v := range c {
			out[k] += v
		}
	}
	return out, nil
}

func (ds *Days) dayClientCounts(ctx context.Context, date string) (map[string]int64, error) {
	d, err := ds.acquire(date)
	if err != nil {
		return nil, err
	}
	defer ds.release(d)
	st, err := d.stamp()
	if err != nil {
		return nil, fmt.Errorf("cannot count day file %q: %w", d.path, err)
	}
	ds.mu.Lock()
	e := d.counts
	ds.mu.Unlock()
	if e != nil && (e.stamp == st || e.took >= clientCountSlow && time.Since(e.at) < min(10*e.took, clientCountTTL)) {
		return e.counts, nil
	}
	t0 := time.Now()
	h, err := ds.openHandle(ctx, d)
	if err != nil {
		return nil, err
	}
	defer h.conn.Close()
	counts := map[string]int64{}
	if !h.has[class.ColClient] {
		return counts, nil
	}
	// One statement per id range: a statement holds a snapshot of the file,
	// and one over a whole busy day would keep the writer from truncating
	// the WAL for seconds (see readGate).
	var lo, hi sql.NullInt64
	if err := h.idBounds(ctx, &lo, &hi); err != nil {
		return nil, fmt.Errorf("cannot count clients of day file %q: %w", d.path, err)
	}
	for from := lo.Int64; lo.Valid && from <= hi.Int64; from += clientCountStep {
		if err := countClients(ctx, h.conn, from, min(from+clientCountStep-1, hi.Int64), counts); err != nil {
			return nil, fmt.Errorf("cannot count clients of day file %q: %w", d.path, err)
		}
	}
	ds.mu.Lock()
	d.counts = &clientCountEntry{stamp: st, at: time.Now(), took: time.Since(t0), counts: counts}
	ds.mu.Unlock()
	return counts, nil
}

// forgetClientCounts drops the cached client counts (after a purge, so the
// next count is exact).
func (ds *Days) forgetClientCounts() {
	ds.mu.Lock()
	for _, d := range ds.days {
		d.counts = nil
	}
	ds.mu.Unlock()
}

// clientCountStep is the id range one client count statement covers.
const clientCountStep = 1 << 14

// countClients adds to counts the rows per client with ids in [from, to].
func countClients(ctx context.Context, conn *sql.Conn, from, to int64, counts map[string]int64) error {
	rows, err := conn.QueryContext(ctx, "SELECT client, count(*) FROM logs WHERE id BETWEEN ? AND ? AND client IS NOT NULL GROUP BY client", from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return err
		}
		counts[name] += n
	}
	return rows.Err()
}
