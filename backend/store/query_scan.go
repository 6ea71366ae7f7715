package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// scanReaders is how many connections a sparse Query scan reads at once.
// A search that the first range does not answer (a needle, a substring
// in every column) spends its time in SQLite's reading of rows, one core
// per connection. The first reader's statements take a scan slot (half
// the CPUs); the second's take another when one is free, else the spare
// slot while no statement waits for one (takeSlot), so a search uses two
// cores while the box's other readers leave them free, and takes turns
// with them otherwise (a variable for tests).
var scanReaders = 2

// testHookMu serializes testHookScan: the readers of one scan call it from
// their goroutines.
var testHookMu sync.Mutex

// testHookReader, when set, is called by a reader of scanAhead before it
// reads range k (0 is the first after pos), from the reader's goroutine.
var testHookReader func(k int)

// pageScan is what every range of one Query's scan reads: the statement
// (its first two arguments are a range's bounds, its last the row limit),
// the WHERE arguments between them, the word check and the page's bytes.
type pageScan struct {
	stmt     string
	args     []any
	word     func(cells []*string) bool // nil: every row SQL returns matches
	maxBytes int
}

// chunkRows is what a scan found in one id range (nextChunk's start, end).
type chunkRows struct {
	start, end int64
	ids        []int64
	rows       [][]*string
	last       int64 // the last id read; the rest of the range lies past it
	done       bool  // the whole range was read
	err        error
	scanErr    bool // err came from reading a row, not from the statement
}

// read returns the rows of the range start, end (as nextChunk gives it)
// that match, in scan order: all of them, or the first want, or as many
// as hold more than maxBytes of cells once there are two (the page then
// ends within them, see pageFill.take). Rows the word check rejects are
// read past and not returned.
func (ps *pageScan) read(ctx context.Context, conn *sql.Conn, sc *rowScanner, start, end int64, want int) chunkRows {
	res := chunkRows{start: start, end: end, last: start}
	qargs := make([]any, 0, 3+len(ps.args))
	bytes := 0
	for {
		limit := want - len(res.rows)
		qargs = append(append(append(qargs[:0], res.last, end), ps.args...), limit)
		if testHookScan != nil {
			testHookMu.Lock()
			testHookScan(ps.stmt, qargs)
			testHookMu.Unlock()
		}
		rows, err := conn.QueryContext(ctx, ps.stmt, qargs...)
		if err != nil {
			res.err = err
			return res
		}
		got, stop := 0, false
		for rows.Next() {
			got++
			id, cells, err := sc.scan(rows)
			if err != nil {
				rows.Close()
				res.err, res.scanErr = err, true
				return res
			}
			res.last = id
			if ps.word != nil && !ps.word(cells[1:]) {
				continue
			}
			res.ids = append(res.ids, id)
			res.rows = append(res.rows, cells)
			bytes += cellBytes(cells)
			if len(res.rows) >= want || (len(res.rows) >= 2 && bytes > ps.maxBytes) {
				stop = true
				break
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			res.err = err
			return res
		}
		if stop {
			return res
		}
		if got < limit {
			res.done = true
			return res
		}
	}
}

// pageFill is the page a Query scan fills, range after range in scan
// order, and pos, the exclusive bound of what is left to scan.
type pageFill struct {
	page            *Page
	limit, maxBytes int
	bytes           int
	pos             int64
	full            bool // the page ended at maxBytes: pos is its last row
	finished        bool // no row after pos belongs to this page
}

// room is how many more rows a range may return: one past the page's
// limit tells that a next page follows.
func (pf *pageFill) room() int { return pf.limit + 1 - len(pf.page.Rows) }

// take adds a range's rows to the page until it is finished, and moves pos
// past what the page has seen.
func (pf *pageFill) take(res chunkRows) {
	for i, cells := range res.rows {
		n := cellBytes(cells)
		if len(pf.page.Rows) > 0 && len(pf.page.Rows) < pf.limit && pf.bytes+n > pf.maxBytes {
			pf.full, pf.finished = true, true // this row starts the next page
			return
		}
		pf.bytes += n
		pf.page.Rows = append(pf.page.Rows, cells)
		pf.pos = res.ids[i]
		if len(pf.page.Rows) > pf.limit {
			pf.finished = true
			return
		}
	}
	if res.done {
		pf.pos = res.end
	} else {
		pf.pos = res.last
	}
}

// scanFailed sorts out a range's error: the caller's context ended (its
// error), the scan's budget ended (timedOut), or the file failed (an error
// naming it).
func (v *Day) scanFailed(ctx, sctx context.Context, res chunkRows) (timedOut bool, err error) {
	switch {
	case res.scanErr:
		return false, fmt.Errorf("cannot read day file %q: %w", v.d.path, res.err)
	case ctx.Err() != nil:
		return false, ctx.Err()
	case sctx.Err() != nil:
		return true, nil
	}
	return false, fmt.Errorf("cannot query day file %q: %w", v.d.path, res.err)
}

// scanAhead fills pf from the ranges after pf.pos, read by scanReaders
// connections at once (v's own and more from the day's pool; fewer when
// the pool has none to give): reader r reads ranges r, r+n, r+2n, ... and
// hands each over whole, so the page takes them in scan order and ends
// where a single reader's would. A reader holds at most one range's rows
// (at most the page's room, or its bytes and a row). It returns when the
// page is finished, the ranges are read, or a range stopped before its
// end (pf.pos is then inside it: the caller goes on from there); timedOut
// when the budget (sctx) ended first.
func (v *Day) scanAhead(ctx, sctx context.Context, ps *pageScan, pf *pageFill, spans []span, desc bool) (timedOut bool, err error) {
	ranges := chunkRanges(spans, pf.pos, desc)
	if len(ranges) == 0 {
		return false, nil
	}
	extra := v.extraConns(ctx, min(scanReaders, len(ranges))-1) // the scan goes on with fewer when the pool has none
	defer func() {
		for _, c := range extra {
			c.Close()
		}
	}()
	conns := append([]*sql.Conn{v.conn}, extra...)
	rctx, cancel := context.WithCancel(sctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	var room atomic.Int64 // pf.room(), for the readers
	room.Store(int64(pf.room()))
	outs := make([]chan chunkRows, len(conns))
	for r, conn := range conns {
		outs[r] = make(chan chunkRows)
		wctx := rctx
		if r > 0 {
			wctx = readAhead(rctx)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := newRowScanner(len(pf.page.Columns) - 1)
			for k := r; k < len(ranges); k += len(conns) {
				if testHookReader != nil {
					testHookReader(k)
				}
				res := ps.read(wctx, conn, sc, ranges[k].lo, ranges[k].hi, int(room.Load()))
				select {
				case outs[r] <- res:
				case <-rctx.Done():
					return
				}
				if res.err != nil {
					return
				}
			}
		}()
	}
	for k := range ranges {
		var res chunkRows
		select {
		case res = <-outs[k%len(conns)]:
		case <-rctx.Done():
			return v.scanFailed(ctx, sctx, chunkRows{err: rctx.Err()})
		}
		if res.err != nil {
			return v.scanFailed(ctx, sctx, res)
		}
		pf.pos = res.start
		pf.take(res)
		if pf.finished || !res.done {
			return false, nil
		}
		room.Store(int64(pf.room()))
	}
	return false, nil
}

// chunkRanges returns the id ranges after pos within spans, in scan order,
// as nextChunk gives them (start, end): the steps of a scan read by several
// connections (scanAhead, Export).
func chunkRanges(spans []span, pos int64, desc bool) []span {
	var ranges []span
	for {
		start, end, more := nextChunk(spans, pos, desc)
		if !more {
			return ranges
		}
		ranges = append(ranges, span{start, end})
		pos = end
	}
}

// extraConns returns up to n more connections of v's day from its read
// pool (fewer when the pool gives none); the caller closes them.
func (v *Day) extraConns(ctx context.Context, n int) []*sql.Conn {
	v.ds.mu.Lock()
	pool := v.d.ro // open while v holds the day
	v.ds.mu.Unlock()
	var conns []*sql.Conn
	for range n {
		c, err := pool.Conn(ctx)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	return conns
}

// readAhead marks ctx as a read-ahead's (aheadKey): its statements may
// take the spare scan slot (takeSlot).
func readAhead(ctx context.Context) context.Context {
	return context.WithValue(ctx, aheadKey{}, true)
}
