package api

import (
	"errors"
	"io/fs"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/store"
)

func (s *Server) listEngines(c *fiber.Ctx) error { return c.JSON(s.d.Factory.Engines()) }

func (s *Server) getEngine(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	e, err := s.d.Factory.Engine(name)
	if err != nil {
		return err
	}
	return c.JSON(e)
}

// createEngine: POST /engines — the body is laid over the default spec.
func (s *Server) createEngine(c *fiber.Ctx) error {
	spec := s.d.Factory.DefaultSpec()
	if err := decode(c, &spec); err != nil {
		return err
	}
	if err := s.d.Factory.CreateEngine(spec); err != nil {
		return err
	}
	s.audit(c, "engine.create", spec.Name)
	e, err := s.d.Factory.Engine(spec.Name)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(e)
}

// patchEngine: PATCH /engines/:name — the body is laid over the current spec.
func (s *Server) patchEngine(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	cur, err := s.d.Factory.Engine(name)
	if err != nil {
		return err
	}
	spec := cur.EngineSpec
	if err := decode(c, &spec); err != nil {
		return err
	}
	if spec.Name != name {
		return badRequest("name", "an engine cannot be renamed")
	}
	if err := s.d.Factory.UpdateEngineFrom(name, cur.EngineSpec, spec); err != nil {
		return err
	}
	s.audit(c, "engine.update", name)
	e, err := s.d.Factory.Engine(name)
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (s *Server) deleteEngine(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	purge, err := boolQuery(c, "purge")
	if err != nil {
		return err
	}
	if c.Locals(peerLocal) != nil { // another node's purge (cluster_purge.go)
		if !purge {
			return badRequest("purge", "a request of another node only purges: purge=true")
		}
		return s.purgeForPeer(c, name)
	}
	if err := s.d.Factory.DeleteEngine(name, purge); err != nil {
		return err
	}
	s.audit(c, "engine.delete", name)
	if purge && s.d.Cluster != nil {
		if err := s.purgeUnacked(name); err != nil {
			return err
		}
		return c.JSON(s.purgeOnPeers(c.UserContext(), name))
	}
	return c.SendStatus(http.StatusNoContent)
}

func (s *Server) engineAction(action string, do func(string) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		name, err := engineParam(c)
		if err != nil {
			return err
		}
		if err := do(name); err != nil {
			return err
		}
		s.audit(c, "engine."+action, name)
		e, err := s.d.Factory.Engine(name)
		if err != nil {
			return err
		}
		return c.JSON(e)
	}
}

func (s *Server) startEngine(c *fiber.Ctx) error {
	return s.engineAction("start", s.d.Factory.Start)(c)
}

func (s *Server) stopEngine(c *fiber.Ctx) error {
	return s.engineAction("stop", s.d.Factory.Stop)(c)
}

func (s *Server) restartEngine(c *fiber.Ctx) error {
	return s.engineAction("restart", s.d.Factory.Restart)(c)
}

func (s *Server) engineStats(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	st, err := s.d.Factory.Stats(name)
	if err != nil {
		return err
	}
	if s.d.Cluster != nil {
		return c.JSON(s.clusterEngineStats(name, st))
	}
	return c.JSON(st)
}

// engineConnections: GET /engines/:name/connections — the open connections of
// a tcp engine, oldest first ([] for udp).
func (s *Server) engineConnections(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	conns, err := s.d.Factory.Connections(name)
	if err != nil {
		return err
	}
	return c.JSON(conns)
}

func (s *Server) engineHistory(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	secs, err := intQuery(c, "seconds", 900, 1, 86400)
	if err != nil {
		return err
	}
	h, err := s.d.Factory.History(name, secs)
	if err != nil {
		return err
	}
	if s.fansOut(c) {
		return s.fanHistory(c, h, secs)
	}
	if h == nil {
		return c.JSON([]struct{}{})
	}
	return c.JSON(h)
}

// dayInfo is one day of GET /engines/:name/days.
type dayInfo struct {
	Date  string `json:"date"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	// To another node of a cluster only (cluster_copies.go): the day's batch
	// copies (copies=1), or its batch ids (batches=<date>).
	Copies  []store.BatchCopy `json:"copies,omitempty"`
	Batches []string          `json:"batches,omitempty"`
}

func (s *Server) listDays(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	ed, err := s.engineDays(name)
	if err != nil {
		return err
	}
	if c.Locals(peerLocal) != nil && c.Query("batches") != "" {
		return s.peerBatches(c, name, ed, c.Query("batches"))
	}
	days, err := ed.Days.List(c.UserContext())
	if err != nil {
		return engineGone(name, err)
	}
	out := make([]dayInfo, 0, len(days))
	for _, d := range days {
		out = append(out, dayInfo{Date: d.Date, Rows: d.Rows, Bytes: d.Bytes})
	}
	if s.d.Cluster != nil && (s.fansOut(c) || c.Query("copies") == "1") {
		self := s.d.Cluster.Stats().Node
		for i := range out {
			if out[i].Copies, err = ed.Days.Copies(c.UserContext(), out[i].Date, self); err != nil {
				return engineGone(name, err)
			}
		}
	}
	if s.fansOut(c) {
		return s.fanDays(c, ed, out)
	}
	return c.JSON(out)
}

func (s *Server) deleteDay(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	date, err := dateParam(c)
	if err != nil {
		return err
	}
	ed, err := s.engineDays(name)
	if err != nil {
		return err
	}
	if err := ed.Days.Delete(date); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return dayNotFound(name, date)
		}
		return err
	}
	s.audit(c, "day.delete", name+"/"+date)
	return c.SendStatus(http.StatusNoContent)
}
