package api

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/logsieve/logsieve/backend/auth"
)

// Route is one API route and the access it requires.
type Route struct {
	Method string
	Path   string // full path, with :params
	Access auth.Access
}

// Prefix is the path prefix of the JSON API.
const Prefix = "/api/v1"

// Routes lists every route of the API (not /healthz, /readyz, /metrics and the SPA).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// mount registers every route. This table is the one place that says who may call what.
func (s *Server) mount() error {
	a := s.d.Auth
	pub, anyUser, viewer, admin := auth.Public, auth.AnyUser, auth.Viewer, auth.Admin
	loginLimit := limiter.New(limiter.Config{
		Max:          30,
		Expiration:   time.Minute,
		KeyGenerator: a.ClientIP,
		LimitReached: func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderRetryAfter, "60")
			return &Error{Status: http.StatusTooManyRequests, Msg: "too many login attempts; try again later"}
		},
	})
	table := []struct {
		method, path string
		access       auth.Access
		h            []fiber.Handler
	}{
		{"POST", "/auth/login", pub, []fiber.Handler{loginLimit, s.login}},
		{"POST", "/auth/logout", anyUser, h(s.logout)},
		{"GET", "/auth/me", anyUser, h(s.me)},
		{"POST", "/auth/password", anyUser, h(s.changePassword)},

		{"GET", "/users", admin, h(s.listUsers)},
		{"POST", "/users", admin, h(s.createUser)},
		{"PATCH", "/users/:u", admin, h(s.updateUser)},
		{"DELETE", "/users/:u", admin, h(s.deleteUser)},
		{"GET", "/audit", admin, h(s.listAudit)},

		{"GET", "/classes", viewer, h(s.listClasses)},
		{"POST", "/classes", admin, h(s.createClass)},
		{"POST", "/classes/test", viewer, h(s.testClass)},
		{"POST", "/classes/import", admin, h(s.importClasses)},
		{"GET", "/classes/:name", viewer, h(s.getClass)},
		{"PUT", "/classes/:name", admin, h(s.updateClass)},
		{"DELETE", "/classes/:name", admin, h(s.deleteClass)},

		{"GET", "/engines", viewer, h(s.listEngines)},
		{"POST", "/engines", admin, h(s.createEngine)},
		{"GET", "/engines/:name", viewer, h(s.getEngine)},
		{"PATCH", "/engines/:name", admin, h(s.patchEngine)},
		{"DELETE", "/engines/:name", admin, h(s.deleteEngine)},
		{"POST", "/engines/:name/start", admin, h(s.startEngine)},
		{"POST", "/engines/:name/stop", admin, h(s.stopEngine)},
		{"POST", "/engines/:name/restart", admin, h(s.restartEngine)},
		{"GET", "/engines/:name/stats", viewer, h(s.engineStats)},
		{"GET", "/engines/:name/stats/history", viewer, h(s.engineHistory)},
		{"GET", "/engines/:name/days", viewer, h(s.listDays)},
		{"DELETE", "/engines/:name/days/:date", admin, h(s.deleteDay)},
		{"GET", "/engines/:name/logs", viewer, h(s.queryLogs)},
		{"GET", "/engines/:name/histogram", viewer, h(s.histogram)},
		{"GET", "/engines/:name/export.csv", viewer, h(s.exportCSV)},
		{"GET", "/engines/:name/events", viewer, h(s.engineEvents)},
		{"GET", "/engines/:name/connections", viewer, h(s.engineConnections)},
		{"GET", "/engines/:name/clients", viewer, h(s.listClients)},
		{"POST", "/engines/:name/clients", admin, h(s.createClient)},
		{"PUT", "/engines/:name/clients", admin, h(s.replaceClients)},
		{"PATCH", "/engines/:name/clients/:client", admin, h(s.patchClient)},
		{"DELETE", "/engines/:name/clients/:client", admin, h(s.deleteClient)},
		{"GET", "/jobs/:id", viewer, h(s.getJob)},

		{"GET", "/alerts/channels", viewer, h(s.listAlertChannels)},
		{"POST", "/alerts/channels", admin, h(s.createAlertChannel)},
		{"GET", "/alerts/channels/:name", viewer, h(s.getAlertChannel)},
		{"PUT", "/alerts/channels/:name", admin, h(s.updateAlertChannel)},
		{"DELETE", "/alerts/channels/:name", admin, h(s.deleteAlertChannel)},
		{"POST", "/alerts/channels/:name/test", admin, h(s.testAlertChannel)},
		{"GET", "/alerts/channels/:name/deliveries", viewer, h(s.alertDeliveries)},
		{"GET", "/alerts/rules", viewer, h(s.listAlertRules)},
		{"POST", "/alerts/rules", admin, h(s.createAlertRule)},
		{"GET", "/alerts/rules/:name", viewer, h(s.getAlertRule)},
		{"PUT", "/alerts/rules/:name", admin, h(s.updateAlertRule)},
		{"DELETE", "/alerts/rules/:name", admin, h(s.deleteAlertRule)},
		{"GET", "/alerts/firing", viewer, h(s.alertsFiring)},
		{"GET", "/alerts/history", viewer, h(s.alertHistory)},

		{"GET", "/system", viewer, h(s.system)},
		{"GET", "/settings", viewer, h(s.getSettings)},
		{"PUT", "/settings", admin, h(s.putSettings)},
		{"GET", "/tls", viewer, h(s.getTLS)},
		{"GET", "/cluster", viewer, h(s.getCluster)},

		{"GET", "/ws", viewer, []fiber.Handler{s.wsUpgrade, s.wsHandler()}},
	}
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	s.app.Get("/readyz", s.readyz)
	metrics, err := s.metricsHandler()
	if err != nil {
		return err
	}
	s.app.Get("/metrics", metrics)
	v1 := s.app.Group(Prefix)
	// The reads a cluster fans out, and an engine's purge, also take another
	// node's signed request.
	peerRoutes := map[string]bool{"GET /engines/:name/logs": true, "GET /engines/:name/histogram": true, "GET /engines/:name/days": true,
		"GET /engines/:name/export.csv": true, "GET /engines/:name/stats/history": true, "DELETE /engines/:name": true}
	for _, r := range table {
		check := a.Require(r.access)
		if peerRoutes[r.method+" "+r.path] {
			check = s.peerOr(check)
		}
		v1.Add(r.method, r.path, append([]fiber.Handler{check}, r.h...)...)
		s.routes = append(s.routes, Route{Method: r.method, Path: Prefix + r.path, Access: r.access})
	}
	s.app.All("/api", apiNotFound)
	s.app.All("/api/*", apiNotFound)
	spa, err := spaHandler()
	if err != nil {
		return err
	}
	s.app.Use(spa)
	return nil
}

func h(f fiber.Handler) []fiber.Handler { return []fiber.Handler{f} }

func apiNotFound(c *fiber.Ctx) error {
	return &Error{Status: http.StatusNotFound, Msg: "no such API route: " + c.Method() + " " + c.Path()}
}
