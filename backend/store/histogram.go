package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/logsieve/logsieve/backend/class"
)

// HistogramQuery selects the rows a Histogram counts: one day (Query.Date
// with Query.From and Query.To) or, when Date is empty, the range
// Start..End; Q, Match and Filters as for Query. Limit, Cursor and Desc are
// ignored.
type HistogramQuery struct {
	Query
	Start, End string // DateTimeLayout in the engine's timezone, inclusive; "" = open
}

// Bucket is the number of matching rows of one bucket.
type Bucket struct {
	T string `json:"t"` // bucket start, YYYY-MM-DDTHH:MM in the engine's timezone
	N int64  `json:"n"`
}

// Histogram counts matching rows per bucket of BucketS seconds.
type Histogram struct {
	BucketS int      `json:"bucket_s"`
	Buckets []Bucket `json:"buckets"` // non-empty only, ascending
	Total   int64    `json:"total"`   // sum of Buckets' N
	// Complete is false when the time budget ended first: Total is then a
	// lower bound and Buckets hold what was counted.
	Complete bool `json:"complete"`
}

// histogramBudget is how long one Histogram counts before it returns what it
// has.
var histogramBudget = 3 * time.Second

// bucketSizes are the bucket lengths a Histogram chooses from, in seconds;
// each divides a day, so buckets start at the same clock times every day.
var bucketSizes = []int{60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400}

// maxBuckets bounds the buckets of a range longer than a day.
const maxBuckets = 1500

// bucketSeconds is 60 for a range of at most one day, else the smallest of
// bucketSizes that gives at most maxBuckets buckets over span.
func bucketSeconds(span time.Duration) int {
	secs := int64(span/time.Second) + 1 // both ends inclusive
	if secs <= 86400 {
		return 60
	}
	for _, b := range bucketSizes {
		if (secs+int64(b)-1)/int64(b) <= maxBuckets {
			return b
		}
	}
	return bucketSizes[len(bucketSizes)-1]
}

// Histogram counts the rows matching hq per bucket: the unfiltered counts
// come from each file's minutes table (rows of a partial first or last
// minute are counted by rows), filtered ones from a scan of the candidate
// rows. It stops after 3 s (Complete false), newest day first. Invalid input
// is a *FieldError; days without a file count nothing.
func (ds *Days) Histogram(ctx context.Context, hq HistogramQuery) (*Histogram, error) {
	q, plan, err := ds.histogramPlan(ctx, hq)
	if err != nil {
		return nil, err
	}
	if plan == nil {
		return &Histogram{BucketS: 60, Buckets: []Bucket{}, Complete: true}, nil
	}
	h := &Histogram{BucketS: bucketSeconds(plan.end.Sub(plan.start)), Buckets: []Bucket{}, Complete: true}
	bctx, cancel := context.WithTimeout(ctx, histogramBudget)
	defer cancel()
	sums := map[string]int64{}
	for i := len(plan.days) - 1; i >= 0 && h.Complete; i-- {
		rd := plan.days[i]
		dq, ok := forDay(q, rd.cols)
		if !ok || len(rd.cols) == 0 {
			continue
		}
		dq.From, dq.To = rd.from, rd.to
		counts, complete, err := ds.countDay(ctx, bctx, rd.date, dq, plan.shown)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		h.Complete = complete
		for minute, n := range counts {
			if n > 0 {
				sums[rd.date+"T"+bucketStart(minute, h.BucketS)] += n
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(sums)) {
		h.Buckets = append(h.Buckets, Bucket{T: t, N: sums[t]})
		h.Total += sums[t]
	}
	return h, nil
}

// histogramPlan checks hq and resolves its days: the query without From
// and To (each day's window is in the plan) and the plan; a nil plan for an
// empty window.
func (ds *Days) histogramPlan(ctx context.Context, hq HistogramQuery) (Query, *rangePlan, error) {
	q := hq.Query
	start, end := hq.Start, hq.End
	if q.Date != "" {
		if err := ValidDate(q.Date); err != nil {
			return q, nil, err
		}
		if err := checkRange(q); err != nil {
			return q, nil, err
		}
		start, end = q.Date+"T00:00:00", q.Date+"T23:59:59"
		if q.From != "" {
			start = q.Date + "T" + q.From
		}
		if q.To != "" {
			end = q.Date + "T" + q.To
		}
		if end < start {
			return q, nil, nil
		}
	}
	q.From, q.To = "", ""
	if err := checkRange(q); err != nil {
		return q, nil, err
	}
	plan, err := ds.planRange(ctx, start, end, q.Order)
	if err != nil {
		return q, nil, err
	}
	if _, _, err := whereClause(q, plan.shown, nil, nil); err != nil {
		return q, nil, err
	}
	return q, plan, nil
}

// bucketStart returns the HH:MM starting the bucket of bucketS seconds that
// holds minute (HH:MM).
func bucketStart(minute string, bucketS int) string {
	hh, _ := strconv.Atoi(minute[:2])
	mm, _ := strconv.Atoi(minute[3:5])
	m := (hh*60 + mm) / (bucketS / 60) * (bucketS / 60)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// addMinutes returns the minute (HH:MM) d minutes after m; "24:00" past the
// day's end and "" before its start, so that a range ending there is empty.
func addMinutes(m string, d int) string {
	hh, _ := strconv.Atoi(m[:2])
	mm, _ := strconv.Atoi(m[3:5])
	t := hh*60 + mm + d
	if t < 0 {
		return ""
	}
	return fmt.Sprintf("%02d:%02d", t/60, t%60)
}

// countDay counts the rows of the day of date that match q (q.From..q.To
// on the day) per minute. complete is false when bctx ended first.
func (ds *Days) countDay(ctx, bctx context.Context, date string, q Query, shown []string) (map[string]int64, bool, error) {
	v, err := ds.Open(ctx, date)
	if err != nil {
		return nil, false, err
	}
	defer v.Release()
	counts := map[string]int64{}
	if bctx.Err() != nil {
		return counts, false, nil
	}
	filtered := q.Q != ""
	for _, f := range q.Filters {
		if f.Exact || f.Text != "" {
			filtered = true
		}
	}
	counted := false
	if !filtered {
		if counted, err = hasTable(ctx, v.conn, minutesTable); err != nil {
			return nil, false, fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
		}
	}
	if !counted {
		complete, err := v.scanCounts(ctx, bctx, q, shown, counts)
		return counts, complete, err
	}
	// Whole minutes from the table; a partial first or last minute by rows.
	from, to := q.From, q.To
	if from == "" {
		from = "00:00:00"
	}
	if to == "" {
		to = "23:59:59"
	}
	if to < from {
		return counts, true, nil
	}
	if from[:5] == to[:5] && (from[6:] != "00" || to[6:] != "59") {
		q.From, q.To = from, to
		complete, err := v.scanCounts(ctx, bctx, q, shown, counts)
		return counts, complete, err
	}
	lo, hi := from[:5], to[:5]
	if from[6:] != "00" {
		q.From, q.To = from, from[:5]+":59"
		if complete, err := v.scanCounts(ctx, bctx, q, shown, counts); err != nil || !complete {
			return counts, complete, err
		}
		lo = addMinutes(lo, 1)
	}
	if to[6:] != "59" {
		q.From, q.To = to[:5]+":00", to
		if complete, err := v.scanCounts(ctx, bctx, q, shown, counts); err != nil || !complete {
			return counts, complete, err
		}
		hi = addMinutes(hi, -1)
	}
	rows, err := v.conn.QueryContext(bctx, "SELECT minute, n FROM "+minutesTable+" WHERE minute >= ? AND minute <= ? AND n > 0", lo, hi)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		if bctx.Err() != nil {
			return counts, false, nil
		}
		return nil, false, fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		var n int64
		if err := rows.Scan(&m, &n); err != nil {
			return nil, false, fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
		}
		if len(m) == 5 {
			counts[m] += n
		}
	}
	if err := rows.Err(); err != nil {
		if bctx.Err() != nil && ctx.Err() == nil {
			return counts, false, nil
		}
		return nil, false, fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
	}
	return counts, true, nil
}

// scanCounts adds to counts the rows of v matching q (q.From..q.To) per
// minute, scanning the candidate id spans newest first in steps of
// scanChunk ids. complete is false when bctx ended first: counts then hold
// the steps that finished.
func (v *Day) scanCounts(ctx, bctx context.Context, q Query, shown []string, counts map[string]int64) (complete bool, err error) {
	fail := func(err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if bctx.Err() != nil {
			return false, nil
		}
		return false, fmt.Errorf("cannot read day file %q: %w", v.d.path, err)
	}
	spans, rows, err := v.scanSpans(ctx, &q)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if bctx.Err() != nil {
			return false, nil
		}
		return false, err
	}
	if !rows {
		return true, nil
	}
	where, args, err := whereClause(q, shown, v.has, v.facts(ctx, q))
	if err != nil {
		return false, err
	}
	stmt := "SELECT substr(" + class.ColTime + ", 1, 5), count(*) FROM logs WHERE id >= ? AND id <= ? AND " +
		class.ColTime + " IS NOT NULL" + where + " GROUP BY 1"
	// With match=word the SQL condition is a substring prefilter: the rows
	// it passes are read and the word checked in Go (as Query does).
	word := ""
	var vals []sql.NullString
	var dests []any
	if q.Match == MatchWord && q.Q != "" {
		word = asciiLower(q.Q)
		stmt = "SELECT substr(" + class.ColTime + ", 1, 5), " + selectList(shown, v.has, false) +
			" FROM logs WHERE id >= ? AND id <= ? AND " + class.ColTime + " IS NOT NULL" + where
		vals = make([]sql.NullString, len(shown))
		dests = make([]any, 1+len(shown))
		for i := range vals {
			dests[i+1] = &vals[i]
		}
	}
	qargs := make([]any, 2, 2+len(args))
	qargs = append(qargs, args...)
	step := map[string]int64{}
	pos := int64(math.MaxInt64) // past every span: nextChunk starts at the newest id
	for {
		start, end, more := nextChunk(spans, pos, true)
		if !more {
			return true, nil
		}
		if bctx.Err() != nil {
			return false, nil
		}
		qargs[0], qargs[1] = end, start-1
		rows, err := v.conn.QueryContext(bctx, stmt, qargs...)
		if err != nil {
			return fail(err)
		}
		clear(step)
		for rows.Next() {
			var m string
			var n int64
			if word != "" {
				dests[0] = &m
				if err := rows.Scan(dests...); err != nil {
					rows.Close()
					return fail(err)
				}
				if valuesHaveWord(vals, word) {
					step[m]++
				}
				continue
			}
			if err := rows.Scan(&m, &n); err != nil {
				rows.Close()
				return fail(err)
			}
			step[m] += n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fail(err)
		}
		for m, n := range step {
			counts[m] += n
		}
		pos = end
	}
}
