package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logsieve/logsieve/backend/class"
)

// RangeQuery selects rows across an engine's day files by local date-time.
type RangeQuery struct {
	// Query gives Q, Match, Filters, Limit, MaxBytes, Cursor (a NextCursor of
	// QueryRange), Desc and Order; Date, From and To are not used.
	Query
	Start, End string // DateTimeLayout in the engine's timezone, inclusive; "" = open
}

// ColDate is the column of a range page that holds the date of a row's day
// file.
const ColDate = "date"

// QueryRange returns one page of the rows of rq's range that match it, day
// by day (days without a file are skipped), newest first with rq.Desc, each
// day read by Query with the range's start and end clipping its first and
// last day. Columns: id, date (YYYY-MM-DD of the day file), then the shown
// columns over the days of the range (shownColumns). The page limits hold
// for the whole page: rq.Limit rows, rq.MaxBytes cell bytes (id and shown
// cells), 2 s of scanning; NextCursor is "<YYYY-MM-DD>:<id>". Invalid input
// (a range over more than MaxRangeDays, a cursor that is not one of this
// range) is a *FieldError.
func (ds *Days) QueryRange(ctx context.Context, rq RangeQuery) (*Page, error) {
	q := rq.Query
	q.Date, q.From, q.To = "", "", ""
	limit, maxBytes, err := pageBounds(q)
	if err != nil {
		return nil, err
	}
	if err := checkRange(q); err != nil {
		return nil, err
	}
	cdate, cid, err := parseRangeCursor(q.Cursor, rq.Start, rq.End)
	if err != nil {
		return nil, err
	}
	plan, err := ds.planRange(ctx, rq.Start, rq.End, q.Order)
	if err != nil {
		return nil, err
	}
	if _, _, err := whereClause(q, plan.shown, nil, nil); err != nil {
		return nil, err
	}
	page := &Page{Columns: append([]string{class.ColID, ColDate}, plan.shown...), Rows: [][]*string{}}
	days := slices.Clone(plan.days)
	if q.Desc {
		slices.Reverse(days)
	}
	deadline := time.Now().Add(scanBudget)
	pageBytes := 0
	setCursor := func(date string, id int64, reason string) {
		c := date + ":" + strconv.FormatInt(id, 10)
		page.NextCursor, page.LimitReason = &c, reason
	}
	for i, rd := range days {
		if cdate != "" && (q.Desc && rd.date > cdate || !q.Desc && rd.date < cdate) {
			continue // before the cursor's day
		}
		dq, ok := forDay(q, rd.cols)
		if !ok || len(rd.cols) == 0 {
			continue
		}
		dq.Date, dq.From, dq.To = rd.date, rd.from, rd.to
		dq.Limit = limit - len(page.Rows)
		dq.MaxBytes = max(1, maxBytes-pageBytes)
		dq.deadline = deadline
		dq.Cursor = ""
		if rd.date == cdate {
			dq.Cursor = strconv.FormatInt(cid, 10)
		}
		sub, err := ds.Query(ctx, dq)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		at := make([]int, len(sub.Columns)) // position of each column of sub in page
		for j, c := range sub.Columns {
			at[j] = slices.Index(page.Columns, c)
		}
		for j, cells := range sub.Rows {
			n := cellBytes(cells)
			if j == 0 && len(page.Rows) > 0 && pageBytes+n > maxBytes {
				// Query returns a first row whatever its size: it starts the next page.
				id, _ := strconv.ParseInt(*cells[0], 10, 64)
				if q.Desc {
					id++
				} else {
					id--
				}
				setCursor(rd.date, id, LimitBytes)
				return page, nil
			}
			pageBytes += n
			date := rd.date
			row := make([]*string, len(page.Columns))
			row[1] = &date
			for k, c := range cells {
				if at[k] >= 0 {
					row[at[k]] = c
				}
			}
			page.Rows = append(page.Rows, row)
			sub.Rows[j] = nil
		}
		if sub.NextCursor != nil {
			id, _ := strconv.ParseInt(*sub.NextCursor, 10, 64)
			setCursor(rd.date, id, sub.LimitReason)
			return page, nil
		}
		if len(page.Rows) >= limit {
			if i+1 < len(days) {
				id, _ := strconv.ParseInt(*page.Rows[len(page.Rows)-1][0], 10, 64)
				setCursor(rd.date, id, LimitRows)
			}
			return page, nil
		}
	}
	return page, nil
}

// parseRangeCursor splits a range cursor "<YYYY-MM-DD>:<id>" ("" = none),
// whose date must lie within start..end (DateTimeLayout, "" = open).
func parseRangeCursor(cursor, start, end string) (date string, id int64, err error) {
	if cursor == "" {
		return "", 0, nil
	}
	bad := &FieldError{Field: "cursor", Reason: fmt.Sprintf("%q is not a cursor of this listing", cursor)}
	date, rest, ok := strings.Cut(cursor, ":")
	if !ok || ValidDate(date) != nil || rest == "" || strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "", 0, bad
	}
	id, err = strconv.ParseInt(rest, 10, 64)
	if err != nil || (start != "" && date < start[:min(len(start), 10)]) || (end != "" && date > end[:min(len(end), 10)]) {
		return "", 0, bad
	}
	return date, id, nil
}
