package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"
)

// purgeStep is the id range one purge transaction covers: small enough that
// the engine's writer never waits long for the file's write lock.
const purgeStep = 20000

// PurgeProgress reports a purge's progress: done of total id slots scanned.
type PurgeProgress func(done, total int64)

// PurgeClient deletes the rows of client from every day file of dir, in short
// transactions over id ranges so ingest into today's file keeps going. It
// returns how many rows it deleted. progress, when set, is called after each
// step. A file deleted meanwhile is skipped.
func PurgeClient(ctx context.Context, dir, client string, progress PurgeProgress) (deleted int64, err error) {
	dates, err := dayDates(dir)
	if err != nil {
		return 0, err
	}
	type span struct {
		path     string
		min, max int64
	}
	var spans []span
	var total int64
	for _, date := range dates {
		path := dayPath(dir, date)
		lo, hi, err := idSpan(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if hi >= lo && hi > 0 {
			spans = append(spans, span{path, lo, hi})
			total += hi - lo + 1
		}
	}
	var done int64
	if progress != nil {
		progress(0, total)
	}
	for _, s := range spans {
		n, err := purgeFile(ctx, s.path, client, s.min, s.max, func(step int64) {
			done += step
			if progress != nil {
				progress(done, total)
			}
		})
		deleted += n
		if errors.Is(err, fs.ErrNotExist) {
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

// idSpan returns min(id) and max(id) of the day file at path.
func idSpan(path string) (lo, hi int64, err error) {
	db, err := openReadOnly(path)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	var a, b sql.NullInt64
	if err := db.QueryRow("SELECT min(id), max(id) FROM logs").Scan(&a, &b); err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return 0, 0, nil
		}
		return 0, 0, fmt.Errorf("cannot read day file %q: %w", path, err)
	}
	return a.Int64, b.Int64, nil
}

// purgeFile deletes the rows of client with ids in [lo, hi] from the file at
// path, one purgeStep id range per transaction.
func purgeFile(ctx context.Context, path, client string, lo, hi int64, step func(int64)) (int64, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("cannot purge day file %q: %w", path, err)
	}
	db, err := sql.Open("sqlite3", fileDSN(path, "_busy_timeout=10000"))
	if err != nil {
		return 0, fmt.Errorf("cannot purge day file %q: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var deleted int64
	for from := lo; from <= hi; from += purgeStep {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		to := min(from+purgeStep-1, hi)
		res, err := db.ExecContext(ctx, "DELETE FROM logs WHERE id BETWEEN ? AND ? AND client = ?", from, to, client)
		if err != nil {
			if strings.Contains(err.Error(), "no such column") {
				step(hi - from + 1)
				return deleted, nil // a file without clients holds none of this one
			}
			return deleted, fmt.Errorf("cannot purge client %q from day file %q: %w", client, path, err)
		}
		n, _ := res.RowsAffected()
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

type clientCountEntry struct {
	size, walSize int64
	mtime         time.Time
	at            time.Time
	took          time.Duration
	counts        map[string]int64
}

var clientCounts struct {
	sync.Mutex
	m map[string]*clientCountEntry
}

// CountByClient returns the rows of each client over every day file of dir
// (rows without a client are not counted). Counts of an unchanged file are
// cached; a changing file (today's) is recounted unless its last count was
// slow and recent (see clientCountTTL).
func CountByClient(ctx context.Context, dir string) (map[string]int64, error) {
	dates, err := dayDates(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, date := range dates {
		c, err := fileClientCounts(ctx, dayPath(dir, date))
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

func fileClientCounts(ctx context.Context, path string) (map[string]int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot count day file %q: %w", path, err)
	}
	var walSize int64
	if w, err := os.Stat(path + "-wal"); err == nil {
		walSize = w.Size()
	}
	clientCounts.Lock()
	e := clientCounts.m[path]
	clientCounts.Unlock()
	if e != nil && (e.size == st.Size() && e.walSize == walSize && e.mtime.Equal(st.ModTime()) ||
		time.Since(e.at) < min(10*e.took, clientCountTTL)) {
		return e.counts, nil
	}
	t0 := time.Now()
	db, err := openReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT client, count(*) FROM logs WHERE client IS NOT NULL GROUP BY client")
	if err != nil {
		if strings.Contains(err.Error(), "no such") {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot count clients of day file %q: %w", path, err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("cannot count clients of day file %q: %w", path, err)
		}
		counts[name] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot count clients of day file %q: %w", path, err)
	}
	clientCounts.Lock()
	if clientCounts.m == nil {
		clientCounts.m = map[string]*clientCountEntry{}
	}
	clientCounts.m[path] = &clientCountEntry{size: st.Size(), walSize: walSize, mtime: st.ModTime(), at: time.Now(), took: time.Since(t0), counts: counts}
	clientCounts.Unlock()
	return counts, nil
}

// ForgetClientCounts drops the cached client counts of dir's files (after a
// purge or a rename, so the next count is exact).
func ForgetClientCounts(dir string) {
	prefix := dir + string(os.PathSeparator)
	clientCounts.Lock()
	for p := range clientCounts.m {
		if strings.HasPrefix(p, prefix) {
			delete(clientCounts.m, p)
		}
	}
	clientCounts.Unlock()
}
