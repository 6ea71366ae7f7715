package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/logsieve/logsieve/backend/class"
)

// Block summaries. The ids of a day file are cut into blocks of blockRows
// (block k = ids k*blockRows .. (k+1)*blockRows-1). Once the writer has
// committed the last id of a block it stores, in the transaction of a later
// batch (bloomFlushBlocks at a time), a bloom filter of the block's tokens (summary_tokens.go) over every text column: the head
// columns, the value columns, original_log. A query for an exact value or a
// whole word then scans only the blocks whose bloom may hold all its tokens
// (candidateSpans), plus every id no summary covers.
//
// The bloom of a block is split into bloomParts parts by the top bits of
// the token hash (all bloomHashes bits of a token lie in one part), one row
// per (part, block) in a table clustered by part: a query reads only the
// parts of its tokens, about 1/64 of the summaries each. A part holds
// bloomBitsPerToken bits per distinct token of the part (~1 % false
// positives with 7 hashes).
//
// A summary never disagrees with committed rows: it is written in the
// transaction of the rows that complete its block, and rows that land in a
// block already summarized (ids reused after a purge of the newest rows, or
// a failed batch) first drop that block's summary and every later one. The
// writer keeps the tokens of the incomplete block in memory and rebuilds
// them from the block's rows when it opens the file (after kill -9 or a
// restart) or when ids do not continue where it expects. It tokenizes a
// batch in a goroutine while SQLite inserts the batch, and writes the blooms
// of complete blocks in a batch's transaction, eight blocks at a time (a
// block whose bloom is not written yet is scanned). A file written
// before summaries existed has none: its blocks are scanned; the writer
// adds the tables when it opens the file and summarizes from the block of
// its next row on.
const (
	bloomTable        = "logsieve_blooms"
	bloomFormatTable  = "logsieve_bloom_format"
	bloomParts        = 64
	bloomPartShift    = 58 // 64 - log2(bloomParts)
	bloomHashes       = 7
	bloomBitsPerToken = 10
	bloomVersion      = 2 // 2: tokens shorter than minTokenLen are left out
)

// summaryBlockRows is the block size of new day files (a variable for
// tests; a file keeps the size it was made with, in bloomFormatTable).
var summaryBlockRows int64 = 4096

const createBloomTablesSQL = "CREATE TABLE IF NOT EXISTS " + bloomTable + " (part INTEGER NOT NULL, block INTEGER NOT NULL, bits BLOB NOT NULL, PRIMARY KEY (part, block)) WITHOUT ROWID;" +
	"CREATE TABLE IF NOT EXISTS " + bloomFormatTable + " (id INTEGER PRIMARY KEY CHECK (id = 1), block_rows INTEGER NOT NULL, parts INTEGER NOT NULL, hashes INTEGER NOT NULL, version INTEGER NOT NULL)"

// bloomPosition returns the bit of hash i (0..bloomHashes-1) of token hash
// h in a part of m bits: double hashing on bits 0..57 of h (its top bits
// chose the part, so they are the same for every token of the part).
func bloomPosition(h uint64, i, m uint32) uint32 {
	x := uint32(h) + i*(uint32(h>>(bloomPartShift-32))|1)
	return uint32(uint64(x) * uint64(m) >> 32)
}

// bloomHas reports whether the part bits may hold token hash h.
func bloomHas(bits []byte, h uint64) bool {
	m := uint32(len(bits)) * 8
	if m == 0 {
		return false
	}
	for i := uint32(0); i < bloomHashes; i++ {
		p := bloomPosition(h, i, m)
		if bits[p>>3]&(1<<(p&7)) == 0 {
			return false
		}
	}
	return true
}

// buildBlooms returns the parts of the bloom of the tokens in set, carved
// from buf (grown as needed; returned for reuse).
func buildBlooms(set *tokenSet, buf []byte) ([bloomParts][]byte, []byte) {
	var counts [bloomParts]int
	for _, h := range set.slots {
		if h != 0 {
			counts[h>>bloomPartShift]++
		}
	}
	total := 0
	for _, n := range counts {
		total += (n*bloomBitsPerToken + 7) / 8
	}
	if cap(buf) < total {
		buf = make([]byte, total)
	}
	buf = buf[:total]
	clear(buf)
	var parts [bloomParts][]byte
	off := 0
	for p, n := range counts {
		size := (n*bloomBitsPerToken + 7) / 8
		parts[p] = buf[off : off+size : off+size]
		off += size
	}
	for _, h := range set.slots {
		if h == 0 {
			continue
		}
		bits := parts[h>>bloomPartShift]
		m := uint32(len(bits)) * 8
		for i := uint32(0); i < bloomHashes; i++ {
			pos := bloomPosition(h, i, m)
			bits[pos>>3] |= 1 << (pos & 7)
		}
	}
	return parts, buf
}

// summarizer is the writer's side of the block summaries of one day file.
type summarizer struct {
	path      string
	conn      *sql.Conn
	blockRows int64
	next      int64 // the id the next batch should start at; 0: unknown, rebuild first
	set       tokenSet
	toks      []uint64  // the token hashes of a row without Row.Tokens
	head      [4]string // head cells last added to set (runs of equal ones are added once)
	ins       *sql.Stmt
	args      []any
	pending   []pendingBloom // blooms of the batch's complete blocks

	// The batch being tokenized while it is inserted (start): async is
	// closed when done; asyncFirst is the id it assumed for its first row.
	async      chan struct{}
	asyncFirst int64
}

// openSummarizer makes sure the day file on conn has the summary tables and
// returns its summarizer (the tokens of the incomplete block are rebuilt by
// the first batch). A file whose summaries have another format loses them.
func openSummarizer(ctx context.Context, conn *sql.Conn, path string) (*summarizer, error) {
	if _, err := conn.ExecContext(ctx, createBloomTablesSQL); err != nil {
		return nil, err
	}
	sm := &summarizer{path: path, conn: conn}
	var parts, hashes, version int64
	err := conn.QueryRowContext(ctx, "SELECT block_rows, parts, hashes, version FROM "+bloomFormatTable+" WHERE id = 1").Scan(&sm.blockRows, &parts, &hashes, &version)
	if err == nil && (parts != bloomParts || hashes != bloomHashes || version != bloomVersion || sm.blockRows <= 0) {
		if _, err = conn.ExecContext(ctx, "DELETE FROM "+bloomTable); err == nil {
			_, err = conn.ExecContext(ctx, "DELETE FROM "+bloomFormatTable)
		}
		if err != nil {
			return nil, err
		}
		err = sql.ErrNoRows
	}
	if errors.Is(err, sql.ErrNoRows) {
		sm.blockRows = summaryBlockRows
		_, err = conn.ExecContext(ctx, "INSERT INTO "+bloomFormatTable+" (id, block_rows, parts, hashes, version) VALUES (1, ?, ?, ?, ?)",
			sm.blockRows, bloomParts, bloomHashes, bloomVersion)
	}
	if err != nil {
		return nil, err
	}
	stmt := "INSERT OR REPLACE INTO " + bloomTable + " (part, block, bits) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?),", bloomParts), ",")
	if sm.ins, err = conn.PrepareContext(ctx, stmt); err != nil {
		return nil, err
	}
	sm.args = make([]any, 3*bloomParts)
	return sm, nil
}

// close releases the insert statement.
func (sm *summarizer) close() error {
	if sm == nil || sm.ins == nil {
		return nil
	}
	sm.wait()
	var err error
	if len(sm.pending) > 0 && sm.next != 0 {
		// The held blooms, in a transaction of their own.
		ctx := context.Background()
		if _, err = sm.conn.ExecContext(ctx, "BEGIN"); err == nil {
			if err = sm.flush(); err == nil {
				_, err = sm.conn.ExecContext(ctx, "COMMIT")
			}
			if err != nil {
				_, _ = sm.conn.ExecContext(ctx, "ROLLBACK")
			}
		}
	}
	err = errors.Join(err, sm.ins.Close())
	sm.ins = nil
	return err
}

// start begins summarizing a batch before it is inserted: a goroutine
// tokenizes the rows while SQLite inserts them, assuming they get the ids
// from sm.next on (the writer's next id unless a purge or a failed batch
// intervened; finish checks). Nothing is started while sm.next is unknown.
func (sm *summarizer) start(s *Schema, rows []Row, idx []int32, times []any, tz string) {
	if sm.next == 0 {
		return
	}
	sm.async, sm.asyncFirst = make(chan struct{}), sm.next
	go func() {
		defer close(sm.async)
		sm.tokenize(s, rows, idx, times, tz, sm.asyncFirst)
	}()
}

// finish completes the summaries of the batch just inserted (in the open
// transaction): rows[idx...] with ids first, first+1, ...; times are the
// rows' `time` cells and tz the time_zone cell. Blocks the batch completes
// get their summary; has lists the file's columns (for a rebuild). After an
// error the writer must roll back; the next batch rebuilds.
func (sm *summarizer) finish(s *Schema, rows []Row, idx []int32, times []any, tz string, first int64, has map[string]bool) error {
	started := sm.wait()
	if !started || first != sm.asyncFirst {
		sm.pending = sm.pending[:0]
		if err := sm.restart(first, has); err != nil {
			sm.next = 0
			return fmt.Errorf("cannot rebuild the block summary of day file %q: %w", sm.path, err)
		}
		sm.tokenize(s, rows, idx, times, tz, first)
	}
	if len(sm.pending) >= bloomFlushBlocks {
		if err := sm.flush(); err != nil {
			sm.next = 0
			return err
		}
	}
	sm.next = first + int64(len(idx))
	return nil
}

// bloomFlushBlocks is how many complete blocks' blooms the summarizer holds
// before it writes them, in the transaction of the batch at hand. Each
// write dirties a leaf page of every part (64 pages of 16 KiB, for 64 small
// blobs): written per block it doubled the WAL the rows make and cut the
// rows `make bench` stored at 150,000/s by 10-20 %; grouped it costs an
// eighth. Blocks whose blooms are held are scanned by queries (no summary
// is no pruning, never a missed row); a kill -9 loses the held blooms, and
// their blocks stay unsummarized.
const bloomFlushBlocks = 8

// flush writes the held blooms (in the open transaction).
func (sm *summarizer) flush() error {
	for _, p := range sm.pending {
		if err := sm.write(p); err != nil {
			sm.pending = sm.pending[:0]
			return fmt.Errorf("cannot write the block summary of day file %q: %w", sm.path, err)
		}
	}
	sm.pending = sm.pending[:0]
	return nil
}

// wait waits for the batch's goroutine, if any; it reports whether there
// was one.
func (sm *summarizer) wait() bool {
	if sm.async == nil {
		return false
	}
	<-sm.async
	sm.async = nil
	return true
}

// abort ends the summary of a batch that is rolled back: the next batch
// rebuilds the state from the file.
func (sm *summarizer) abort() {
	sm.wait()
	sm.next, sm.pending = 0, sm.pending[:0]
}

// tokenize adds the tokens of rows[idx...] (ids first, first+1, ...) to the
// set, turning each block they complete into a pending bloom.
func (sm *summarizer) tokenize(s *Schema, rows []Row, idx []int32, times []any, tz string, first int64) {
	for k, i := range idx {
		r := &rows[i]
		sm.addHead(0, r.SenderIP)
		if r.Client.Valid {
			sm.addHead(1, r.Client.String)
		}
		sm.addHead(2, times[i].(string))
		sm.addHead(3, tz)
		// Row.Tokens count on the rows of their run before them: those must
		// be the rows just before in this block.
		id := first + int64(k)
		toks := r.Tokens
		if b := r.SharedTokens; toks == nil || b > k || int(i)-int(idx[k-b]) != b || (id-int64(b))/sm.blockRows != id/sm.blockRows {
			sm.toks = AppendRowTokens(sm.toks[:0], r, s.KeepOriginal)
			toks = sm.toks
		}
		sm.set.addHashes(toks)
		if (id+1)%sm.blockRows == 0 {
			block := id / sm.blockRows
			parts, _ := buildBlooms(&sm.set, nil)
			sm.pending = append(sm.pending, pendingBloom{block, parts})
			sm.set.reset()
			sm.head = [4]string{}
		}
	}
}

// addHead adds a head cell (column j of the head) unless it equals the one
// added last.
func (sm *summarizer) addHead(j int, v string) {
	if sm.head[j] != v || v == "" {
		sm.head[j] = v
		sm.set.addText(v)
	}
}

// pendingBloom is the bloom of a complete block, not yet written.
type pendingBloom struct {
	block int64
	parts [bloomParts][]byte
}

// write stores the bloom of a complete block.
func (sm *summarizer) write(p pendingBloom) error {
	for i := range p.parts {
		sm.args[3*i], sm.args[3*i+1], sm.args[3*i+2] = i, p.block, p.parts[i]
	}
	_, err := sm.ins.Exec(sm.args...)
	clear(sm.args)
	return err
}

// restart prepares a batch starting at id first when ids do not continue
// where the summarizer expects (first batch after open, reused ids, a
// failed batch): summaries of first's block and later ones are dropped, and
// the tokens of the rows of first's block before first are read back.
func (sm *summarizer) restart(first int64, has map[string]bool) error {
	ctx := context.Background()
	b := first / sm.blockRows
	var last sql.NullInt64
	if err := sm.conn.QueryRowContext(ctx, "SELECT max(block) FROM "+bloomTable+" WHERE part = 0").Scan(&last); err != nil {
		return err
	}
	if last.Valid && last.Int64 >= b {
		for p := 0; p < bloomParts; p++ {
			if _, err := sm.conn.ExecContext(ctx, "DELETE FROM "+bloomTable+" WHERE part = ? AND block >= ?", p, b); err != nil {
				return err
			}
		}
	}
	sm.set.reset()
	sm.head = [4]string{}
	var cols []string
	for c := range has {
		if c != class.ColID && c != class.ColReceivedAt {
			cols = append(cols, quoteIdent(c))
		}
	}
	if len(cols) == 0 || first <= b*sm.blockRows {
		return nil
	}
	rows, err := sm.conn.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM logs WHERE id >= ? AND id < ?", b*sm.blockRows, first)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]sql.NullString, len(cols))
	dests := make([]any, len(cols))
	for i := range vals {
		dests[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			return err
		}
		for _, v := range vals {
			if v.Valid {
				sm.set.addText(v.String)
			}
		}
	}
	return rows.Err()
}
