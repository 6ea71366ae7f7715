package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/logsieve/logsieve/backend/class"
)

// timeBreaksTable lists, in a day file, the ids of the rows whose `time` is
// earlier than the time of the row written before them (a clock stepped
// back, a DST fall-back). Between two breaks `time` never decreases with the
// id, so a from/to window is an id range found by bisection. The writer
// keeps it in the transaction of the rows; a file without it (written
// before it existed) is searched by a plain scan until a writer opens it.
const timeBreaksTable = "logsieve_time_breaks"

// maxTimeRuns bounds the monotonic runs a from/to query bisects; a file with
// more breaks is scanned plainly.
const maxTimeRuns = 64

// span is an inclusive id range.
type span struct{ lo, hi int64 }

// createTimeBreaksSQL creates the breaks table of a day file.
const createTimeBreaksSQL = "CREATE TABLE IF NOT EXISTS " + timeBreaksTable + " (" + class.ColID + " INTEGER PRIMARY KEY)"

// initTimeBreaks makes sure the day file on conn has the breaks table and
// returns the time of its last row ("" when empty). A file without the
// table gets it filled from one scan of its rows.
func initTimeBreaks(ctx context.Context, conn *sql.Conn) (string, error) {
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", timeBreaksTable).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			return "", err
		}
		_, err := conn.ExecContext(ctx, createTimeBreaksSQL)
		if err == nil {
			_, err = conn.ExecContext(ctx, "INSERT INTO "+timeBreaksTable+" ("+class.ColID+") SELECT id FROM (SELECT id, "+
				class.ColTime+" AS t, lag("+class.ColTime+") OVER (ORDER BY id) AS p FROM logs) WHERE t < p")
		}
		if err == nil {
			_, err = conn.ExecContext(ctx, "COMMIT")
		}
		if err != nil {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
			return "", err
		}
	}
	var last sql.NullString
	err := conn.QueryRowContext(ctx, "SELECT "+class.ColTime+" FROM logs ORDER BY id DESC LIMIT 1").Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	return last.String, nil
}

// timeSpans returns the id ranges, ascending, within lo..hi whose rows are
// exactly those with from <= time <= to (an empty bound is open), found by
// bisection within each monotonic run of the file. ok is false when the file
// has no breaks table or too many runs: the caller scans with the time
// condition instead.
func timeSpans(ctx context.Context, conn *sql.Conn, lo, hi int64, from, to string) (spans []span, ok bool, err error) {
	rows, err := conn.QueryContext(ctx, "SELECT "+class.ColID+" FROM "+timeBreaksTable+" WHERE "+class.ColID+" > ? AND "+class.ColID+" <= ? ORDER BY "+class.ColID, lo, hi)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil, false, nil
		}
		return nil, false, err
	}
	var breaks []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, false, err
		}
		breaks = append(breaks, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(breaks) >= maxTimeRuns {
		return nil, false, nil
	}
	stmt, err := conn.PrepareContext(ctx, "SELECT "+class.ColID+", "+class.ColTime+" FROM logs WHERE "+class.ColID+" >= ? ORDER BY "+class.ColID+" LIMIT 1")
	if err != nil {
		return nil, false, err
	}
	defer stmt.Close()
	// next returns the time of the first row with an id in m..end; none
	// when there is no such row.
	next := func(m, end int64) (string, bool, error) {
		var id int64
		var t sql.NullString
		err := stmt.QueryRowContext(ctx, m).Scan(&id, &t)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && id > end) {
			return "", false, nil
		}
		return t.String, err == nil, err
	}
	// first returns the smallest m in s..e+1 such that no row with an id in
	// m..e has a time for which before holds (before is monotone: it holds
	// for a prefix of the run).
	first := func(s, e int64, before func(t string) bool) (int64, error) {
		a, b := s, e+1
		for a < b {
			m := a + (b-a)/2
			t, found, err := next(m, e)
			if err != nil {
				return 0, err
			}
			if found && before(t) {
				a = m + 1
			} else {
				b = m
			}
		}
		return a, nil
	}
	starts := append([]int64{lo}, breaks...)
	for i, s := range starts {
		e := hi
		if i+1 < len(starts) {
			e = starts[i+1] - 1
		}
		a, b := s, e
		if from != "" {
			if a, err = first(s, e, func(t string) bool { return t < from }); err != nil {
				return nil, false, err
			}
		}
		if to != "" {
			end, err := first(a, e, func(t string) bool { return t <= to })
			if err != nil {
				return nil, false, err
			}
			b = end - 1
		}
		if a <= b {
			spans = append(spans, span{a, b})
		}
	}
	return spans, true, nil
}

// recordTimeBreaks adds to the breaks table of d the rows of the batch just
// inserted (ids firstID, firstID+1, ... in order) whose time is earlier than
// the row before them, and remembers the batch's last time.
func (d *dayFile) recordTimeBreaks(times []any, idx []int32, firstID int64) error {
	var at []int // positions in idx
	last := d.lastTime
	for k, i := range idx {
		t := times[i].(string)
		if t != last {
			if t < last {
				at = append(at, k)
			}
			last = t
		}
	}
	if len(at) > 0 {
		for _, k := range at {
			if _, err := d.conn.ExecContext(context.Background(), "INSERT OR IGNORE INTO "+timeBreaksTable+" ("+class.ColID+") VALUES (?)", firstID+int64(k)); err != nil {
				return fmt.Errorf("cannot record a time break in day file %q: %w", d.path, err)
			}
		}
	}
	d.pendingTime = last
	return nil
}
