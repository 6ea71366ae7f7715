package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/logsieve/logsieve/backend/class"
)

// minutesTable counts, in a day file, the rows of each minute: minute is
// HH:MM of the rows' `time`, n their number. The writer keeps it in the
// transaction of the rows (one upsert per minute of a batch), a client purge
// in the transaction of its deletes, so an unfiltered histogram reads at most
// 1440 rows instead of counting the day. A file without it (written before
// it existed) is counted by a scan until a writer opens it.
const minutesTable = "logsieve_minutes"

const createMinutesSQL = "CREATE TABLE IF NOT EXISTS " + minutesTable + " (minute TEXT PRIMARY KEY, n INTEGER NOT NULL)"

// upsertMinuteSQL adds n rows to a minute.
const upsertMinuteSQL = "INSERT INTO " + minutesTable + " (minute, n) VALUES (?, ?) ON CONFLICT(minute) DO UPDATE SET n = n + excluded.n"

// minuteCount is the number of rows of one minute (HH:MM).
type minuteCount struct {
	minute string
	n      int64
}

// initMinutes makes sure the day file on conn has the minutes table; a file
// without it gets it filled from one scan of its rows.
func initMinutes(ctx context.Context, conn *sql.Conn) error {
	return initTable(ctx, conn, minutesTable, createMinutesSQL,
		"INSERT INTO "+minutesTable+" (minute, n) SELECT substr("+class.ColTime+", 1, 5), count(*) FROM logs WHERE "+
			class.ColTime+" IS NOT NULL GROUP BY 1")
}

// initTable creates the table name of the day file on conn, when it has none,
// by the statements create and fill (with args) in one transaction.
func initTable(ctx context.Context, conn *sql.Conn, name, create, fill string, args ...any) error {
	ok, err := hasTable(ctx, conn, name)
	if err != nil || ok {
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, create)
	if err == nil {
		_, err = conn.ExecContext(ctx, fill, args...)
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
	}
	return err
}

// queryRower is what *sql.Conn, *sql.DB and *sql.Tx share for one-row reads.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hasTable reports whether the database has the table name.
func hasTable(ctx context.Context, q queryRower, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name).Scan(&n)
	return n > 0, err
}

// recordMinutes adds the rows of the batch just inserted to the minutes
// table of d: the batch is counted per minute in Go (rows arrive in time
// order, so a batch spans one or two minutes) and each minute is upserted
// once.
func (d *dayFile) recordMinutes(times []any, idx []int32) error {
	counts := d.minuteScratch[:0]
	for _, i := range idx {
		m := times[i].(string)[:5]
		if k := len(counts) - 1; k >= 0 && counts[k].minute == m {
			counts[k].n++
			continue
		}
		found := false
		for k := range counts {
			if counts[k].minute == m {
				counts[k].n++
				found = true
				break
			}
		}
		if !found {
			counts = append(counts, minuteCount{m, 1})
		}
	}
	d.minuteScratch = counts[:0]
	for _, c := range counts {
		if _, err := d.conn.ExecContext(context.Background(), upsertMinuteSQL, c.minute, c.n); err != nil {
			return fmt.Errorf("cannot count the rows of minute %s in day file %q: %w", c.minute, d.path, err)
		}
	}
	return nil
}
