package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// batchTable lists, per day file, the ids of the delivered batches (cluster
// store nodes, WriteBatch) whose rows the file holds, with their row count.
// An id is inserted in the same transaction as its rows, so a batch that is
// delivered again (a store node died between its commit and its ack) is
// found there and never stored twice.
const batchTable = "logsieve_batches"

// WriteBatch is Write for a batch that may be delivered more than once: id
// is recorded in the batch table of each day file the rows go to, in the
// transaction of those rows, and a day file that already holds id takes
// none of them again. It returns the rows committed now and the rows skipped
// because their file already held the batch.
func (w *Writer) WriteBatch(s *Schema, rows []Row, id string) (stored, dup int, err error) {
	return w.WriteBatchBy(s, rows, id, "")
}

// WriteBatchBy is WriteBatch recording node as the batch's writer (the
// cluster store node that claimed it; "" none): a copy of the day file on
// another node shows there as a batch of another node's (Copies).
func (w *Writer) WriteBatchBy(s *Schema, rows []Row, id, node string) (stored, dup int, err error) {
	if id == "" {
		return 0, 0, errors.New("cannot write a batch without an id")
	}
	w.batch, w.batchNode, w.dup = id, node, 0
	defer func() { w.batch, w.batchNode = "", "" }()
	stored, err = w.Write(s, rows)
	return stored, w.dup, err
}

// recordBatch inserts id into the file's batch table inside the open
// transaction; seen reports that the file already held it (nothing inserted).
func (d *dayFile) recordBatch(id string, rows int) (seen bool, err error) {
	ctx := context.Background()
	// Created inside the transaction: a rollback takes it back too.
	if _, err := d.conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+batchTable+" (id TEXT PRIMARY KEY, rows INTEGER NOT NULL) WITHOUT ROWID"); err != nil {
		return false, fmt.Errorf("cannot create the batch table of day file %q: %w", d.path, err)
	}
	res, err := d.conn.ExecContext(ctx, "INSERT INTO "+batchTable+" (id, rows) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", id, rows)
	if err != nil {
		return false, fmt.Errorf("cannot record batch %q in day file %q: %w", id, d.path, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("cannot record batch %q in day file %q: %w", id, d.path, err)
	}
	return n == 0, nil
}

// Batches returns the batch ids stored in the day file of date with their
// row counts (empty when the day has no file or no batches).
func (ds *Days) Batches(ctx context.Context, date string) (map[string]int, error) {
	out := map[string]int{}
	h, err := ds.openExisting(ctx, date)
	if h == nil {
		return out, err
	}
	defer h.Release()
	rs, err := h.conn.QueryContext(ctx, "SELECT id, rows FROM "+batchTable)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return out, nil
		}
		return nil, fmt.Errorf("cannot read the batches of day %s in %q: %w", date, ds.dir, err)
	}
	defer rs.Close()
	for rs.Next() {
		var id string
		var n int
		if err := rs.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rs.Err()
}
