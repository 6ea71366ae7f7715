package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/factory"
)

// readinessSource is what /readyz asks the factory (*factory.Factory).
type readinessSource interface {
	Engines() []factory.EngineInfo
	DiskState() factory.DiskState
}

// pinger is what /readyz asks the metadata DB (*meta.DB).
type pinger interface {
	Ping(ctx context.Context) error
}

// Readiness is the body of GET /readyz.
type Readiness struct {
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons"`
}

// readyTimeout bounds the metadata DB check of one /readyz call.
const readyTimeout = 2 * time.Second

// readiness checks what must hold for the service to take logs and answer the API: the
// metadata DB answers, every enabled engine runs, and the data disk is not past the disk
// guard (free space under min_free_percent, or the engines paused by the guard).
func readiness(ctx context.Context, db pinger, f readinessSource) Readiness {
	r := Readiness{Ready: true, Reasons: []string{}}
	fail := func(format string, a ...any) {
		r.Ready = false
		r.Reasons = append(r.Reasons, fmt.Sprintf(format, a...))
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := db.Ping(ctx); err != nil {
		fail("%v", err)
	}
	for _, e := range f.Engines() {
		if !e.Enabled || e.State == engine.StateRunning || e.State == engine.StatePaused {
			continue // paused is the disk guard's, reported below
		}
		if e.Error != "" {
			fail("engine %q is enabled but %s: %s", e.Name, e.State, e.Error)
		} else {
			fail("engine %q is enabled but %s", e.Name, e.State)
		}
	}
	d := f.DiskState()
	switch {
	case d.Paused:
		fail("disk guard paused the engines: %s", d.Reason)
	case d.Checked && d.MinFreePercent > 0 && d.FreePercent < float64(d.MinFreePercent):
		fail("data disk %.1f%% free, under min_free_percent %d", d.FreePercent, d.MinFreePercent)
	}
	return r
}

// readyz serves GET /readyz: 200 with {"ready":true,"reasons":[]} when ready, else 503
// with every reason. No auth, like /healthz.
func (s *Server) readyz(c *fiber.Ctx) error {
	r := readiness(c.UserContext(), s.d.Meta, s.d.Factory)
	c.Set(fiber.HeaderCacheControl, noStore)
	if !r.Ready {
		c.Status(http.StatusServiceUnavailable)
	}
	return c.JSON(r)
}
