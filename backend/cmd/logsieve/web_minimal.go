package main

import (
	"context"
	"io"
	"log/slog"
	"net"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/meta"
)

type webDeps struct {
	ctx      context.Context
	db       *meta.DB
	factory  *factory.Factory
	dataDir  string
	settings meta.Settings
	adminPW  string
	log      *slog.Logger
	stdout   io.Writer
}

type webServer struct{ app *fiber.App }

func (w *webServer) Serve(ln net.Listener) error { return w.app.Listener(ln) }

func (w *webServer) Shutdown(ctx context.Context) error { return w.app.ShutdownWithContext(ctx) }

// newWeb is replaced by the API once it lands.
func newWeb(d webDeps) (*webServer, error) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	return &webServer{app: app}, nil
}
