package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/logsieve/logsieve/backend/api"
	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/meta"
)

// webDeps is what newWeb needs from serve.
type webDeps struct {
	db      *meta.DB
	factory *factory.Factory
	dataDir string
	adminPW string
	log     *slog.Logger
	level   *slog.LevelVar // the level of log, set from the log_level setting
	stdout  io.Writer
	cluster api.ClusterNode // nil on a single box
	// tokenSecret signs the API tokens in a cluster (the same on every
	// node); nil: <data>/jwt.secret.
	tokenSecret []byte
}

// webServer is the HTTP side of serve: the API, websocket, metrics and SPA.
type webServer struct {
	srv *api.Server
	db  *meta.DB
}

// Reload applies the settings stored in the metadata DB again, as PUT /settings does
// (SIGHUP).
func (w *webServer) Reload() (meta.Settings, error) {
	st, err := w.db.Settings()
	if err != nil {
		return meta.Settings{}, fmt.Errorf("cannot read the settings: %w", err)
	}
	w.srv.ApplySettings(st)
	return st, nil
}

func (w *webServer) Serve(ln net.Listener) error { return w.srv.Listener(ln) }

func (w *webServer) Shutdown(ctx context.Context) error { return w.srv.Close(ctx) }

// newWeb seeds the first admin (when there is no user yet) and builds the API.
func newWeb(d webDeps) (*webServer, error) {
	created, err := auth.EnsureAdmin(d.db, d.dataDir, d.adminPW, d.log)
	if err != nil {
		return nil, fmt.Errorf("cannot create the admin user: %w", err)
	}
	if created && d.adminPW == "" {
		fmt.Fprintf(d.stdout, "logsieve: initial admin password written to %s/initial-admin-password\n", d.dataDir)
	}
	acfg := auth.Config{Meta: d.db, DataDir: d.dataDir, Log: d.log}
	if d.tokenSecret != nil {
		acfg.Secret = d.tokenSecret
	}
	as, err := auth.New(acfg)
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Deps{Meta: d.db, Factory: d.factory, Auth: as, DataDir: d.dataDir,
		Version: version, Log: d.log, Cluster: d.cluster, OnSettings: func(s meta.Settings) {
			if lv := parseLevel(s.LogLevel); lv != d.level.Level() {
				d.level.Set(lv)
				d.log.Info("log level changed", "log_level", s.LogLevel)
			}
			if err := d.factory.ApplySettings(s); err != nil {
				d.log.Error("keeping the TLS certificate in force", "err", err)
			}
		}})
	if err != nil {
		return nil, err
	}
	return &webServer{srv: srv, db: d.db}, nil
}
