package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/logsieve/logsieve/backend/class"
)

// A cluster gives every batch one writer (claims), recorded in the batch
// table with its rows (WriteBatchBy). A batch of another writer in a node's
// day file is a copy: the file, or the day's batches, were copied by hand
// from that node's. A cluster's /days, /histogram and export.csv ask each
// store node for its copies (Copies, CopyCounts, and the row ids of its
// export, Query.RowIDs) and count each batch once. Batches of files written
// before the writer was recorded have none: they are never copies.

// BatchCopy is a batch of a day file written by another node.
type BatchCopy struct {
	ID    string `json:"id"`
	Node  string `json:"node"` // its writer
	Rows  int    `json:"rows"`
	First int64  `json:"first"` // its rows' ids in this file
	Last  int64  `json:"last"`
}

// copiesWhere selects the batches of a writer other than the first argument.
const copiesWhere = " WHERE (node < ?1 OR node > ?1) AND first_id IS NOT NULL"

// noBatchColumns reports an error of a file without the batch table or its
// writer columns: a file without copies.
func noBatchColumns(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "no such column"))
}

// Copies returns the batches of the day file of date written by another
// node than self, by first row id (none for a day without a file).
func (ds *Days) Copies(ctx context.Context, date, self string) ([]BatchCopy, error) {
	out := []BatchCopy{}
	h, err := ds.openExisting(ctx, date)
	if h == nil {
		return out, err
	}
	defer h.Release()
	rs, err := h.conn.QueryContext(ctx, "SELECT id, node, rows, first_id, last_id FROM "+batchTable+copiesWhere+" ORDER BY first_id", self)
	if noBatchColumns(err) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the batches of day %s in %q: %w", date, ds.dir, err)
	}
	defer rs.Close()
	for rs.Next() {
		var c BatchCopy
		if err := rs.Scan(&c.ID, &c.Node, &c.Rows, &c.First, &c.Last); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// CopyCount is the rows of a batch copy that match a histogram query, per
// minute (HH:MM) of its day.
type CopyCount struct {
	Date    string           `json:"date"`
	ID      string           `json:"id"`
	Node    string           `json:"node"`
	Minutes map[string]int64 `json:"minutes"`
}

// CopyCounts counts, per minute, the rows matching hq of each batch written
// by another node than self on the days of hq (Histogram's input, checked
// the same way). Without a time budget: the copies are few, or the whole
// day of a copied file, scanned once.
func (ds *Days) CopyCounts(ctx context.Context, hq HistogramQuery, self string) ([]CopyCount, error) {
	out := []CopyCount{}
	q, plan, err := ds.histogramPlan(ctx, hq)
	if err != nil || plan == nil {
		return out, err
	}
	for _, rd := range plan.days {
		dq, ok := forDay(q, rd.cols)
		if !ok || len(rd.cols) == 0 {
			continue
		}
		dq.From, dq.To = rd.from, rd.to
		got, err := ds.countCopies(ctx, rd.date, dq, plan.shown, self)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// countCopies is CopyCounts for one day: one statement over the copies'
// id ranges.
func (ds *Days) countCopies(ctx context.Context, date string, q Query, shown []string, self string) ([]CopyCount, error) {
	v, err := ds.Open(ctx, date)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	where, args, err := whereClause(q, shown, v.has, v.facts(ctx, q))
	if err != nil {
		return nil, err
	}
	word := ""
	cols := "count(*)"
	if q.Match == MatchWord && q.Q != "" {
		word = asciiLower(q.Q) // the SQL condition is a substring prefilter
		cols = selectList(shown, v.has, false)
	}
	// The copies' columns renamed: a class key may be called node or rows.
	stmt := "WITH fb AS (SELECT id AS fb_id, node AS fb_node, first_id AS fb_first, last_id AS fb_last FROM " + batchTable + copiesWhere + ") " +
		"SELECT fb_id, fb_node, substr(" + class.ColTime + ", 1, 5), " + cols + " FROM fb JOIN logs ON logs.id BETWEEN fb_first AND fb_last WHERE " +
		class.ColTime + " IS NOT NULL" + where
	if word == "" {
		stmt += " GROUP BY 1, 2, 3"
	}
	rs, err := v.conn.QueryContext(ctx, stmt, append([]any{self}, args...)...)
	if noBatchColumns(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot count the batch copies of day file %q: %w", v.d.path, err)
	}
	defer rs.Close()
	byID := map[string]*CopyCount{}
	var order []string
	vals := make([]sql.NullString, len(shown))
	for rs.Next() {
		var id, node, m string
		var n int64 = 1
		dests := []any{&id, &node, &m}
		if word == "" {
			dests = append(dests, &n)
		} else {
			for i := range vals {
				dests = append(dests, &vals[i])
			}
		}
		if err := rs.Scan(dests...); err != nil {
			return nil, fmt.Errorf("cannot count the batch copies of day file %q: %w", v.d.path, err)
		}
		if word != "" && !valuesHaveWord(vals, word) {
			continue
		}
		c := byID[id]
		if c == nil {
			c = &CopyCount{Date: date, ID: id, Node: node, Minutes: map[string]int64{}}
			byID[id] = c
			order = append(order, id)
		}
		c.Minutes[m] += n
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("cannot count the batch copies of day file %q: %w", v.d.path, err)
	}
	out := make([]CopyCount, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out, nil
}
