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
	"strings"
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
	if q.Desc {
		slices.Reverse(dates)
	}
	multi := len(dates) > 1
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
	if _, _, err := whereClause(q, shown, nil); err != nil {
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
		var err error
		buf, err = exportDay(ctx, w, buf, v, q, shown, multi)
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

// exportDay writes the matching rows of one day with the columns shown, one
// bounded step at a time (the rows of the day's first statement: those up to
// its last id then). buf is scratch space, returned for reuse.
func exportDay(ctx context.Context, w io.Writer, buf []byte, v *Day, q Query, shown []string, multi bool) ([]byte, error) {
	where, args, err := whereClause(q, shown, v.has)
	if err != nil {
		return buf, err
	}
	var lo, hi sql.NullInt64
	if err := v.conn.QueryRowContext(ctx, "SELECT (SELECT min(id) FROM logs), (SELECT max(id) FROM logs)").Scan(&lo, &hi); err != nil {
		return buf, fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
	}
	if !lo.Valid {
		return buf, nil
	}
	spans := []span{{lo.Int64, hi.Int64}}
	rangeCond, order := "id < ? AND id >= ?", " ORDER BY id DESC"
	pos := hi.Int64 + 1
	if !q.Desc {
		rangeCond, order = "id > ? AND id <= ?", " ORDER BY id ASC"
		pos = lo.Int64 - 1
	}
	stmt := "SELECT " + exportSelect(shown, v.has) + " FROM logs WHERE " + rangeCond + where + order
	nargs := make([]driver.NamedValue, 2+len(args))
	for i, a := range args {
		nargs[2+i] = driver.NamedValue{Ordinal: 3 + i, Value: a}
	}
	nargs[0].Ordinal, nargs[1].Ordinal = 1, 2
	dest := make([]driver.Value, 2+len(shown))
	var prefix []byte
	if multi {
		prefix = append(appendCSVQuoted(nil, v.Date()), ',')
	}
	for {
		start, end, more := nextChunk(spans, pos, q.Desc)
		if !more {
			return buf, nil
		}
		nargs[0].Value, nargs[1].Value = start, end
		buf = buf[:0]
		last, cut := end, false
		// Driver level: database/sql's per-cell conversion cost about a
		// third of the export's CPU.
		err := v.conn.Raw(func(dc any) error {
			rows, err := dc.(driver.QueryerContext).QueryContext(ctx, stmt, nargs)
			if err != nil {
				return err
			}
			defer rows.Close()
			for {
				if len(buf) >= exportChunkBytes {
					cut = true // the next step starts after the last row written
					return nil
				}
				if err := rows.Next(dest); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
				buf = append(buf, prefix...)
				row, _ := dest[1].(string)
				for i, n := range dest[2:] {
					if i > 0 {
						buf = append(buf, ',')
					}
					k, _ := n.(int64)
					buf = appendCSVField(buf, row[:k])
					row = row[k:]
				}
				buf = append(buf, '\n')
				last, _ = dest[0].(int64)
			}
		})
		if err != nil {
			if ctx.Err() != nil {
				return buf, ctx.Err()
			}
			return buf, fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
		}
		if _, err := w.Write(buf); err != nil {
			return buf, err
		}
		pos = end
		if cut {
			pos = last
		}
	}
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
