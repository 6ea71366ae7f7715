package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/logsieve/logsieve/backend/class"
)

// Filter narrows a query to rows whose Column contains Text (case-insensitive
// literal substring) or, with Exact, equals Text.
type Filter struct {
	Column string
	Text   string
	Exact  bool
}

// Query selects rows of one day (QueryDay) or of several (ExportCSV).
type Query struct {
	Date string // YYYY-MM-DD (QueryDay)
	Q    string // case-insensitive literal substring (or word, see Match) in any shown column
	// Match says how Q matches: "" or MatchSubstring, or MatchWord (Q with
	// no word character right before or after it).
	Match   string
	Filters []Filter // all must hold
	From    string   // HH:MM:SS, inclusive; empty = start of day
	To      string   // HH:MM:SS, inclusive; empty = end of day
	Limit   int      // QueryDay page size: 0 = 100, at most 1000
	// MaxBytes bounds the cell bytes of a QueryDay page: 0 = DefaultMaxPageBytes.
	MaxBytes int
	Cursor   string   // NextCursor of the previous page; empty = first page
	Desc     bool     // newest first
	Order    []string // current class value columns; other table columns (removed keys) follow
	// RowIDs adds a last column id (each row's id in its day file) to an
	// export: a cluster's merge drops the rows of batch copies by id.
	RowIDs bool

	// deadline, when set, ends the scan instead of scanBudget from now (a
	// range query shares one budget among its days).
	deadline time.Time
}

// Page is one page of QueryDay.
type Page struct {
	Columns    []string    // "id" then the shown order (class.ShownColumns)
	Rows       [][]*string // cells aligned with Columns; nil = NULL
	NextCursor *string     // nil on the last page
	// LimitReason says why a page with a NextCursor ended: LimitRows,
	// LimitBytes or LimitTime; "" on the last page.
	LimitReason string
}

// Why a page ended before the end of the listing (Page.LimitReason).
const (
	LimitRows  = "limit" // the page holds Query.Limit rows
	LimitBytes = "bytes" // one more row would pass Query.MaxBytes
	LimitTime  = "time"  // the scan ran out of its time budget
)

// Query limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	// DefaultMaxPageBytes bounds the cell bytes of one QueryDay page, so that
	// 1000 rows of 64 KB logs make a page of 4 MiB, not 64 MB.
	DefaultMaxPageBytes = 4 << 20
	// MaxFilters bounds the filters of one query (SQLite nests each one in
	// the WHERE expression, whose depth it limits to 1000).
	MaxFilters = 32
	// MaxNeedleBytes bounds q and each filter's text.
	MaxNeedleBytes = 1024
)

// scanBudget is how long one QueryDay scans before it returns what it has.
var scanBudget = 2 * time.Second

// scanChunk is the id range one scan step covers, so a scan that runs out of
// time can still name how far it got (a variable for tests).
var scanChunk int64 = 1 << 15

// testHookBounds, when set, is called before a read handle reads the day's
// id bounds (tests commit rows there).
var testHookBounds func()

// testHookScan, when set, is called with each scan statement of Query and
// its arguments (tests check the plan and the id ranges).
var testHookScan func(stmt string, args []any)

// Query returns one page of the rows of the day q.Date that match q, in id
// order (newest first with q.Desc). Columns: id, log_sender_ip, client, time,
// time_zone, q.Order (NULL where the file lacks one), the file's other value
// columns, original_log when the file has it. A scan stops at q.Limit rows,
// before a row that would take the page's cell bytes (the sum of the lengths
// of its cells) past q.MaxBytes (a first row is returned whatever its size),
// or after 2 s, returning what it found, a cursor to continue exactly after
// the last row returned and the LimitReason. Invalid input is a *FieldError;
// a missing day an error wrapping fs.ErrNotExist.
func (ds *Days) Query(ctx context.Context, q Query) (*Page, error) {
	if err := ValidDate(q.Date); err != nil {
		return nil, err
	}
	limit, maxBytes, err := pageBounds(q)
	if err != nil {
		return nil, err
	}
	var cursor int64
	if q.Cursor != "" {
		c, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || c < 0 {
			return nil, &FieldError{Field: "cursor", Reason: fmt.Sprintf("%q is not a cursor of this listing", q.Cursor)}
		}
		cursor = c
	}
	if err := checkRange(q); err != nil {
		return nil, err
	}
	v, err := ds.Open(ctx, q.Date)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	shown := shownColumns(q.Order, [][]string{v.cols})
	// Validation only: the file's facts are read after its ids (facts).
	if _, _, err := whereClause(q, shown, v.has, nil); err != nil {
		return nil, err
	}
	page := &Page{Columns: append([]string{class.ColID}, shown...), Rows: [][]*string{}}
	if len(v.cols) == 0 {
		return page, nil
	}
	spans, rows, err := v.scanSpans(ctx, &q)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if !rows {
		return page, nil
	}
	where, args, err := whereClause(q, shown, v.has, v.facts(ctx, q))
	if err != nil {
		return nil, err
	}
	deadline := q.deadline
	if deadline.IsZero() {
		deadline = time.Now().Add(scanBudget)
	}
	sctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	// pos is the exclusive bound of what is left: ids below it (Desc) or
	// above it (asc) in spans are still to scan. A cursor past the day's ids
	// starts at their edge: scanning the empty ranges before it would spend
	// the whole time budget on nothing (nextChunk clamps it).
	pos := int64(math.MaxInt64) // past every span: nextChunk starts at the newest (or oldest) id
	if !q.Desc {
		pos = math.MinInt64
	}
	if q.Cursor != "" {
		pos = cursor
	}
	rangeCond, orderBy := "id < ? AND id >= ?", " ORDER BY id DESC LIMIT ?"
	if !q.Desc {
		rangeCond, orderBy = "id > ? AND id <= ?", " ORDER BY id ASC LIMIT ?"
	}
	ps := &pageScan{
		stmt:     "SELECT " + selectList(shown, v.has, true) + " FROM logs WHERE " + rangeCond + where + orderBy,
		args:     args,
		word:     wordMatcher(q),
		maxBytes: maxBytes,
	}
	pf := &pageFill{page: page, limit: limit, maxBytes: maxBytes, pos: pos}
	sc := newRowScanner(len(shown))
	timedOut := false
	for first := true; !pf.finished; first = false {
		start, end, more := nextChunk(spans, pf.pos, q.Desc)
		if !more {
			break
		}
		pf.pos = start
		if sctx.Err() != nil {
			timedOut = true
			break
		}
		if !first {
			// The first range did not fill the page: a sparse search, which
			// reads the next ranges on two connections at once.
			var err error
			if timedOut, err = v.scanAhead(ctx, sctx, ps, pf, spans, q.Desc); err != nil {
				return nil, err
			}
			if timedOut {
				break
			}
			continue // with what is left after pf.pos, if anything
		}
		res := ps.read(sctx, v.conn, sc, start, end, pf.room())
		if res.err != nil {
			if timedOut, err = v.scanFailed(ctx, sctx, res); err != nil {
				return nil, err
			}
			break
		}
		pf.take(res)
	}
	full := pf.full
	pos = pf.pos
	switch {
	case len(page.Rows) > limit:
		page.Rows = page.Rows[:limit]
		next := *page.Rows[limit-1][0]
		page.NextCursor, page.LimitReason = &next, LimitRows
	case full:
		next := strconv.FormatInt(pos, 10)
		page.NextCursor, page.LimitReason = &next, LimitBytes
	case timedOut:
		next := strconv.FormatInt(pos, 10)
		page.NextCursor, page.LimitReason = &next, LimitTime
	}
	return page, nil
}

// idBounds reads the smallest and largest id of the day (NULL when it has
// no rows). Two subqueries: SQLite answers min() or max() alone from the
// ends of the rowid b-tree, but both in one SELECT by scanning every row
// (0.1 s a million rows).
func (h *Day) idBounds(ctx context.Context, lo, hi *sql.NullInt64) error {
	if testHookBounds != nil {
		testHookBounds()
	}
	return h.conn.QueryRowContext(ctx, "SELECT (SELECT min(id) FROM logs), (SELECT max(id) FROM logs)").Scan(lo, hi)
}

// pageBounds returns the rows (q.Limit, 0 = DefaultLimit) and cell bytes
// (q.MaxBytes, 0 = DefaultMaxPageBytes) a page of q may hold.
func pageBounds(q Query) (limit, maxBytes int, err error) {
	limit, maxBytes = q.Limit, q.MaxBytes
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return 0, 0, &FieldError{Field: "limit", Reason: fmt.Sprintf("%d is not between 1 and %d", limit, MaxLimit)}
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxPageBytes
	}
	return limit, maxBytes, nil
}

// nextChunk returns the next id range to scan after the exclusive bound pos
// within spans (ascending): ids start-1 down to end (desc) or start+1 up to
// end, at most scanChunk of them; more is false when nothing is left.
func nextChunk(spans []span, pos int64, desc bool) (start, end int64, more bool) {
	if desc {
		for i := len(spans) - 1; i >= 0; i-- {
			if sp := spans[i]; sp.lo < pos {
				start = min(pos, sp.hi+1)
				return start, max(start-scanChunk, sp.lo), true
			}
		}
		return 0, 0, false
	}
	for _, sp := range spans {
		if sp.hi > pos {
			start = max(pos, sp.lo-1)
			return start, min(start+scanChunk, sp.hi), true
		}
	}
	return 0, 0, false
}

// cellBytes is the byte size of a row's cells (NULL counts 0).
func cellBytes(cells []*string) int {
	n := 0
	for _, c := range cells {
		if c != nil {
			n += len(*c)
		}
	}
	return n
}

// checkRange validates q.From, q.To and the size of q.Q and q.Filters.
func checkRange(q Query) error {
	if len(q.Filters) > MaxFilters {
		return &FieldError{Field: "filter", Reason: fmt.Sprintf("%d filters given; at most %d", len(q.Filters), MaxFilters)}
	}
	for _, f := range q.Filters {
		if len(f.Text) > MaxNeedleBytes {
			return &FieldError{Field: "filter", Reason: fmt.Sprintf("the text of a filter on %q is longer than %d bytes", f.Column, MaxNeedleBytes)}
		}
	}
	if err := validMatch(q.Match); err != nil {
		return err
	}
	if len(q.Q) > MaxNeedleBytes {
		return &FieldError{Field: "q", Reason: fmt.Sprintf("q is longer than %d bytes", MaxNeedleBytes)}
	}
	if q.From != "" && !validClock(q.From) {
		return &FieldError{Field: "from", Reason: fmt.Sprintf("%q is not a HH:MM:SS time", q.From)}
	}
	if q.To != "" && !validClock(q.To) {
		return &FieldError{Field: "to", Reason: fmt.Sprintf("%q is not a HH:MM:SS time", q.To)}
	}
	return nil
}

// fixedColumns are the table columns that never count as value columns.
var fixedColumns = func() map[string]bool {
	m := make(map[string]bool, len(class.Reserved))
	for _, c := range class.Reserved {
		m[c] = true
	}
	return m
}()

// shownColumns returns the column order the API and CSV show (without id;
// class.ShownColumns, with removed keys after the current ones) for order and
// the columns of one or more day files: the four head columns, order, the
// files' other value columns in table order, then original_log when any file
// has it.
func shownColumns(order []string, tables [][]string) []string {
	shown := class.HeadColumns()
	seen := map[string]bool{}
	for _, c := range shown {
		seen[c] = true
	}
	for _, c := range order {
		if !seen[c] && !fixedColumns[c] {
			seen[c] = true
			shown = append(shown, c)
		}
	}
	original := false
	for _, cols := range tables {
		for _, c := range cols {
			if c == class.ColOriginal {
				original = true
			}
			if !seen[c] && !fixedColumns[c] {
				seen[c] = true
				shown = append(shown, c)
			}
		}
	}
	if original {
		shown = append(shown, class.ColOriginal)
	}
	return shown
}

// selectList returns the SELECT expressions of shown (NULL where the file
// lacks the column), preceded by id when withID.
func selectList(shown []string, has map[string]bool, withID bool) string {
	var b strings.Builder
	if withID {
		b.WriteString(class.ColID)
	}
	for i, c := range shown {
		if i > 0 || withID {
			b.WriteString(", ")
		}
		if has[c] {
			b.WriteString(quoteIdent(c))
		} else {
			b.WriteString("NULL")
		}
	}
	return b.String()
}

// whereClause returns " AND ..." conditions of q (empty when none) with
// their arguments, for a file with columns has and facts f (nil: none
// known). Filter columns must be among shown or "id"; a column the file
// lacks matches nothing.
func whereClause(q Query, shown []string, has map[string]bool, f *fileFacts) (string, []any, error) {
	var b strings.Builder
	var args []any
	known := map[string]bool{class.ColID: true}
	for _, c := range shown {
		known[c] = true
	}
	for _, f := range q.Filters {
		if !known[f.Column] {
			return "", nil, &FieldError{Field: "filter", Reason: fmt.Sprintf("unknown column %q", f.Column)}
		}
		if f.Text == "" && !f.Exact {
			continue
		}
		b.WriteString(" AND ")
		switch {
		case !has[f.Column]:
			b.WriteString("0")
		case f.Exact:
			b.WriteString(quoteIdent(f.Column) + " = ?")
			args = append(args, f.Text)
		default:
			cond, arg := containsCond(f.Column, f.Text)
			b.WriteString(cond)
			args = append(args, arg)
		}
	}
	if q.Q != "" {
		// match=word: the rows that hold q as a substring, checked in Go
		// (wordMatcher).
		ors, qargs := substringTerms(shown, has, q.Q, f)
		args = append(args, qargs...)
		b.WriteString(" AND " + balanced(ors, " OR "))
	}
	if q.From != "" {
		b.WriteString(" AND time >= ?")
		args = append(args, q.From)
	}
	if q.To != "" {
		b.WriteString(" AND time <= ?")
		args = append(args, q.To)
	}
	return b.String(), args, nil
}

// balanced joins terms with op as a balanced tree: SQLite limits the depth of
// an expression to 1000, and a flat chain of one term per column (a class may
// have hundreds of keys) is as deep as it is long.
func balanced(terms []string, op string) string {
	if len(terms) == 1 {
		return terms[0]
	}
	m := len(terms) / 2
	return "(" + balanced(terms[:m], op) + op + balanced(terms[m:], op) + ")"
}

// asciiLower lowers ASCII letters only, as SQLite's lower() does, byte by
// byte: other bytes, invalid UTF-8 included, stay as they are.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + ('a' - 'A')
				}
			}
			return string(b)
		}
	}
	return s
}

// rowScanner scans rows of id and the shown columns into cells.
type rowScanner struct {
	id    int64
	vals  []sql.NullString
	dests []any
}

func newRowScanner(n int) *rowScanner {
	s := &rowScanner{vals: make([]sql.NullString, n), dests: make([]any, n+1)}
	s.dests[0] = &s.id
	for i := range s.vals {
		s.dests[i+1] = &s.vals[i]
	}
	return s
}

// scan reads the current row; the first cell is the id.
func (s *rowScanner) scan(rows *sql.Rows) (int64, []*string, error) {
	if err := rows.Scan(s.dests...); err != nil {
		return 0, nil, err
	}
	cells := make([]*string, len(s.vals)+1)
	id := strconv.FormatInt(s.id, 10)
	cells[0] = &id
	for i := range s.vals {
		if s.vals[i].Valid {
			v := s.vals[i].String
			cells[i+1] = &v
		}
	}
	return s.id, cells, nil
}

// scanSpans returns the id spans of v a scan for q needs to read, oldest
// first: the day's ids, narrowed to q's time window by bisection when the
// times allow it (then q.From and q.To are cleared: the spans hold the
// window), and to the blocks whose summaries may hold q's needles. rows is
// false when the day has no rows. Errors name the day file.
func (v *Day) scanSpans(ctx context.Context, q *Query) (spans []span, rows bool, err error) {
	var lo, hi sql.NullInt64
	if err := v.idBounds(ctx, &lo, &hi); err != nil {
		return nil, false, fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
	}
	if !lo.Valid {
		return nil, false, nil
	}
	spans = []span{{lo.Int64, hi.Int64}}
	if q.From != "" || q.To != "" {
		// Within a run of non-decreasing times the window is one id range:
		// bisect for it and scan without the time condition.
		ts, ok, err := timeSpans(ctx, v.conn, lo.Int64, hi.Int64, q.From, q.To)
		if err != nil {
			return nil, false, fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
		}
		if ok {
			spans = ts
			q.From, q.To = "", ""
		}
	}
	cands, err := v.candidateSpans(ctx, *q, lo.Int64, hi.Int64)
	if err != nil {
		return nil, false, fmt.Errorf("cannot read the block summaries of day file %q: %w", v.d.path, err)
	}
	return intersectSpans(spans, cands), true, nil
}
