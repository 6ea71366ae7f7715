package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"
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
	if _, _, err := whereClause(q, plan.shown, nil); err != nil {
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
	if _, _, err := whereClause(q, shown, nil); err != nil {
		return err
	}

	cw := csv.NewWriter(w)
	rec := make([]string, 0, len(shown)+1)
	if multi {
		rec = append(rec, "date")
	}
	rec = append(rec, shown...)
	if err := cw.Write(rec); err != nil {
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
		err := exportDay(ctx, cw, v, dq, shown, multi, rec)
		v.Release()
		if err != nil {
			return err
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// exportDay writes the matching rows of one day with the columns shown,
// scanning only the id spans the block summaries leave (candidateSpans).
func exportDay(ctx context.Context, cw *csv.Writer, v *Day, q Query, shown []string, multi bool, rec []string) error {
	where, args, err := whereClause(q, shown, v.has)
	if err != nil {
		return err
	}
	var lo, hi sql.NullInt64
	if err := v.conn.QueryRowContext(ctx, "SELECT (SELECT min(id) FROM logs), (SELECT max(id) FROM logs)").Scan(&lo, &hi); err != nil {
		return fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
	}
	if !lo.Valid {
		return nil
	}
	spans, err := v.candidateSpans(ctx, q, lo.Int64, hi.Int64)
	if err != nil {
		return fmt.Errorf("cannot read the block summaries of day file %q: %w", v.d.path, err)
	}
	order := " ORDER BY id ASC"
	if q.Desc {
		order = " ORDER BY id DESC"
		slices.Reverse(spans)
	}
	stmt := "SELECT " + selectList(shown, v.has, false) + " FROM logs WHERE id BETWEEN ? AND ?" + where + order
	sargs := append([]any{nil, nil}, args...)
	sc := newRowScanner(len(shown))
	word := ""
	if q.Match == MatchWord {
		word = asciiLower(q.Q)
	}
	for _, sp := range spans {
		sargs[0], sargs[1] = sp.lo, sp.hi
		if err := exportRows(ctx, cw, v, stmt, sargs, sc, word, multi, rec); err != nil {
			return err
		}
	}
	return nil
}

// exportRows writes the rows of one scan statement, checking word q
// (asciiLower'd; "" for none) in Go.
func exportRows(ctx context.Context, cw *csv.Writer, v *Day, stmt string, args []any, sc *rowScanner, word string, multi bool, rec []string) error {
	rows, err := v.conn.QueryContext(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("cannot query day file %q: %w", v.d.path, err)
	}
	defer rows.Close()
	dests := sc.dests[1:]
	date := v.Date()
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			return fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
		}
		if word != "" && !valuesHaveWord(sc.vals, word) {
			continue
		}
		rec = rec[:0]
		if multi {
			rec = append(rec, date)
		}
		for _, c := range sc.vals {
			if c.Valid {
				rec = append(rec, csvCell(c.String))
			} else {
				rec = append(rec, "")
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
	}
	return nil
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
