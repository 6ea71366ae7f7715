package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/logsieve/logsieve/backend/class"
)

// Export streams as CSV every row of dates that matches q (no
// limit; q.Limit and q.Cursor are ignored), day by day and rows in id order:
// oldest first, or newest first with q.Desc. The header is the QueryDay
// columns without id, for the union of the days' columns; with more than one
// date a first column `date` is added. NULL is an empty cell; a cell that is
// not valid UTF-8 or holds `\x` is escaped (csvText), so the CSV is always
// UTF-8; a cell starting with =, +, -, @, tab or CR gets a ' prefix. A missing day is skipped in a
// range and an error wrapping fs.ErrNotExist for a single date. Invalid input
// is a *FieldError, reported before anything is written. Each day is read
// through a read handle: a day deleted while it is exported is exported whole;
// a later day of a range deleted before its turn is skipped.
func (ds *Days) Export(ctx context.Context, w io.Writer, dates []string, q Query) error {
	if len(dates) == 0 {
		return &FieldError{Field: "date", Reason: "no date given"}
	}
	for _, d := range dates {
		if err := ValidDate(d); err != nil {
			return err
		}
	}
	if err := checkRange(q); err != nil {
		return err
	}
	dates = slices.Compact(slices.Sorted(slices.Values(dates)))
	return ds.export(ctx, w, dates, q, len(dates) > 1, nil)
}

// ExportRange streams as CSV, like Export of several dates (a first column
// date; days without a file skipped), every row of rq's range that matches
// it: the range's start and end clip its first and last day. rq.Limit and
// rq.Cursor are ignored. Invalid input (see QueryRange) is a *FieldError,
// reported before anything is written.
func (ds *Days) ExportRange(ctx context.Context, w io.Writer, rq RangeQuery) error {
	q := rq.Query
	q.Date, q.From, q.To = "", "", ""
	if err := checkRange(q); err != nil {
		return err
	}
	plan, err := ds.planRange(ctx, rq.Start, rq.End, q.Order)
	if err != nil {
		return err
	}
	if _, _, err := whereClause(q, plan.shown, nil, nil); err != nil {
		return err
	}
	dates := make([]string, 0, len(plan.days))
	windows := make(map[string][2]string, 2)
	for _, rd := range plan.days {
		dates = append(dates, rd.date)
		if rd.from != "" || rd.to != "" {
			windows[rd.date] = [2]string{rd.from, rd.to}
		}
	}
	return ds.export(ctx, w, dates, q, true, windows)
}

// export writes the CSV of dates (ascending, valid); multi adds the date
// column and skips missing days; windows gives the from/to of a day whose
// rows are clipped to it.
func (ds *Days) export(ctx context.Context, w io.Writer, dates []string, q Query, multi bool, windows map[string][2]string) error {
	if q.Desc {
		slices.Reverse(dates)
	}
	var present []string
	var tables [][]string
	var single *Day // the handle of a one-day export, held to the end
	for _, d := range dates {
		v, err := ds.Open(ctx, d)
		if errors.Is(err, fs.ErrNotExist) && multi {
			continue
		}
		if err != nil {
			return err
		}
		present = append(present, d)
		tables = append(tables, v.cols)
		if multi {
			v.Release()
		} else {
			single = v
			defer v.Release()
		}
	}
	shown := shownColumns(q.Order, tables)
	if _, _, err := whereClause(q, shown, nil, nil); err != nil {
		return err
	}

	var buf []byte
	if multi {
		buf = appendCSVQuoted(buf, "date")
	}
	for i, c := range shown {
		if i > 0 || multi {
			buf = append(buf, ',')
		}
		buf = appendCSVQuoted(buf, c)
	}
	if q.RowIDs {
		buf = append(buf, ","+class.ColID...)
	}
	buf = append(buf, '\n')
	if _, err := w.Write(buf); err != nil {
		return err
	}
	for i, d := range present {
		if len(tables[i]) == 0 {
			continue
		}
		v := single
		if v == nil {
			var err error
			if v, err = ds.Open(ctx, d); errors.Is(err, fs.ErrNotExist) {
				continue // deleted since the header was written
			} else if err != nil {
				return err
			}
		}
		dq := q
		if win, ok := windows[d]; ok {
			dq.From, dq.To = win[0], win[1]
		}
		err := exportDay(ctx, w, v, dq, shown, multi)
		v.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// exportChunkBytes is about the most CSV one export step buffers: the rows
// of a step are read by one statement, ended before its CSV is written (a
// slow client must not hold a snapshot that keeps the writer from
// truncating the WAL, see readGate), so a step is bounded in ids (scanChunk)
// and in bytes.
var exportChunkBytes = 1 << 20

// exportReaders is how many connections read a day's id ranges at once,
// each range's CSV written in order by the caller: SQLite's stepping is most
// of an export's CPU, and two readers use both cores of a 2-vCPU appliance.
// At most exportReaders*(exportQueue+2) steps of CSV are held at a time.
const (
	exportReaders = 2
	exportQueue   = 2
)

// exportPiece is one step's CSV of an id range; last marks the range's end.
type exportPiece struct {
	buf  []byte
	last bool
	err  error
}

// exportDay writes the matching rows of one day with the columns shown (the
// rows up to the day's last id when it starts), id range by id range, each
// range read by one of exportReaders connections.
func exportDay(ctx context.Context, w io.Writer, v *Day, q Query, shown []string, multi bool) error {
	var lo, hi sql.NullInt64
	if err := v.idBounds(ctx, &lo, &hi); err != nil {
		return fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
	}
	// The file's facts are read after its ids (facts).
	where, args, err := whereClause(q, shown, v.has, v.facts(ctx, q))
	if err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	spans, err := v.candidateSpans(ctx, q, lo.Int64, hi.Int64)
	if err != nil {
		return fmt.Errorf("cannot read the block summaries of day file %q: %w", v.d.path, err)
	}
	rangeCond, order := "id < ? AND id >= ?", " ORDER BY id DESC"
	pos := hi.Int64 + 1
	if !q.Desc {
		rangeCond, order = "id > ? AND id <= ?", " ORDER BY id ASC"
		pos = lo.Int64 - 1
	}
	ranges := chunkRanges(spans, pos, q.Desc)
	st := &exportStep{
		stmt:  "SELECT " + exportSelect(shown, v.has) + " FROM logs WHERE " + rangeCond + where + order,
		args:  args,
		ncols: len(shown),
		ids:   q.RowIDs,
	}
	if q.Match == MatchWord && q.Q != "" {
		st.word = asciiLower(q.Q)
	}
	if multi {
		st.prefix = append(appendCSVQuoted(nil, v.Date()), ',')
	}

	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var conns []*sql.Conn // the extra readers' connections
	defer func() {
		cancel()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	}()
	conns = v.extraConns(ctx, min(exportReaders, len(ranges))-1) // the export goes on with fewer when the pool has none
	free := make(chan []byte, exportReaders*(exportQueue+2))
	outs := make([]chan exportPiece, 1+len(conns))
	for r := range outs {
		conn, wctx := v.conn, rctx
		if r > 0 {
			// A second reader may take the spare scan slot (takeSlot).
			conn, wctx = conns[r-1], readAhead(rctx)
		}
		outs[r] = make(chan exportPiece, exportQueue)
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.read(wctx, conn, ranges, r, len(outs), free, outs[r])
		}()
	}
	for k := range ranges {
		for {
			var p exportPiece
			select {
			case p = <-outs[k%len(outs)]:
			case <-rctx.Done():
				return rctx.Err()
			}
			if p.err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("cannot read day file %q: %w", v.d.path, p.err)
			}
			if _, err := w.Write(p.buf); err != nil {
				return err
			}
			select {
			case free <- p.buf[:0]:
			default:
			}
			if p.last {
				break
			}
		}
	}
	return nil
}

// exportStep reads export steps: stmt selects (exportSelect) the rows of an
// id range given as its first two arguments, then args.
type exportStep struct {
	stmt   string
	args   []any
	ncols  int
	prefix []byte // the date cell and comma of a multi-day export
	// word is q with match=word (asciiLower'd; "" for none): the SQL
	// condition is a substring prefilter, the word is checked here per cell.
	word string
	ids  bool // a last cell with the row's id (Query.RowIDs)
}

// read sends the CSV of ranges r, r+n, r+2n, ... to out, each in steps of
// one statement of at most exportChunkBytes, taking buffers from free.
func (st *exportStep) read(ctx context.Context, conn *sql.Conn, ranges []span, r, n int, free chan []byte, out chan<- exportPiece) {
	nargs := make([]driver.NamedValue, 2+len(st.args))
	for i := range nargs {
		nargs[i].Ordinal = i + 1
		if i >= 2 {
			nargs[i].Value = st.args[i-2]
		}
	}
	dest := make([]driver.Value, 2+st.ncols)
	for k := r; k < len(ranges); k += n {
		start, end := ranges[k].lo, ranges[k].hi
		for {
			var buf []byte
			select {
			case buf = <-free:
			default:
			}
			nargs[0].Value, nargs[1].Value = start, end
			p := exportPiece{last: true}
			var last int64
			// Driver level: database/sql's per-cell conversion costs more than
			// the CSV writing.
			p.err = conn.Raw(func(dc any) error {
				rows, err := dc.(driver.QueryerContext).QueryContext(ctx, st.stmt, nargs)
				if err != nil {
					return err
				}
				defer rows.Close()
				for {
					if len(buf) >= exportChunkBytes {
						p.last = false // the next step starts after the last row read
						return nil
					}
					if err := rows.Next(dest); err == io.EOF {
						return nil
					} else if err != nil {
						return err
					}
					last, _ = dest[0].(int64)
					row, _ := dest[1].(string)
					if st.word != "" && !st.rowHasWord(row, dest[2:]) {
						continue
					}
					buf = append(buf, st.prefix...)
					for i, c := range dest[2:] {
						if i > 0 {
							buf = append(buf, ',')
						}
						k, _ := c.(int64)
						buf = appendCSVField(buf, row[:k])
						row = row[k:]
					}
					if st.ids {
						buf = strconv.AppendInt(append(buf, ','), last, 10)
					}
					buf = append(buf, '\n')
				}
			})
			p.buf = buf
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
			if p.err != nil {
				return
			}
			if p.last {
				break
			}
			start = last
		}
	}
}

// rowHasWord says whether a cell of the concatenated row (cell byte
// lengths in lens) holds st.word as a word.
func (st *exportStep) rowHasWord(row string, lens []driver.Value) bool {
	for _, c := range lens {
		k, _ := c.(int64)
		if hasWord(row[:k], st.word) {
			return true
		}
		row = row[k:]
	}
	return false
}

// exportSelect returns the SELECT expressions of an export step: id, the
// cells of shown concatenated (NULL and a column the file lacks as empty),
// then the byte length of each. One string a row instead of one a cell:
// the driver allocates a Go string per text value, which cost more than the
// rest of the CSV writing. NULL and empty cells are both empty in the CSV.
func exportSelect(shown []string, has map[string]bool) string {
	var cols []string
	var lens strings.Builder
	for _, c := range shown {
		if !has[c] {
			lens.WriteString(", 0")
			continue
		}
		cols = append(cols, quoteIdent(c))
		lens.WriteString(", octet_length(" + quoteIdent(c) + ")")
	}
	// concat() takes at most 127 arguments: concat of concats for wide classes.
	var groups []string
	for len(cols) > 0 {
		n := min(len(cols), 100)
		groups = append(groups, "concat("+strings.Join(cols[:n], ", ")+")")
		cols = cols[n:]
	}
	cat := "''"
	switch {
	case len(groups) == 1:
		cat = groups[0]
	case len(groups) > 1:
		cat = "concat(" + strings.Join(groups, ", ") + ")"
	}
	return class.ColID + ", " + cat + lens.String()
}

// csvByte classes bytes for appendCSVField: 0 plain, csvQuote when the cell
// must be quoted, csvSlow when it takes csvCell's escaping path.
var csvByte = func() (t [256]uint8) {
	for _, c := range []byte{',', '\r', '\n', '"'} {
		t[c] = csvQuote
	}
	t['\\'] = csvSlow
	for c := 0x80; c < 256; c++ {
		t[c] = csvSlow
	}
	return t
}()

const (
	csvQuote = 1
	csvSlow  = 2
)

// appendCSVField appends the stored cell s as the CSV writes it: csvCell,
// then quoted as encoding/csv quotes a field (when it holds a comma, quote,
// CR or LF, starts with a space character, or is `\.`), in one pass over
// plain ASCII cells.
func appendCSVField(b []byte, s string) []byte {
	var class uint8
	for i := 0; i < len(s); i++ {
		class |= csvByte[s[i]]
	}
	if class&csvSlow != 0 {
		return appendCSVQuoted(b, csvCell(s))
	}
	if s == "" {
		return b
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return appendCSVQuoted(b, csvCell(s))
	case ' ', '\n', '\v', '\f':
		class = csvQuote
	}
	if class == 0 {
		return append(b, s...)
	}
	return appendCSVQuotedAlways(b, s)
}

// appendCSVQuoted appends s as encoding/csv writes a field.
func appendCSVQuoted(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	if s != `\.` && !strings.ContainsAny(s, ",\"\r\n") {
		if r, _ := utf8.DecodeRuneInString(s); !unicode.IsSpace(r) {
			return append(b, s...)
		}
	}
	return appendCSVQuotedAlways(b, s)
}

// appendCSVQuotedAlways appends s in double quotes, its quotes doubled.
func appendCSVQuotedAlways(b []byte, s string) []byte {
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// csvCell escapes a cell (csvText) and defuses one a spreadsheet would run as
// a formula.
func csvCell(s string) string {
	s = csvText(s)
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// csvText returns a stored cell as the CSV writes it, always valid UTF-8. A
// cell that is valid UTF-8 and does not hold the two characters `\x` is
// written as stored. Any other cell is escaped: each backslash becomes `\\`
// and each byte that is not part of a valid UTF-8 sequence becomes `\xNN`
// (two uppercase hex digits). So a CSV cell was escaped exactly when it holds
// `\x`, and reading it left to right, `\\` -> `\` and `\xNN` -> byte 0xNN,
// gives back the stored bytes.
func csvText(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, `\x`) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&15])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
