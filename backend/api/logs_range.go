package api

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/store"
)

// maxLast bounds the duration of last.
const maxLast = store.MaxRangeDays * 24 * time.Hour

// timeRange is a range across days from start, end or last, in
// store.DateTimeLayout of the engine's timezone ("" = open); set is false
// when none of them was given.
type timeRange struct {
	start, end string
	set        bool
}

// rangeParams reads start, end and last in the engine's timezone. start and
// end are YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM (end with minutes only means
// up to HH:MM:59); last is <N><s|m|h|d>, at most 400d, ending now. dayParams
// name the single-day parameters of the route, which a range excludes.
func (s *Server) rangeParams(c *fiber.Ctx, ed factory.EngineDays, dayParams ...string) (timeRange, error) {
	start, end, last := c.Query("start"), c.Query("end"), c.Query("last")
	var r timeRange
	switch {
	case last != "":
		r.set = true
		if start != "" || end != "" {
			return r, badRequest("last", "give either last or start and end")
		}
	case start != "":
		r.set = true
	case end != "":
		r.set = true
	}
	if !r.set {
		return r, nil
	}
	named := "start"
	switch {
	case last != "":
		named = "last"
	case start == "":
		named = "end"
	}
	for _, p := range dayParams {
		if c.Query(p) != "" {
			return r, badRequest(named, fmt.Sprintf("give either %s or %s, not both", named, p))
		}
	}
	if last != "" {
		d, ok := parseLast(last)
		if !ok {
			return r, badRequest("last", fmt.Sprintf("last must be a whole number of s, m, h or d (like 15m or 7d), at most %dd", store.MaxRangeDays))
		}
		now := s.d.Now().In(ed.Location)
		r.start, r.end = now.Add(-d).Format(store.DateTimeLayout), now.Format(store.DateTimeLayout)
		return r, nil
	}
	var ok bool
	if start != "" {
		if r.start, ok = parseDateTime(start, ":00"); !ok {
			return r, badRequest("start", "start must be YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM")
		}
	}
	if end != "" {
		if r.end, ok = parseDateTime(end, ":59"); !ok {
			return r, badRequest("end", "end must be YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM")
		}
	}
	if r.start != "" && r.end != "" && r.end < r.start {
		return r, badRequest("end", "end is before start")
	}
	return r, nil
}

// parseDateTime checks a strict YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM and
// returns it with seconds, adding secs ("SS" after a colon) to the short form.
func parseDateTime(v, secs string) (string, bool) {
	const short = "2006-01-02T15:04"
	for _, layout := range []string{store.DateTimeLayout, short} {
		if t, err := time.Parse(layout, v); err == nil && t.Format(layout) == v {
			if layout == short {
				return v + secs, true
			}
			return v, true
		}
	}
	return "", false
}

// parseLast parses <N><unit> with unit s, m, h or d, 1 <= N, at most maxLast.
func parseLast(v string) (time.Duration, bool) {
	if len(v) < 2 || len(v) > 10 {
		return 0, false
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}
	unit, ok := units[v[len(v)-1]]
	num := v[:len(v)-1]
	if !ok || num[0] < '1' || num[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > int64(maxLast/unit) {
		return 0, false
	}
	return time.Duration(n) * unit, true
}
