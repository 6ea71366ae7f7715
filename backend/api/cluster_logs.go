package api

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/store"
)

// A cluster's /logs asks every live store node (and this one) for one page
// from where its part of the listing stands, and merges the pages newest
// first by (date, time, node, id). The cursor holds each node's own cursor:
// clusterCursorPrefix + base64url(JSON {node: cursor}), with cursorDone
// for a node whose rows are all listed and "" for one not started.
const (
	clusterCursorPrefix = "c1."
	cursorDone          = "-"
)

func encodeClusterCursor(m map[string]string) string {
	b, _ := json.Marshal(m)
	return clusterCursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// decodeClusterCursor returns nil for "" (the first page).
func decodeClusterCursor(c string) (map[string]string, error) {
	if c == "" {
		return nil, nil
	}
	bad := badRequest("cursor", fmt.Sprintf("%q is not a cursor of this listing", c))
	if len(c) < len(clusterCursorPrefix) || c[:len(clusterCursorPrefix)] != clusterCursorPrefix {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(c[len(clusterCursorPrefix):])
	if err != nil {
		return nil, bad
	}
	var m map[string]string
	if json.Unmarshal(b, &m) != nil || len(m) == 0 {
		return nil, bad
	}
	return m, nil
}

// clusterLogsPage is a cluster's GET /logs: the single box's fields, the
// node of each row (ids are per node) and which store nodes are missing.
type clusterLogsPage struct {
	Columns     []string    `json:"columns"`
	Rows        [][]*string `json:"rows"`
	RowNodes    []string    `json:"row_nodes"`
	NextCursor  *string     `json:"next_cursor"`
	LimitReason *string     `json:"limit_reason"`
	partialInfo
}

// nodePart is one node's page in a merge.
type nodePart struct {
	node   string
	cursor string // the node's cursor sent
	page   *store.Page
	at     []int // position in the merged columns of each column of page
	taken  int   // rows of page in the merged page
	// batches is the batch of each row of page ("" unknown; nil: none known).
	batches []string
}

// fanLogs answers /logs for every store node; local queries this node's
// day files with a cursor of its own.
func (s *Server) fanLogs(c *fiber.Ctx, name string, q store.Query, tr timeRange,
	local func(context.Context, store.Query) (*store.Page, error), batches func(context.Context, *store.Page) ([]string, error)) error {
	cur, err := decodeClusterCursor(q.Cursor)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	self := s.d.Cluster.Stats().Node
	peers, noAddr := s.storePeers(ctx)
	next := map[string]string{} // the cursor of the next page
	maps.Copy(next, cur)
	inListing := func(node string) (string, bool) {
		if cur == nil {
			next[node] = ""
			return "", true
		}
		v, ok := cur[node]
		return v, ok && v != cursorDone // a node that joined after the first page is not listed
	}
	var missing []string
	for _, n := range noAddr {
		if _, ok := inListing(n); ok {
			missing = append(missing, n)
		}
	}
	var asked []peerTarget
	var parts []*nodePart
	var selfPart *nodePart
	if v, ok := inListing(self); ok {
		selfPart = &nodePart{node: self, cursor: v}
	}
	for _, p := range peers {
		if v, ok := inListing(p.node); ok {
			asked = append(asked, p)
			parts = append(parts, &nodePart{node: p.node, cursor: v})
		}
	}
	limit := q.Limit
	set := map[string]string{"cursor": "", "limit": strconv.Itoa(limit), "last": "", "start": tr.start, "end": tr.end, "date": q.Date}
	var localErr error
	var wg sync.WaitGroup
	if selfPart != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lq := q
			lq.Cursor = selfPart.cursor
			selfPart.page, localErr = local(ctx, lq)
			if localErr == nil {
				var err error
				if selfPart.batches, err = batches(ctx, selfPart.page); err != nil {
					// The page is still right; only its copies are not dropped.
					s.d.Log.Warn("fan-out: cannot read the batches of this node's rows; copies not dropped", "err", err)
					selfPart.batches = nil
				}
			}
		}()
	}
	failed := s.fanOut(asked, func(i int, p peerTarget) error {
		set := maps.Clone(set)
		set["cursor"] = parts[i].cursor
		var pg struct {
			Columns     []string    `json:"columns"`
			Rows        [][]*string `json:"rows"`
			NextCursor  *string     `json:"next_cursor"`
			LimitReason *string     `json:"limit_reason"`
			RowBatches  []string    `json:"row_batches"`
		}
		if err := s.askPeer(ctx, p, c.Path(), peerQuery(c, set), &pg); err != nil {
			return err
		}
		if len(pg.Columns) == 0 || pg.Columns[0] != class.ColID {
			return fmt.Errorf("an answer without the id column")
		}
		page := &store.Page{Columns: pg.Columns, Rows: pg.Rows, NextCursor: pg.NextCursor}
		if pg.LimitReason != nil {
			page.LimitReason = *pg.LimitReason
		}
		parts[i].page = page
		if len(pg.RowBatches) == len(pg.Rows) {
			parts[i].batches = pg.RowBatches
		}
		return nil
	})
	wg.Wait()
	if localErr != nil {
		return engineGone(name, localErr)
	}
	if selfPart != nil {
		parts = append([]*nodePart{selfPart}, parts...)
	}
	live := parts[:0]
	for _, p := range parts {
		if failed[p.node] == nil {
			live = append(live, p)
		}
	}
	seen := decodeSeen(cur[seenKey])
	out := mergePages(live, q, tr.set, limit, seen)
	next[seenKey] = seen.encode()
	for _, p := range live {
		switch {
		case p.taken == len(p.page.Rows) && p.page.NextCursor == nil:
			next[p.node] = cursorDone
		case p.taken == len(p.page.Rows):
			next[p.node] = *p.page.NextCursor
		case p.taken > 0:
			next[p.node] = rowCursor(p.page.Rows[p.taken-1], p.page.Columns, tr.set)
		}
	}
	info := newPartial(missing, failed)
	more := false
	for _, p := range live {
		more = more || next[p.node] != cursorDone
	}
	if more {
		nc := encodeClusterCursor(next)
		out.NextCursor = &nc
		if out.LimitReason == nil {
			r := store.LimitRows
			out.LimitReason = &r
		}
	} else {
		out.LimitReason = nil
	}
	out.partialInfo = info
	return c.Status(http.StatusOK).JSON(out)
}

// rowCursor is the cursor that continues a node's listing after row: its id,
// with its date for a range ("<date>:<id>").
func rowCursor(row []*string, cols []string, isRange bool) string {
	id := *row[0]
	if isRange {
		if i := slices.Index(cols, store.ColDate); i > 0 && row[i] != nil {
			return *row[i] + ":" + id
		}
	}
	return id
}

// mergePages takes rows from the parts' pages in order until limit rows, the
// page's byte bound, or a part whose page is used up while its node has more
// rows (its next rows are unknown: the page ends there, with its reason).
//
// A row whose batch seen holds from another node at the same time is a copy
// (cluster_dedupe.go): it is skipped, counted as taken. seen is updated.
func mergePages(parts []*nodePart, q store.Query, isRange bool, limit int, seen *seenBatches) *clusterLogsPage {
	out := &clusterLogsPage{Rows: [][]*string{}, RowNodes: []string{}}
	for _, p := range parts { // merged columns: this node's, then any other node's extra ones
		for _, col := range p.page.Columns {
			if !slices.Contains(out.Columns, col) {
				out.Columns = append(out.Columns, col)
			}
		}
	}
	if out.Columns == nil {
		out.Columns = []string{class.ColID}
	}
	type key struct {
		when string // date and time
		node string
		id   int64
	}
	keys := make([]func(int) key, len(parts))
	for i, p := range parts {
		p.at = make([]int, len(p.page.Columns))
		for j, col := range p.page.Columns {
			p.at[j] = slices.Index(out.Columns, col)
		}
		ti, di := slices.Index(p.page.Columns, class.ColTime), slices.Index(p.page.Columns, store.ColDate)
		keys[i] = func(r int) key {
			row := p.page.Rows[r]
			k := key{node: p.node}
			date := q.Date
			if isRange && di >= 0 && row[di] != nil {
				date = *row[di]
			}
			k.when = date + " "
			if ti >= 0 && row[ti] != nil {
				k.when += *row[ti]
			}
			if row[0] != nil {
				k.id, _ = strconv.ParseInt(*row[0], 10, 64)
			}
			return k
		}
	}
	before := func(a, b key) bool { // a comes first
		if c := cmp.Compare(a.when, b.when); c != 0 {
			return (c > 0) == q.Desc
		}
		if a.node != b.node {
			return a.node < b.node
		}
		return (a.id > b.id) == q.Desc
	}
	maxBytes := q.MaxBytes
	if maxBytes <= 0 {
		maxBytes = store.DefaultMaxPageBytes
	}
	pageBytes := 0
	for len(out.Rows) < limit {
		best := -1
		var bk key
		for i, p := range parts {
			if p.taken == len(p.page.Rows) {
				if p.page.NextCursor != nil {
					r := p.page.LimitReason
					out.LimitReason = &r
					return out
				}
				continue
			}
			if k := keys[i](p.taken); best < 0 || before(k, bk) {
				best, bk = i, k
			}
		}
		if best < 0 {
			return out
		}
		p := parts[best]
		src := p.page.Rows[p.taken]
		if p.batches != nil && !seen.take(bk.when, p.batches[p.taken], p.node) {
			p.taken++ // a copy of a row taken from another node
			continue
		}
		n := 0
		for _, v := range src {
			if v != nil {
				n += len(*v)
			}
		}
		if len(out.Rows) > 0 && pageBytes+n > maxBytes {
			r := store.LimitBytes
			out.LimitReason = &r
			return out
		}
		pageBytes += n
		row := make([]*string, len(out.Columns))
		for j, v := range src {
			row[p.at[j]] = v
		}
		out.Rows = append(out.Rows, row)
		out.RowNodes = append(out.RowNodes, p.node)
		p.taken++
	}
	return out
}
