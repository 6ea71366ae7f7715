package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// spoolMarkTable holds, per day file, the highest overflow-spool position
// (Row.SpoolPos) whose rows the file holds. It is written in the same
// transaction as those rows, so after a crash a replay of the spool skips
// exactly the records that were committed.
const spoolMarkTable = "logsieve_spool_mark"

// recordSpoolMark raises the file's spool mark to the highest SpoolPos of
// rows[idx...], inside the batch's transaction. Batches without spooled rows
// cost one pass over idx.
func (d *dayFile) recordSpoolMark(rows []Row, idx []int32) error {
	var mark uint64
	for _, i := range idx {
		mark = max(mark, rows[i].SpoolPos)
	}
	if mark == 0 {
		return nil
	}
	ctx := context.Background()
	if _, err := d.conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+spoolMarkTable+" (id INTEGER PRIMARY KEY, pos INTEGER NOT NULL)"); err != nil {
		return fmt.Errorf("cannot create the spool mark of day file %q: %w", d.path, err)
	}
	if _, err := d.conn.ExecContext(ctx, "INSERT INTO "+spoolMarkTable+" (id, pos) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET pos = max(pos, excluded.pos)", int64(mark)); err != nil {
		return fmt.Errorf("cannot record the spool mark of day file %q: %w", d.path, err)
	}
	return nil
}

// SpoolMark returns the highest spool position committed to the day file of
// date; 0 when the day has no file or no spooled rows.
func (ds *Days) SpoolMark(ctx context.Context, date string) (uint64, error) {
	h, err := ds.Open(ctx, date)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer h.Release()
	var pos int64
	err = h.conn.QueryRowContext(ctx, "SELECT pos FROM "+spoolMarkTable+" WHERE id = 1").Scan(&pos)
	switch {
	case err == nil:
		return uint64(pos), nil
	case errors.Is(err, sql.ErrNoRows), strings.Contains(err.Error(), "no such table"):
		return 0, nil
	}
	return 0, fmt.Errorf("cannot read the spool mark of day %s in %q: %w", date, ds.dir, err)
}

// MaxSpoolMark returns the highest spool mark of all day files (0 when
// none): new spool records must get positions above it.
func (ds *Days) MaxSpoolMark(ctx context.Context) (uint64, error) {
	dates, err := dayDates(ds.dir)
	if err != nil {
		return 0, err
	}
	var top uint64
	for _, date := range dates {
		m, err := ds.SpoolMark(ctx, date)
		if err != nil {
			return 0, err
		}
		top = max(top, m)
	}
	return top, nil
}
