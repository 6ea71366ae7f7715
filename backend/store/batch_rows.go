package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The batch table also records, for each batch, the ids of its rows in the
// file (first_id..last_id: one writer, one transaction, so they are
// consecutive). A query fan-out asks for the batch of each row it merges
// (RowBatches) and drops a batch another node holds too: a day file copied
// between store nodes does not show its rows twice. Files written before
// these columns have NULL there: their rows have no known batch.

// recordBatchRows records rows first..last as batch id's, and node as its
// writer (NULL for ""), inside the batch's transaction (after recordBatch).
func (d *dayFile) recordBatchRows(id, node string, first, last int64) error {
	ctx := context.Background()
	if !d.batchRows {
		if err := addBatchRowColumns(ctx, d.conn); err != nil {
			return fmt.Errorf("cannot add row ids to the batch table of day file %q: %w", d.path, err)
		}
		d.batchRows = true
	}
	var writer any
	if node != "" {
		writer = node
	}
	if _, err := d.conn.ExecContext(ctx, "UPDATE "+batchTable+" SET first_id = ?, last_id = ?, node = ? WHERE id = ?", first, last, writer, id); err != nil {
		return fmt.Errorf("cannot record the rows of batch %q in day file %q: %w", id, d.path, err)
	}
	return nil
}

// addBatchRowColumns gives the batch table its row id and writer columns
// and their indexes, unless it has them.
func addBatchRowColumns(ctx context.Context, conn *sql.Conn) error {
	rs, err := conn.QueryContext(ctx, "SELECT name FROM pragma_table_info('"+batchTable+"')")
	if err != nil {
		return err
	}
	has := map[string]bool{}
	for rs.Next() {
		var n string
		if err := rs.Scan(&n); err != nil {
			rs.Close()
			return err
		}
		has[n] = true
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	for _, col := range []string{"first_id INTEGER", "last_id INTEGER", "node TEXT"} {
		if name, _, _ := strings.Cut(col, " "); !has[name] {
			if _, err := conn.ExecContext(ctx, "ALTER TABLE "+batchTable+" ADD COLUMN "+col); err != nil {
				return err
			}
		}
	}
	if _, err := conn.ExecContext(ctx, "CREATE INDEX IF NOT EXISTS "+batchTable+"_first ON "+batchTable+" (first_id)"); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "CREATE INDEX IF NOT EXISTS "+batchTable+"_node ON "+batchTable+" (node)")
	return err
}

// RowBatches returns the batch id of each row id of the day file of date
// ("" for a row of no known batch: written by Write, or before the batch
// table recorded row ids).
func (ds *Days) RowBatches(ctx context.Context, date string, ids []int64) ([]string, error) {
	out := make([]string, len(ids))
	h, err := ds.openExisting(ctx, date)
	if h == nil {
		return out, err
	}
	defer h.Release()
	for i, id := range ids {
		var b string
		var last sql.NullInt64
		err := h.conn.QueryRowContext(ctx, "SELECT id, last_id FROM "+batchTable+" WHERE first_id <= ? ORDER BY first_id DESC LIMIT 1", id).Scan(&b, &last)
		switch {
		case err == nil:
			if last.Valid && last.Int64 >= id {
				out[i] = b
			}
		case errors.Is(err, sql.ErrNoRows):
		case strings.Contains(err.Error(), "no such table"), strings.Contains(err.Error(), "no such column"):
			return out, nil
		default:
			return nil, fmt.Errorf("cannot read the batches of day %s in %q: %w", date, ds.dir, err)
		}
	}
	return out, nil
}
