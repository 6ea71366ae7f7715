// Package api is logsieve's HTTP interface: the JSON API under /api/v1, the websocket that
// pushes stats and live rows, /healthz, /metrics, and the embedded SPA for every other path.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/meta"
)

// CSP is the Content-Security-Policy of every response (docs/reliability.md).
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"

// noStore is the Cache-Control of every /api answer (errors too): answers hold logs,
// users and tokens that no browser or proxy cache should keep.
const noStore = "no-store"

// BodyLimit is the largest request body accepted (413 above).
const BodyLimit = 1 << 20

// Deps are the parts the API serves.
type Deps struct {
	Meta *meta.DB
	// Factory is the one engine factory: it has a single implementer, so the API
	// uses it as it is; parts that need a narrow view declare their own
	// interface (engineCollector's engineStatsSource).
	Factory *factory.Factory
	Auth    *auth.Service
	DataDir string
	Version string
	Log     *slog.Logger
	Now     func() time.Time // clock of /system and the websocket; time.Now when nil
	// OnSettings, when set, is called after PUT /settings stored new settings (the API
	// itself applies token_ttl and trusted_proxies to Auth).
	OnSettings func(meta.Settings)
	// StatsInterval is the websocket push period; one second when zero.
	StatsInterval time.Duration
	// Cluster is this node's cluster part (GET /cluster, the query fan-out);
	// nil on a single box.
	Cluster ClusterNode
	// PeerTimeout bounds each node's part of a fan-out; 10 s when zero.
	PeerTimeout time.Duration
}

// Server is the HTTP application and its websocket hub.
type Server struct {
	d       Deps
	app     *fiber.App
	hub     *hub
	started time.Time
	routes  []Route
	sys     *systemSampler
	// peerClient sends the fan-out's requests to the other nodes.
	peerClient *http.Client
	// peerSnap is the last read of the node registry for engine stats
	// (peer_snapshot.go).
	peerSnap peerSnapshot
}

// New builds the application. Serve it with Listener (or App().Listen) and stop it with
// Close.
func New(d Deps) (*Server, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.StatsInterval <= 0 {
		d.StatsInterval = time.Second
	}
	s := &Server{d: d, started: d.Now(), peerClient: &http.Client{}}
	s.sys = newSystemSampler(d.DataDir)
	s.app = fiber.New(fiber.Config{
		AppName:               "logsieve",
		BodyLimit:             BodyLimit,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		CaseSensitive:         true,
		// Params and query values are copied: the factory keeps names (class map
		// keys, class names) beyond the request, and fasthttp reuses its buffers.
		Immutable:      true,
		ReadTimeout:    60 * time.Second,
		IdleTimeout:    120 * time.Second,
		ReadBufferSize: 16 << 10,
	})
	s.app.Use(recover.New())
	s.app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy:     CSP,
		CrossOriginEmbedderPolicy: "unsafe-none",
		XFrameOptions:             "DENY", // as frame-ancestors 'none' says
	}))
	s.app.Use("/api", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, noStore)
		return c.Next()
	})
	s.app.Use(compress.New(compress.Config{Next: func(c *fiber.Ctx) bool {
		p := c.Path()
		return strings.HasSuffix(p, "/export.csv") || strings.HasSuffix(p, "/ws") || p == "/metrics"
	}}))
	if err := s.mount(); err != nil {
		return nil, err
	}
	st, err := d.Meta.Settings()
	if err != nil {
		return nil, err
	}
	s.applySettings(st)
	s.hub = newHub(s)
	return s, nil
}

// App returns the Fiber application (for tests and for wiring).
func (s *Server) App() *fiber.App { return s.app }

// Listener serves on ln until Close.
func (s *Server) Listener(ln net.Listener) error { return s.app.Listener(ln) }

// Close sends every websocket client the close code 1001, stops the stats pusher and
// shuts the HTTP server down, waiting up to ctx for websocket handlers and requests in
// flight. It returns by ctx's deadline whatever the clients do.
func (s *Server) Close(ctx context.Context) error {
	werr := s.hub.close(ctx)
	return errors.Join(werr, s.app.ShutdownWithContext(ctx))
}
