package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/logsieve/logsieve/backend/class"
)

// MaxRangeDays bounds a range (RangeQuery, HistogramQuery): its last date is
// at most this many days after its first (so a range of the last 400 days
// fits), open ends counted to the first or last day file.
const MaxRangeDays = 400

// DateTimeLayout is the layout of a range's Start and End.
const DateTimeLayout = "2006-01-02T15:04:05"

// rangeDay is one day file of a range with the clock window of the range on
// it.
type rangeDay struct {
	date     string
	from, to string   // HH:MM:SS, inclusive; "" = open
	cols     []string // the file's columns in table order
}

// rangePlan is a range resolved against the day files.
type rangePlan struct {
	days       []rangeDay // ascending
	shown      []string   // shown columns over the days (shownColumns)
	start, end time.Time  // effective bounds (wall clock read as UTC)
}

// validDateTime reports whether s is a strict YYYY-MM-DDTHH:MM:SS.
func validDateTime(s string) bool {
	return len(s) == len(DateTimeLayout) && s[10] == 'T' && ValidDate(s[:10]) == nil && validClock(s[11:])
}

// planRange resolves start..end (DateTimeLayout, inclusive, "" = open) to
// the day files it covers, reading their columns. Invalid bounds and a range
// of more than MaxRangeDays are a *FieldError.
func (ds *Days) planRange(ctx context.Context, start, end string, order []string) (*rangePlan, error) {
	if start != "" && !validDateTime(start) {
		return nil, &FieldError{Field: "start", Reason: fmt.Sprintf("%q is not a YYYY-MM-DDTHH:MM:SS date-time", start)}
	}
	if end != "" && !validDateTime(end) {
		return nil, &FieldError{Field: "end", Reason: fmt.Sprintf("%q is not a YYYY-MM-DDTHH:MM:SS date-time", end)}
	}
	if start != "" && end != "" && end < start {
		return nil, &FieldError{Field: "end", Reason: fmt.Sprintf("end %s is before start %s", end, start)}
	}
	all, err := ds.scanLocked()
	if err != nil {
		return nil, err
	}
	var dates []string
	for _, d := range all {
		if (start == "" || d.date >= start[:10]) && (end == "" || d.date <= end[:10]) {
			dates = append(dates, d.date)
		}
	}
	p := &rangePlan{}
	first, last := start, end
	if first == "" && len(dates) > 0 {
		first = dates[0] + "T00:00:00"
	}
	if last == "" && len(dates) > 0 {
		last = dates[len(dates)-1] + "T23:59:59"
	}
	if first != "" && last != "" {
		p.start, _ = time.Parse(DateTimeLayout, first)
		p.end, _ = time.Parse(DateTimeLayout, last)
		d0, _ := time.Parse(DateLayout, first[:10])
		d1, _ := time.Parse(DateLayout, last[:10])
		if d1.Sub(d0) > MaxRangeDays*24*time.Hour {
			field := "end"
			if start == "" {
				field = "start"
			}
			return nil, &FieldError{Field: field, Reason: fmt.Sprintf("a range covers at most %d days", MaxRangeDays)}
		}
	}
	var tables [][]string
	for _, date := range dates {
		v, err := ds.Open(ctx, date)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		rd := rangeDay{date: date, cols: v.cols}
		v.Release()
		if start != "" && date == start[:10] {
			rd.from = start[11:]
		}
		if end != "" && date == end[:10] {
			rd.to = end[11:]
		}
		p.days = append(p.days, rd)
		tables = append(tables, rd.cols)
	}
	p.shown = shownColumns(order, tables)
	return p, nil
}

// forDay returns q for a day file with columns has: filters on a column the
// file lacks are dropped when they match anything (an empty substring); ok
// is false when one matches nothing there, so the day holds no match.
func forDay(q Query, cols []string) (_ Query, ok bool) {
	has := make(map[string]bool, len(cols)+1)
	has[class.ColID] = true
	for _, c := range cols {
		has[c] = true
	}
	var kept []Filter
	for _, f := range q.Filters {
		switch {
		case has[f.Column]:
			kept = append(kept, f)
		case f.Exact || f.Text != "":
			return q, false
		}
	}
	q.Filters = kept
	return q, true
}
