package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/meta"
)

// serve runs the appliance until SIGINT or SIGTERM, then stops the HTTP server and
// every engine, writing everything accepted.
func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file, e.g. /etc/logsieve/logsieve.toml (env LOGSIEVE_CONFIG; default: none, built-in defaults)")
	dataDir := fs.String("data", "", "data directory (env LOGSIEVE_DATA; default ./data)")
	httpAddr := fs.String("http", "", "HTTP listen address (env LOGSIEVE_HTTP_ADDR; default 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// No config file is read unless one is named: the repository's
	// configs/logsieve.toml documents the installed defaults (data in
	// /var/lib/logsieve), which a plain `logsieve serve` in a checkout must not pick up.
	path := pick(*cfgPath, os.Getenv("LOGSIEVE_CONFIG"))
	fc, err := loadConfig(path)
	if err != nil {
		fmt.Fprintln(stderr, "logsieve:", err)
		return 1
	}
	opts := serveOptions{
		DataDir:  pick(*dataDir, os.Getenv("LOGSIEVE_DATA"), fc.DataDir, defaultDataDir),
		HTTPAddr: pick(*httpAddr, os.Getenv("LOGSIEVE_HTTP_ADDR"), fc.HTTPAddr, defaultHTTPAddr),
		Settings: fc.Settings,
		Demo:     os.Getenv("LOGSIEVE_DEMO") != "0",
		AdminPW:  os.Getenv("LOGSIEVE_ADMIN_PASSWORD"),
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if p := os.Getenv("LOGSIEVE_CPUPROFILE"); p != "" {
		// Profiling aid for `make bench`: a CPU profile of the whole run.
		pf, err := os.Create(p)
		if err == nil && pprof.StartCPUProfile(pf) == nil {
			defer func() { pprof.StopCPUProfile(); pf.Close() }()
		}
	}
	if err := runServer(ctx, opts, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "logsieve:", err)
		return 1
	}
	return 0
}

type serveOptions struct {
	DataDir  string
	HTTPAddr string
	Settings meta.Settings
	Demo     bool
	AdminPW  string
	// Ready, when set, receives the bound HTTP address once serving (tests).
	Ready func(addr string)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
}

// runServer runs until ctx ends.
func runServer(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
		return fmt.Errorf("cannot create data dir %q: %w", o.DataDir, err)
	}
	dbPath := filepath.Join(o.DataDir, "logsieve.db")
	_, statErr := os.Stat(dbPath)
	firstStart := errors.Is(statErr, os.ErrNotExist)
	db, err := meta.Open(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SeedSettings(o.Settings); err != nil {
		return err
	}
	settings, err := db.Settings()
	if err != nil {
		return err
	}
	log := newLogger(stderr, settings.LogLevel)
	slog.SetDefault(log)

	f, err := factory.New(factory.Config{DataDir: o.DataDir, Meta: db, Log: log, RcvBuf: settings.UDPRcvBufBytes,
		DefaultRetentionDays: settings.DefaultRetentionDays,
		MinFreePercent:       settings.MinFreePercent, DiskFullPolicy: settings.DiskFullPolicy})
	if err != nil {
		return err
	}
	if firstStart {
		if err := f.Seed(o.Demo); err != nil {
			return fmt.Errorf("cannot seed first start: %w", err)
		}
	}
	web, err := newWeb(webDeps{ctx: ctx, db: db, factory: f, dataDir: o.DataDir, settings: settings, adminPW: o.AdminPW, log: log, stdout: stdout})
	if err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Boot(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.HTTPAddr)
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("cannot listen on %s: %w", o.HTTPAddr, err)
	}
	log.Info("logsieve serving", "version", version, "http", "http://"+ln.Addr().String(), "data", o.DataDir)
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- web.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-errc:
		log.Error("http server stopped", "err", err)
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = web.Shutdown(sctx)
	if cerr := f.Close(); cerr != nil {
		return cerr
	}
	log.Info("stopped; every accepted log is written")
	return err
}
