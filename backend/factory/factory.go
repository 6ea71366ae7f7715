// Package factory owns the engines: it creates, starts, stops, restarts and
// deletes them, persists their definitions and the classes in the metadata DB,
// restarts the enabled ones on boot and keeps one engine's failure from touching
// the others.
package factory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/logsieve/logsieve/backend/alert"
	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/internal/fanout"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/spool"
	"github.com/logsieve/logsieve/backend/store"
	"github.com/logsieve/logsieve/backend/tlscert"
)

// Config is what the factory needs.
type Config struct {
	DataDir string
	Meta    *meta.DB
	Log     *slog.Logger
	Now     func() time.Time // clock handed to engines; default time.Now
	RcvBuf  int              // SO_RCVBUF of each engine's socket
	HostTZ  string           // default engine timezone; default HostTimezone()
	// SpoolMaxBytes bounds each udp engine's overflow spool in
	// <data>/spool/<engine> (setting spool_max_bytes); 0: no spool, a full
	// queue drops.
	SpoolMaxBytes int64
	// DefaultRetentionDays is the retention of a new engine when none is given.
	DefaultRetentionDays int
	// NoListeners keeps Boot from starting the engines (a cluster store
	// node: its engines' day files are written from the stream).
	NoListeners bool
	// EngineTuning, when set, adjusts each engine's config before it starts (tests, bench).
	EngineTuning func(*engine.Config)
	// MinFreePercent and DiskFullPolicy configure the disk guard (settings
	// min_free_percent, disk_full_policy; SetDiskPolicy changes them). 0 turns
	// the guard off.
	MinFreePercent int
	DiskFullPolicy string
	// FreeSpace returns the free space of the data dir in percent; default
	// StatfsFreePercent (tests inject one).
	FreeSpace func(dir string) (float64, error)
	// DiskCheckEvery is the disk guard's period; default 5 s.
	DiskCheckEvery time.Duration
	// TLSCertFile and TLSKeyFile are the certificate of tls engines
	// (settings tls_cert_file, tls_key_file; SetTLSCertificate changes it).
	// Both empty: a self-signed pair generated once into <DataDir>/tls.
	TLSCertFile, TLSKeyFile string
	// AlertTuning, when set, adjusts the alert manager's config (tests: clock, backoff).
	AlertTuning func(*alert.Config)
}

// Factory owns every engine and class. Its methods are safe for concurrent use.
type Factory struct {
	cfg Config

	mu      sync.Mutex
	classes map[string]*class.Class
	engines map[string]*managed

	sweepCancel context.CancelFunc
	sweepDone   chan struct{}

	certs  *tlscert.Store // the server certificate of tls engines
	alerts *alert.Manager // rules, channels; every engine's row sink

	events      fanout.Hub[EngineEvent] // every engine's new events; the zero hub skips a full subscriber
	jobs        *jobs
	guardMu     sync.Mutex // one disk check at a time
	guardCancel context.CancelFunc
	guardDone   chan struct{}
	listHook    func()   // tests: called before the disk guard lists an engine's days
	disk        struct { // guarded by mu
		free    float64
		checked bool // free was read at least once
		paused  bool
		reason  string
	}
}

// managed is one engine, its definition, its clients and its event log (which
// outlives the engine when a redefinition replaces it).
type managed struct {
	spec    EngineSpec
	eng     *engine.Engine
	clients []ClientSpec
	events  *engine.EventLog
	days    *store.Days // the engine's day files, shared with its writer; outlives restarts
}

// New loads classes and engine definitions from the metadata DB. Nothing starts
// until Boot.
func New(cfg Config) (*Factory, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HostTZ == "" {
		cfg.HostTZ = HostTimezone()
	}
	if cfg.FreeSpace == nil {
		cfg.FreeSpace = StatfsFreePercent
	}
	if cfg.DiskCheckEvery <= 0 {
		cfg.DiskCheckEvery = 5 * time.Second
	}
	f := &Factory{cfg: cfg, classes: map[string]*class.Class{}, engines: map[string]*managed{}, jobs: newJobs(),
		certs: tlscert.NewStore(cfg.DataDir)}
	var err error
	if err := f.certs.Use(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
		cfg.Log.Error("tls engines cannot start until the settings name a certificate that loads", "err", err)
	}
	acfg := alert.Config{Meta: cfg.Meta, Engines: alertEngines{f}, Log: cfg.Log, Now: cfg.Now}
	if cfg.AlertTuning != nil {
		cfg.AlertTuning(&acfg)
	}
	if f.alerts, err = alert.New(acfg); err != nil {
		return nil, err
	}
	crs, err := cfg.Meta.Classes()
	if err != nil {
		return nil, err
	}
	for _, cr := range crs {
		pats, keys, err := meta.DecodePatterns(cr.Patterns)
		if err != nil {
			return nil, fmt.Errorf("cannot load class %q: %w", cr.Name, err)
		}
		c, err := class.Load(cr.Name, pats, keys)
		if err != nil {
			return nil, fmt.Errorf("cannot load class %q: %w", cr.Name, err)
		}
		f.classes[c.Name] = c
	}
	ers, err := cfg.Meta.Engines()
	if err != nil {
		return nil, err
	}
	for _, er := range ers {
		spec := specFromRecord(er)
		_, ok := f.classes[spec.Class]
		if !ok {
			return nil, fmt.Errorf("cannot load engine %q: class %q does not exist", spec.Name, spec.Class)
		}
		loc, err := time.LoadLocation(spec.Timezone)
		if err != nil {
			return nil, fmt.Errorf("cannot load engine %q: %w", spec.Name, err)
		}
		crs, err := cfg.Meta.Clients(spec.Name)
		if err != nil {
			return nil, err
		}
		m := &managed{spec: spec, events: f.newEventLog(spec.Name), days: store.NewDays(store.EngineDir(cfg.DataDir, spec.Name))}
		for _, cr := range crs {
			m.clients = append(m.clients, ClientSpec{Name: cr.Name, Match: cr.Match})
		}
		f.engines[spec.Name] = m
		f.attach(m, loc)
	}
	return f, nil
}

// attach gives m a new (stopped) engine for its spec, with its event log, its
// clients and the disk guard's pause (f.mu held, or f not yet shared).
func (f *Factory) attach(m *managed, loc *time.Location) {
	cfg := f.engineConfig(m.spec, loc, m.events)
	cfg.Days = m.days
	m.eng = engine.New(cfg, f.classes[m.spec.Class])
	m.eng.SetRowSink(f.alerts)
	applyClients(m)
	if f.disk.paused {
		m.eng.Pause(f.disk.reason)
	}
}

// engineConfig is the config of an engine of spec; EngineTuning sees events
// (the engine's event log) in it.
func (f *Factory) engineConfig(spec EngineSpec, loc *time.Location, events *engine.EventLog) engine.Config {
	cfg := engine.Config{Events: events,
		Name: spec.Name, Protocol: spec.Protocol, Bind: spec.Bind, Port: spec.Port,
		MaxMessageBytes: spec.MaxMessageBytes, MaxConnections: spec.MaxConnections,
		GetCertificate: f.certs.GetCertificate, ClientCA: spec.TLSClientCA,
		Dir:      store.EngineDir(f.cfg.DataDir, spec.Name),
		Location: loc, TZName: spec.Timezone, KeepOriginal: spec.KeepOriginal, SyslogHeader: spec.SyslogHeader,
		RcvBuf: f.cfg.RcvBuf, Now: f.cfg.Now, Log: f.cfg.Log,
		SpoolDir: SpoolDir(f.cfg.DataDir, spec.Name), SpoolMaxBytes: f.cfg.SpoolMaxBytes,
		SpoolOrphans: filepath.Join(f.cfg.DataDir, "spool", spool.OrphanedDir), SpoolOwner: spec.spoolID,
	}
	if f.cfg.EngineTuning != nil {
		f.cfg.EngineTuning(&cfg)
	}
	return cfg
}

// Boot starts every enabled engine and the retention sweep. An engine that cannot
// start shows failed with the reason; the others run.
func (f *Factory) Boot(ctx context.Context) error {
	f.mu.Lock()
	names := f.sortedEngineNames()
	for _, n := range names {
		m := f.engines[n]
		if !m.spec.Enabled || m.eng.Running() || f.cfg.NoListeners {
			continue
		}
		_ = f.startEngine(m) // the engine logs its state (running, or failed and why)
	}
	f.mu.Unlock()
	sctx, cancel := context.WithCancel(ctx)
	f.sweepCancel, f.sweepDone = cancel, make(chan struct{})
	go f.sweepLoop(sctx)
	gctx, gcancel := context.WithCancel(ctx)
	f.guardCancel, f.guardDone = gcancel, make(chan struct{})
	go f.guardLoop(gctx)
	f.alerts.Start()
	return nil
}

// startEngine starts m's listener, unless the factory runs none
// (NoListeners: a cluster store node, whose day files the stream fills).
func (f *Factory) startEngine(m *managed) error {
	if f.cfg.NoListeners {
		return nil
	}
	return m.eng.Start()
}

// Close stops the background work (retention, disk guard, jobs) and every
// engine, waiting until all accepted logs are written.
func (f *Factory) Close() error {
	if f.sweepCancel != nil {
		f.sweepCancel()
		<-f.sweepDone
	}
	if f.guardCancel != nil {
		f.guardCancel()
		<-f.guardDone
	}
	f.jobs.stop()
	f.mu.Lock()
	var errs []error
	for _, m := range f.engines {
		errs = append(errs, m.eng.Stop(), m.days.Close())
	}
	f.mu.Unlock()
	f.alerts.Close()
	return errors.Join(errs...)
}

func (f *Factory) sortedEngineNames() []string {
	names := make([]string, 0, len(f.engines))
	for n := range f.engines {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// sweepLoop applies retention at start and hourly.
func (f *Factory) sweepLoop(ctx context.Context) {
	defer close(f.sweepDone)
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		f.Sweep()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep deletes day files older than each engine's retention_days.
func (f *Factory) Sweep() {
	f.mu.Lock()
	type job struct {
		name, today string
		ds          *store.Days
		days        int
	}
	var jobs []job
	for n, m := range f.engines {
		if m.spec.RetentionDays <= 0 {
			continue
		}
		loc, _ := time.LoadLocation(m.spec.Timezone)
		jobs = append(jobs, job{n, f.cfg.Now().In(loc).Format(store.DateLayout), m.days, m.spec.RetentionDays})
	}
	f.mu.Unlock()
	for _, j := range jobs {
		deleted, err := j.ds.Sweep(j.today, j.days)
		if err != nil {
			f.cfg.Log.Error("retention sweep failed", "engine", j.name, "err", err)
		}
		if len(deleted) > 0 {
			f.cfg.Log.Info("retention deleted days", "engine", j.name, "days", deleted)
		}
	}
}

// SetRcvBuf sets the socket receive buffer of engines started from now on.
func (f *Factory) SetRcvBuf(n int) {
	f.mu.Lock()
	f.cfg.RcvBuf = n
	f.mu.Unlock()
}

// SetSpoolMaxBytes sets the spool bound of engines started from now on.
func (f *Factory) SetSpoolMaxBytes(n int64) {
	f.mu.Lock()
	f.cfg.SpoolMaxBytes = n
	f.mu.Unlock()
}

// SpoolDir is the overflow spool directory of the engine called name.
func SpoolDir(dataDir, name string) string {
	return filepath.Join(dataDir, "spool", name)
}

// SetDefaultRetention sets the retention DefaultSpec gives a new engine.
func (f *Factory) SetDefaultRetention(days int) {
	f.mu.Lock()
	f.cfg.DefaultRetentionDays = days
	f.mu.Unlock()
}

// ApplySettings puts the settings the factory owns into effect (PUT /settings,
// SIGHUP): the UDP receive buffer, the spool bound, the default retention, the
// disk guard and the certificate of tls engines. A certificate that does not
// load keeps the one in force and is returned.
func (f *Factory) ApplySettings(s meta.Settings) error {
	f.SetRcvBuf(s.UDPRcvBufBytes)
	f.SetSpoolMaxBytes(s.SpoolMaxBytes)
	f.SetDefaultRetention(s.DefaultRetentionDays)
	f.SetDiskPolicy(s.MinFreePercent, s.DiskFullPolicy)
	f.alerts.SetPublicURL(s.PublicURL)
	return f.SetTLSCertificate(s.TLSCertFile, s.TLSKeyFile)
}
