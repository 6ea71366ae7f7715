package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/logsieve/logsieve/backend/cluster"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/internal/sdnotify"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// Signals that stop serve, each after writing every accepted log. SIGQUIT also writes
// every goroutine's stack to stderr first (what Go does by default, without the flush).
// SIGHUP reloads the settings and never stops serve.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT}

// serve runs the appliance until a stop signal, then stops the HTTP server and every
// engine, writing everything accepted. SIGHUP applies the settings stored in the
// metadata DB again (log level included).
func serve(args []string, stdout, stderr io.Writer) int {
	// Catch the signals first: until then SIGHUP would end the process unflushed.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, append(stopSignals, syscall.SIGHUP)...)
	defer signal.Stop(sigs)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file, e.g. /etc/logsieve/logsieve.toml (env LOGSIEVE_CONFIG; default: none, built-in defaults)")
	dataDir := fs.String("data", "", "data directory (env LOGSIEVE_DATA; default ./data)")
	httpAddr := fs.String("http", "", "HTTP listen address (env LOGSIEVE_HTTP_ADDR; default 127.0.0.1:8080)")
	logFormat := fs.String("log-format", "", `service log format, "text" or "json" (env LOGSIEVE_LOG_FORMAT; default text)`)
	natsURLs := fs.String("nats", "", "cluster: NATS URLs, comma-separated, or embedded (env LOGSIEVE_NATS; default: none, a single box)")
	node := fs.String("node", "", "cluster: this node's name (env LOGSIEVE_NODE; default the host name)")
	role := fs.String("role", "", "cluster: all, ingest or store (env LOGSIEVE_ROLE; default all)")
	advertise := fs.String("advertise", "", "cluster: the URL where the other nodes reach this node's HTTP API (env LOGSIEVE_ADVERTISE; default http://<http address> when that is not a wildcard)")
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
		DataDir:   pick(*dataDir, os.Getenv("LOGSIEVE_DATA"), fc.DataDir, defaultDataDir),
		HTTPAddr:  pick(*httpAddr, os.Getenv("LOGSIEVE_HTTP_ADDR"), fc.HTTPAddr, defaultHTTPAddr),
		LogFormat: pick(*logFormat, os.Getenv("LOGSIEVE_LOG_FORMAT"), fc.LogFormat, defaultLogFormat),
		Settings:  fc.Settings,
		Demo:      os.Getenv("LOGSIEVE_DEMO") != "0",
		AdminPW:   os.Getenv("LOGSIEVE_ADMIN_PASSWORD"),
		Signals:   sigs,
		Cluster: cluster.Config{
			NATS:   pick(*natsURLs, os.Getenv("LOGSIEVE_NATS"), fc.NATS),
			Node:   pick(*node, os.Getenv("LOGSIEVE_NODE"), fc.Node),
			Role:   pick(*role, os.Getenv("LOGSIEVE_ROLE"), fc.Role),
			Secret: pick(os.Getenv("LOGSIEVE_CLUSTER_SECRET"), fc.ClusterSecret),
		},
		Advertise: pick(*advertise, os.Getenv("LOGSIEVE_ADVERTISE"), fc.Advertise),
	}
	if err := checkLogFormat(opts.LogFormat); err != nil {
		fmt.Fprintln(stderr, "logsieve:", err)
		return 2
	}
	if !opts.Cluster.Enabled() && (opts.Cluster.Node != "" || opts.Cluster.Role != "" || opts.Advertise != "") {
		fmt.Fprintln(stderr, "logsieve: --node, --role and --advertise need --nats (env LOGSIEVE_NATS)")
		return 2
	}
	if err := checkAdvertise(opts.Advertise); err != nil {
		fmt.Fprintln(stderr, "logsieve:", err)
		return 2
	}
	if p := os.Getenv("LOGSIEVE_CPUPROFILE"); p != "" {
		// Profiling aid for `make bench`: a CPU profile of the whole run.
		pf, err := os.Create(p)
		if err == nil && pprof.StartCPUProfile(pf) == nil {
			defer func() { pprof.StopCPUProfile(); pf.Close() }()
		}
	}
	if err := runServer(context.Background(), opts, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "logsieve:", err)
		return 1
	}
	return 0
}

type serveOptions struct {
	DataDir  string
	HTTPAddr string
	// LogFormat is the service log's format: "text" (also when empty) or "json".
	LogFormat string
	Settings  meta.Settings
	Demo      bool
	AdminPW   string
	// Ready, when set, receives the bound HTTP address once serving (tests).
	Ready func(addr string)
	// Signals, when set, delivers stopSignals (stop) and SIGHUP (reload).
	Signals <-chan os.Signal
	// Cluster is the NATS setting; without NATS the node is a single box.
	Cluster cluster.Config
	// Advertise is the URL of this node's API for the other nodes; empty:
	// http://<bound address> unless HTTPAddr is a wildcard.
	Advertise string
}

// httpStopTimeout bounds the first part of the stop: websocket clients closed and HTTP
// requests in flight finished. The engines are closed (every accepted log written) after
// it, whatever the HTTP clients do.
const httpStopTimeout = 3 * time.Second

// newLogger returns the server's logger, in format ("json", else text), and its level,
// which PUT /settings and SIGHUP change while it runs.
func newLogger(w io.Writer, level, format string) (*slog.Logger, *slog.LevelVar) {
	lv := new(slog.LevelVar)
	lv.Set(parseLevel(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), lv
	}
	return slog.New(slog.NewTextHandler(w, opts)), lv
}

// checkLogFormat accepts the values of log_format.
func checkLogFormat(f string) error {
	switch f {
	case "", "text", "json":
		return nil
	}
	return fmt.Errorf(`log_format %q: must be "text" or "json"`, f)
}

// parseLevel maps a log_level setting to its slog level (info when unknown).
func parseLevel(level string) slog.Level {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return slog.LevelInfo
	}
	return lv
}

// runServer runs until ctx ends, a stop signal arrives on o.Signals or the HTTP server
// fails; a SIGHUP on o.Signals reloads the settings.
func runServer(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	ctx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
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
	log, level := newLogger(stderr, settings.LogLevel, o.LogFormat)
	slog.SetDefault(log)

	var node *cluster.Node
	var metaSync *cluster.MetaSync
	if o.Cluster.Enabled() {
		if node, err = startCluster(ctx, o, log); err != nil {
			return err
		}
		defer node.Close()
		// The cluster's metadata replaces this node's (the first node of a
		// cluster seeds it); from here on every change goes through NATS.
		if metaSync, err = node.OpenMeta(ctx, db); err != nil {
			return err
		}
		defer metaSync.Close()
		if settings, err = db.Settings(); err != nil {
			return err
		}
		level.Set(parseLevel(settings.LogLevel))
	}
	fcfg := factory.Config{DataDir: o.DataDir, Meta: db, Log: log, RcvBuf: settings.UDPRcvBufBytes,
		SpoolMaxBytes:        settings.SpoolMaxBytes,
		DefaultRetentionDays: settings.DefaultRetentionDays,
		MinFreePercent:       settings.MinFreePercent, DiskFullPolicy: settings.DiskFullPolicy,
		TLSCertFile: settings.TLSCertFile, TLSKeyFile: settings.TLSKeyFile}
	if node != nil {
		fcfg.NoListeners = !node.Config().Ingests()
		// Ingest nodes on one box share each engine's port (SO_REUSEPORT).
		// The queue holds what arrives while JetStream cannot ack (a stream
		// leader election after a NATS server died takes seconds): 8x the
		// single box's, as there is no spool on an ingest node.
		fcfg.EngineTuning = func(c *engine.Config) {
			events := c.Events
			c.Sink = node.SinkFor(c.Name, c.SpoolOwner, func(path string, bytes int64) {
				if events != nil {
					events.Add(engine.LevelWarning, "unacked spool: %d bytes left by an earlier engine of this name moved to %s, not published", bytes, path)
				}
			})
			c.ReusePort = true
			c.QueueLogs, c.QueueBytes = clusterQueueLogs, clusterQueueBytes
		}
	}
	f, err := factory.New(fcfg)
	if err != nil {
		return err
	}
	if node != nil && node.Config().Ingests() {
		node.SetEngineStats(func() any { return engineCounters(f) })
	}
	if node != nil && node.Config().Stores() {
		if err := node.StartStore(ctx, clusterDays(f)); err != nil {
			_ = f.Close()
			return err
		}
	}
	if firstStart && (metaSync == nil || metaSync.Seeded()) {
		if err := f.Seed(o.Demo); err != nil {
			return fmt.Errorf("cannot seed first start: %w", err)
		}
	}
	wd := webDeps{db: db, factory: f, dataDir: o.DataDir, adminPW: o.AdminPW, log: log, level: level, stdout: stdout}
	if node != nil {
		wd.cluster, wd.tokenSecret = node, node.TokenSecret()
	}
	web, err := newWeb(wd)
	if err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Boot(ctx); err != nil {
		return err
	}
	if metaSync != nil {
		metaSync.Run(func(ch meta.Change) { applyClusterChange(ch, f, web, log) })
	}
	ln, err := net.Listen("tcp", o.HTTPAddr)
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("cannot listen on %s: %w", o.HTTPAddr, err)
	}
	log.Info("logsieve serving", "version", version, "http", "http://"+ln.Addr().String(), "data", o.DataDir)
	if node != nil {
		if addr := advertiseURL(o.Advertise, o.HTTPAddr, ln.Addr()); addr != "" {
			node.SetAddr(addr)
			log.Info("cluster: the other nodes query this one at its advertised address", "advertise", addr)
		} else {
			log.Warn("cluster: the HTTP address is a wildcard and no advertise URL is set: the other nodes cannot query this node's day files (set --advertise)", "http", o.HTTPAddr)
		}
	}
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	// Under systemd (Type=notify): started once the engines run and the port is bound;
	// WATCHDOG=1 from the main loop below, so a hung process is restarted (WatchdogSec=).
	notify(log, sdnotify.Ready)
	errc := make(chan error, 1)
	go func() { errc <- web.Serve(ln) }()
	var beat <-chan time.Time
	if d := sdnotify.WatchdogInterval(); d > 0 {
		tick := time.NewTicker(d)
		defer tick.Stop()
		beat = tick.C
	}
	err = waitForStop(ctx, o.Signals, errc, beat, web, log, stderr)
	writeHeapProfile(os.Getenv("LOGSIEVE_HEAPPROFILE"), log)
	notify(log, sdnotify.Stopping)
	cancelRun()
	// First the HTTP side, bounded: websockets closed, requests in flight given until
	// the deadline. Then the engines: every accepted log is written.
	start := time.Now()
	sctx, cancel := context.WithTimeout(context.Background(), httpStopTimeout)
	defer cancel()
	if serr := web.Shutdown(sctx); serr != nil {
		log.Warn("HTTP shutdown cut short; writing the accepted logs anyway", "err", serr)
	}
	if metaSync != nil {
		metaSync.Close() // no change from another node applied while the engines stop
	}
	if node != nil {
		// The batch being stored is committed and acked; the rest waits in
		// the stream. Publishes still waiting for NATS get 10 s more, then
		// count as lost (write errors).
		if serr := node.StopStore(); serr != nil {
			log.Error("cannot close the day files written from the stream", "err", serr)
		}
		t := time.AfterFunc(10*time.Second, node.StopRetrying)
		defer t.Stop()
	}
	if cerr := f.Close(); cerr != nil {
		return cerr
	}
	if node != nil {
		if cerr := node.Close(); cerr != nil {
			return cerr
		}
	}
	log.Info("stopped; every accepted log is written", "took", time.Since(start).Round(time.Millisecond))
	return err
}

// writeHeapProfile writes the heap profile (after a GC, engines still
// running) to path: the profiling aid of `bench --heapprofile`. "" does nothing.
func writeHeapProfile(path string, log *slog.Logger) {
	if path == "" {
		return
	}
	runtime.GC()
	pf, err := os.Create(path)
	if err == nil {
		err = errors.Join(pprof.Lookup("heap").WriteTo(pf, 0), pf.Close())
	}
	if err != nil {
		log.Warn("cannot write the heap profile", "path", path, "err", err)
	}
}

// notify tells systemd the state, when it runs us as a Type=notify service.
func notify(log *slog.Logger, state string) {
	if _, err := sdnotify.Notify(state); err != nil {
		log.Warn("cannot notify systemd", "state", state, "err", err)
	}
}

// waitForStop returns when ctx ends, a stop signal arrives (nil) or the HTTP server
// fails (its error). A SIGHUP reloads the settings meanwhile; each tick of beat sends
// systemd's watchdog keep-alive.
func waitForStop(ctx context.Context, sigs <-chan os.Signal, errc <-chan error, beat <-chan time.Time, web *webServer, log *slog.Logger, stderr io.Writer) error {
	for {
		select {
		case <-beat:
			notify(log, sdnotify.Watchdog)
		case <-ctx.Done():
			log.Info("shutting down")
			return nil
		case err := <-errc:
			log.Error("http server stopped; shutting down", "err", err)
			return err
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				st, err := web.Reload()
				if err != nil {
					log.Error("SIGHUP: cannot reload the settings; keeping the current ones", "err", err)
					continue
				}
				log.Info("SIGHUP: settings reloaded from the metadata DB", "log_level", st.LogLevel,
					"token_ttl", st.TokenTTL, "default_retention_days", st.DefaultRetentionDays,
					"min_free_percent", st.MinFreePercent, "disk_full_policy", st.DiskFullPolicy)
				continue
			}
			log.Info("shutting down", "signal", sig.String())
			if sig == syscall.SIGQUIT {
				_ = pprof.Lookup("goroutine").WriteTo(stderr, 2)
			}
			return nil
		}
	}
}

// The engine queue of a cluster node (engine.Config.QueueLogs, QueueBytes).
const (
	clusterQueueLogs  = 1 << 20
	clusterQueueBytes = 512 << 20
)

// applyClusterChange puts a metadata record changed on another node into
// effect here (the metadata DB already holds it). Users need nothing: each
// request reads them from the DB.
func applyClusterChange(ch meta.Change, f *factory.Factory, web *webServer, log *slog.Logger) {
	var err error
	switch ch.Kind {
	case meta.KindSettings:
		_, err = web.Reload()
	case meta.KindUser:
	default:
		err = f.Apply(ch)
	}
	if err != nil {
		log.Error("cluster: cannot apply a metadata change from another node", "kind", ch.Kind, "name", ch.Name, "err", err)
	}
}

// startCluster connects the node to NATS, retrying until it can or a stop
// signal (or ctx) ends the wait. A SIGHUP meanwhile is ignored.
func startCluster(ctx context.Context, o serveOptions, log *slog.Logger) (*cluster.Node, error) {
	cfg := o.Cluster
	cfg.DataDir, cfg.Log = o.DataDir, log
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := make(chan struct{})
	defer close(started)
	if o.Signals != nil {
		go func() {
			for {
				select {
				case <-started:
					return
				case sig := <-o.Signals:
					if sig != syscall.SIGHUP {
						log.Info("stopped while connecting to NATS", "signal", sig.String())
						cancel()
						return
					}
				}
			}
		}()
	}
	return cluster.Start(ctx, cfg)
}

// clusterDays gives the cluster's store side the day files of the engines
// defined on this node. While the disk guard pauses storing, it answers an
// error: the batches wait in the stream instead of being refused.
func clusterDays(f *factory.Factory) cluster.DaysFunc {
	return func(name string) (*store.Days, *time.Location, error) {
		if d := f.DiskState(); d.Paused {
			return nil, nil, fmt.Errorf("storing is paused by the disk guard: %s", d.Reason)
		}
		ed, err := f.Days(name)
		if err != nil {
			return nil, nil, err
		}
		return ed.Days, ed.Location, nil
	}
}

// engineCounters are the counters of every engine of f by name, as the
// registry carries them for GET /engines/:name/stats on the other nodes.
func engineCounters(f *factory.Factory) any {
	out := map[string]engine.Stats{}
	for _, e := range f.Engines() {
		if st, err := f.Stats(e.Name); err == nil {
			st.Workers = nil
			out[e.Name] = st
		}
	}
	return out
}

// checkAdvertise accepts an empty advertise URL or an http(s) URL with a host.
func checkAdvertise(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("invalid advertise: %q: give the http:// or https:// URL of this node's API, e.g. http://10.0.0.1:8080", v)
	}
	return nil
}

// advertiseURL is this node's API URL for the other nodes: advertise when
// set, else http://<bound address> unless httpAddr is a wildcard ("" then).
func advertiseURL(advertise, httpAddr string, bound net.Addr) string {
	if advertise != "" {
		return strings.TrimSuffix(advertise, "/")
	}
	host, _, err := net.SplitHostPort(httpAddr)
	if err != nil || host == "" {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return ""
	}
	_, port, _ := net.SplitHostPort(bound.String())
	return "http://" + net.JoinHostPort(host, port)
}
