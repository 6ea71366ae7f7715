package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/store"
)

// histogram: GET /engines/:name/histogram — matching rows per bucket of one day (date,
// from, to) or of a range (start, end or last), with q and filter as for /logs.
func (s *Server) histogram(c *fiber.Ctx) error {
	name, ed, q, err := s.engineQuery(c)
	if err != nil {
		return err
	}
	tr, err := s.rangeParams(c, ed, "date", "from", "to")
	if err != nil {
		return err
	}
	hq := store.HistogramQuery{Query: q}
	if tr.set {
		hq.Start, hq.End = tr.start, tr.end
	} else if hq.Date = c.Query("date"); hq.Date == "" {
		hq.Date = s.today(ed)
	} else if err := store.ValidDate(hq.Date); err != nil {
		return badRequest("date", "the date must be YYYY-MM-DD")
	}
	if s.fansOut(c) {
		return s.fanHistogram(c, name, ed, hq)
	}
	h, err := ed.Days.Histogram(c.UserContext(), hq)
	if err != nil {
		return engineGone(name, err)
	}
	if s.d.Cluster != nil && c.Locals(peerLocal) != nil && c.Query("copies") == "1" {
		ph := peerHistogram{Histogram: *h}
		if ph.Copies, err = ed.Days.CopyCounts(c.UserContext(), hq, s.d.Cluster.Stats().Node); err != nil {
			return engineGone(name, err)
		}
		return c.JSON(ph)
	}
	return c.JSON(h)
}
