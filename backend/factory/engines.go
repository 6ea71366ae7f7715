package factory

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/spool"
	"github.com/logsieve/logsieve/backend/store"
	"github.com/logsieve/logsieve/backend/syslog"
	"github.com/logsieve/logsieve/backend/tlscert"
)

// EngineSpec is an engine's definition.
type EngineSpec struct {
	Name          string `json:"name"`
	Class         string `json:"class"`
	Protocol      string `json:"protocol"`
	Bind          string `json:"bind"`
	Port          int    `json:"port"`
	Timezone      string `json:"timezone"`
	KeepOriginal  bool   `json:"keep_original"`
	RetentionDays int    `json:"retention_days"`
	Enabled       bool   `json:"enabled"`
	AcceptUnknown bool   `json:"accept_unknown"`
	// MaxMessageBytes and MaxConnections are the stream (tcp) limits: the
	// longest message (an LF message is cut there, a longer octet count closes
	// its connection) and the open connections (the next is refused).
	MaxMessageBytes int `json:"max_message_bytes"`
	MaxConnections  int `json:"max_connections"`
	// SyslogHeader is the header mode: "none", "auto", "rfc3164" or
	// "rfc5424" (syslog.Mode); not none adds the 8 header columns.
	SyslogHeader string `json:"syslog_header"`

	// TLSClientCA (tls): a PEM file of CAs; when set, every client must
	// present a certificate signed by one of them.
	TLSClientCA string `json:"tls_client_ca"`

	// spoolID is the record's SpoolID: the identity of this definition of
	// the engine, which its spools carry (set by CreateEngine, kept by
	// updates; "" for an engine from before it existed).
	spoolID string
}

// EngineInfo is an engine's definition and state.
type EngineInfo struct {
	EngineSpec
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

var engineNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidEngineName reports whether name follows the engine-name rule (docs/api.md).
func ValidEngineName(name string) bool { return engineNameRe.MatchString(name) }

// Bounds of the stream limits. RFC 5424 §6.1: every receiver takes 480 octets.
const (
	minMessageBytes = 480
	maxMessageBytes = 16 << 20
	maxConnections  = 100000
)

func specFromRecord(r meta.EngineRecord) EngineSpec {
	s := EngineSpec{Name: r.Name, Class: r.Class, Protocol: r.Protocol, Bind: r.Bind, Port: r.Port,
		Timezone: r.Timezone, KeepOriginal: r.KeepOriginal, RetentionDays: r.RetentionDays,
		Enabled: r.Enabled, AcceptUnknown: r.AcceptUnknown,
		MaxMessageBytes: r.MaxMessageBytes, MaxConnections: r.MaxConnections, SyslogHeader: r.SyslogHeader}
	s.TLSClientCA = r.TLSClientCA
	s.spoolID = r.SpoolID
	if s.Protocol == "" {
		s.Protocol = "udp"
	}
	if s.SyslogHeader == "" {
		s.SyslogHeader = syslog.ModeNone.String()
	}
	if s.MaxMessageBytes <= 0 {
		s.MaxMessageBytes = engine.DefaultMaxMessageBytes
	}
	if s.MaxConnections <= 0 {
		s.MaxConnections = engine.DefaultMaxConnections
	}
	return s
}

func (s EngineSpec) record() meta.EngineRecord {
	r := meta.EngineRecord{Name: s.Name, Class: s.Class, Protocol: s.Protocol, Bind: s.Bind, Port: s.Port,
		Timezone: s.Timezone, KeepOriginal: s.KeepOriginal, RetentionDays: s.RetentionDays,
		Enabled: s.Enabled, AcceptUnknown: s.AcceptUnknown,
		MaxMessageBytes: s.MaxMessageBytes, MaxConnections: s.MaxConnections, SyslogHeader: s.SyslogHeader}
	r.TLSClientCA = s.TLSClientCA
	r.SpoolID = s.spoolID
	return r
}

// DefaultSpec returns the defaults of a new engine: udp on 0.0.0.0, the host's
// timezone, the default retention, keep_original and enabled on, the default
// stream limits, syslog header auto.
func (f *Factory) DefaultSpec() EngineSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return EngineSpec{Protocol: "udp", Bind: "0.0.0.0", Timezone: f.cfg.HostTZ, KeepOriginal: true, Enabled: true,
		RetentionDays:   f.cfg.DefaultRetentionDays,
		MaxMessageBytes: engine.DefaultMaxMessageBytes, MaxConnections: engine.DefaultMaxConnections,
		SyslogHeader: syslog.ModeAuto.String()}
}

// validate checks spec (its class must exist; f.mu held) and returns its location.
func (f *Factory) validate(s EngineSpec) (*time.Location, error) {
	if !ValidEngineName(s.Name) {
		return nil, invalid("name", "invalid engine name %q: use 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit", s.Name)
	}
	cls, ok := f.classes[s.Class]
	if !ok {
		return nil, invalid("class", "class %q does not exist", s.Class)
	}
	switch s.Protocol {
	case "udp", "tcp", "tls":
	default:
		return nil, invalid("protocol", "invalid protocol %q: use \"udp\", \"tcp\" or \"tls\"", s.Protocol)
	}
	if s.TLSClientCA != "" {
		if _, err := tlscert.LoadCAPool(s.TLSClientCA); err != nil {
			return nil, invalid("tls_client_ca", "%v", err)
		}
	}
	if mode, err := syslog.ParseMode(s.SyslogHeader); err != nil || s.SyslogHeader == "" {
		return nil, invalid("syslog_header", "invalid syslog_header %q: use %s", s.SyslogHeader, quoteList(syslog.ModeNames()))
	} else if hk := cls.HeaderKeys(); mode != syslog.ModeNone && len(hk) > 0 {
		return nil, invalid("syslog_header", "class %q has key %q, which is a syslog header column: use syslog_header \"none\" or rename the key", s.Class, hk[0])
	}
	if s.MaxMessageBytes < minMessageBytes || s.MaxMessageBytes > maxMessageBytes {
		return nil, invalid("max_message_bytes", "invalid max_message_bytes %d: must be %d-%d", s.MaxMessageBytes, minMessageBytes, maxMessageBytes)
	}
	if s.MaxConnections < 1 || s.MaxConnections > maxConnections {
		return nil, invalid("max_connections", "invalid max_connections %d: must be 1-%d", s.MaxConnections, maxConnections)
	}
	if _, err := netip.ParseAddr(s.Bind); err != nil {
		return nil, invalid("bind", "invalid bind address %q: must be an IPv4 or IPv6 address", s.Bind)
	}
	if s.Port < 1 || s.Port > 65535 {
		return nil, invalid("port", "invalid port %d: must be 1-65535", s.Port)
	}
	if s.Timezone == "" || s.Timezone == "Local" {
		return nil, invalid("timezone", "invalid timezone %q: use an IANA name such as \"Europe/Berlin\"", s.Timezone)
	}
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return nil, invalid("timezone", "unknown timezone %q: use an IANA name such as \"Europe/Berlin\"", s.Timezone)
	}
	if s.RetentionDays < 0 {
		return nil, invalid("retention_days", "invalid retention_days %d: must be 0 (keep forever) or more", s.RetentionDays)
	}
	return loc, nil
}

// startErr maps a failed start to a typed error: a bind conflict is a Conflict on
// field "port".
func startErr(s EngineSpec, err error) error {
	if engine.IsAddrInUse(err) {
		return conflict("port", "port %d is already in use on %s", s.Port, s.Bind)
	}
	return invalid("bind", "cannot start engine %q: %v", s.Name, err)
}

func (f *Factory) info(m *managed) EngineInfo {
	st := m.eng.Stats()
	return EngineInfo{EngineSpec: m.spec, State: st.State, Error: reasonIfFailed(st)}
}

func reasonIfFailed(st engine.Stats) string {
	if st.State == engine.StateFailed || st.State == engine.StatePaused {
		return st.Reason
	}
	return ""
}

// Engines returns every engine, ordered by name.
func (f *Factory) Engines() []EngineInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]EngineInfo, 0, len(f.engines))
	for _, n := range f.sortedEngineNames() {
		out = append(out, f.info(f.engines[n]))
	}
	return out
}

func (f *Factory) get(name string) (*managed, error) {
	m, ok := f.engines[name]
	if !ok {
		return nil, notFound("engine %q does not exist", name)
	}
	return m, nil
}

// Engine returns one engine.
func (f *Factory) Engine(name string) (EngineInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		return EngineInfo{}, err
	}
	return f.info(m), nil
}

// CreateEngine validates, starts (when enabled) and saves a new engine. A bind
// conflict answers a Conflict on "port" and saves nothing.
func (f *Factory) CreateEngine(s EngineSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	loc, err := f.validate(s)
	if err != nil {
		return err
	}
	if _, ok := f.engines[s.Name]; ok {
		return conflict("name", "engine %q already exists", s.Name)
	}
	if err := f.portTaken(s, ""); err != nil {
		return err
	}
	s.spoolID = newSpoolID(f.cfg.Now)
	m := &managed{spec: s, events: f.newEventLog(s.Name), days: store.NewDays(store.EngineDir(f.cfg.DataDir, s.Name))}
	f.attach(m, loc)
	if s.Enabled {
		if err := f.startEngine(m); err != nil {
			_ = m.days.Close()
			return startErr(s, err)
		}
	}
	if err := f.cfg.Meta.SaveEngine(s.record()); err != nil {
		_ = m.eng.Stop()
		_ = m.days.Close()
		return err
	}
	f.engines[s.Name] = m
	return nil
}

// portTaken reports another engine of this factory defined on the same port and
// an overlapping address, even when stopped, so that a later start cannot clash.
func (f *Factory) portTaken(s EngineSpec, except string) error {
	for n, m := range f.engines {
		if n == except || m.spec.Port != s.Port || transport(m.spec.Protocol) != transport(s.Protocol) {
			continue
		}
		a, _ := netip.ParseAddr(m.spec.Bind)
		b, _ := netip.ParseAddr(s.Bind)
		if a == b || a.IsUnspecified() || b.IsUnspecified() {
			return conflict("port", "port %d is already used by engine %q", s.Port, n)
		}
	}
	return nil
}

// transport is the socket kind a protocol listens on: a udp and a tcp engine
// may share a port.
func transport(protocol string) string {
	if protocol == "udp" {
		return "udp"
	}
	return "tcp"
}

// needsRestart reports whether moving from a to b needs a new socket or writer.
func needsRestart(a, b EngineSpec) bool {
	streamLimits := a.Protocol != "udp" &&
		(a.MaxMessageBytes != b.MaxMessageBytes || a.MaxConnections != b.MaxConnections)
	streamLimits = streamLimits || (a.Protocol == "tls" && a.TLSClientCA != b.TLSClientCA)
	return a.Bind != b.Bind || a.Port != b.Port || a.Protocol != b.Protocol ||
		a.Timezone != b.Timezone || a.KeepOriginal != b.KeepOriginal || streamLimits ||
		a.SyslogHeader != b.SyslogHeader
}

// UpdateEngine replaces an engine's definition with s (the API merges a PATCH onto
// the current spec). A class change applies live; a socket or storage change
// restarts the engine. When the restart fails, the old definition is kept running
// and nothing is saved.
func (f *Factory) UpdateEngine(name string, s EngineSpec) error {
	return f.updateEngine(name, nil, s)
}

// UpdateEngineFrom is UpdateEngine for a change merged onto base (the API's
// PATCH): when the definition is no longer base (changed meanwhile, e.g. on
// another cluster node), it answers a Conflict and changes nothing.
func (f *Factory) UpdateEngineFrom(name string, base, s EngineSpec) error {
	return f.updateEngine(name, &base, s)
}

func (f *Factory) updateEngine(name string, base *EngineSpec, s EngineSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		return err
	}
	if base != nil && !sameDefinition(m.spec, *base) {
		return conflict("", "engine %q was changed meanwhile; reload and try again", name)
	}
	if s.Name != name {
		return invalid("name", "an engine cannot be renamed (from %q to %q)", name, s.Name)
	}
	s.spoolID = m.spec.spoolID // the same engine: its spools stay its own
	loc, err := f.validate(s)
	if err != nil {
		return err
	}
	if err := f.portTaken(s, name); err != nil {
		return err
	}
	old := m.spec
	if err := f.redefine(m, s, loc); err != nil {
		return err
	}
	if err := f.cfg.Meta.SaveEngine(s.record()); err != nil {
		// Not saved (in cluster mode: another node changed it meanwhile, or
		// NATS is unreachable): back to the definition in force.
		if oldLoc, lerr := time.LoadLocation(old.Timezone); lerr == nil {
			if rerr := f.redefine(m, old, oldLoc); rerr != nil {
				f.cfg.Log.Error("cannot restore the engine's definition", "engine", name, "err", rerr)
			}
		}
		return err
	}
	return nil
}

// redefine makes m run s (validated; f.mu held), without saving it. A class
// change applies live; a socket or storage change restarts the engine. When
// the restart fails, the old definition is kept running.
func (f *Factory) redefine(m *managed, s EngineSpec, loc *time.Location) error {
	old := m.spec
	wasRunning := m.eng.Running()
	if needsRestart(old, s) {
		oldEng := m.eng
		m.spec = s
		f.attach(m, loc)
		if wasRunning || s.Enabled {
			_ = oldEng.Stop()
			if err := f.startEngine(m); err != nil {
				m.spec, m.eng = old, oldEng
				if wasRunning {
					_ = f.startEngine(m)
				}
				return startErr(s, err)
			}
		}
	} else {
		if old.Class != s.Class {
			m.eng.SetClass(f.classes[s.Class])
		}
		if old.AcceptUnknown != s.AcceptUnknown {
			m.spec.AcceptUnknown = s.AcceptUnknown
			applyClients(m)
		}
	}
	switch {
	case s.Enabled && !m.eng.Running():
		if err := f.startEngine(m); err != nil {
			return startErr(s, err)
		}
	case !s.Enabled && m.eng.Running():
		_ = m.eng.Stop()
	}
	m.spec = s
	return nil
}

// sameDefinition reports whether a and b define the engine alike; the
// spool id is not the caller's to give (it may come from before the engine
// existed, or from a spec built by hand).
func sameDefinition(a, b EngineSpec) bool {
	b.spoolID = a.spoolID
	return a == b
}

// newSpoolID returns the identity of a new engine definition (spool.Claim).
func newSpoolID(now func() time.Time) string {
	t := time.Now()
	if now != nil {
		t = now()
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return spool.NewOwner(t, b[:])
}

// DeleteEngine stops and removes an engine; purge also deletes its day files.
func (f *Factory) DeleteEngine(name string, purge bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		return err
	}
	wasRunning := m.eng.Running()
	if err := m.eng.Stop(); err != nil {
		return err
	}
	if err := f.cfg.Meta.DeleteEngine(name); err != nil {
		if wasRunning { // not deleted (cluster: NATS unreachable, or changed meanwhile): runs on
			_ = f.startEngine(m)
		}
		return err
	}
	if err := f.cfg.Meta.DeleteClients(name); err != nil {
		return err
	}
	delete(f.engines, name)
	if err := m.days.Close(); err != nil {
		f.cfg.Log.Warn("cannot close day files", "engine", name, "err", err)
	}
	if purge {
		return f.removeFiles(name)
	}
	return nil
}

// removeFiles deletes the day files and the overflow spool of engine name.
func (f *Factory) removeFiles(name string) error {
	if err := os.RemoveAll(store.EngineDir(f.cfg.DataDir, name)); err != nil {
		return fmt.Errorf("cannot purge day files of engine %q: %w", name, err)
	}
	if err := os.RemoveAll(SpoolDir(f.cfg.DataDir, name)); err != nil {
		return fmt.Errorf("cannot purge the spool of engine %q: %w", name, err)
	}
	return nil
}

// withEngine runs fn on the engine called name under the factory lock.
func withEngine[T any](f *Factory, name string, fn func(m *managed) (T, error)) (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		var zero T
		return zero, err
	}
	return fn(m)
}

// Start starts an engine and marks it enabled. When the mark cannot be
// saved (cluster: NATS unreachable) the engine is stopped again.
func (f *Factory) Start(name string) error {
	_, err := withEngine(f, name, func(m *managed) (struct{}, error) {
		wasRunning := m.eng.Running()
		if !wasRunning {
			if err := f.startEngine(m); err != nil {
				return struct{}{}, startErr(m.spec, err)
			}
		}
		err := f.setEnabled(m, true)
		if err != nil && !wasRunning {
			_ = m.eng.Stop()
		}
		return struct{}{}, err
	})
	return err
}

// Stop stops an engine (flushing everything accepted) and marks it disabled.
// When the mark cannot be saved (cluster: NATS unreachable) it runs again.
func (f *Factory) Stop(name string) error {
	_, err := withEngine(f, name, func(m *managed) (struct{}, error) {
		wasRunning := m.eng.Running()
		if err := m.eng.Stop(); err != nil {
			return struct{}{}, err
		}
		err := f.setEnabled(m, false)
		if err != nil && wasRunning {
			_ = f.startEngine(m)
		}
		return struct{}{}, err
	})
	return err
}

// Restart stops and starts an engine.
func (f *Factory) Restart(name string) error {
	_, err := withEngine(f, name, func(m *managed) (struct{}, error) {
		if err := m.eng.Stop(); err != nil {
			return struct{}{}, err
		}
		if err := f.startEngine(m); err != nil {
			return struct{}{}, startErr(m.spec, err)
		}
		return struct{}{}, f.setEnabled(m, true)
	})
	return err
}

func (f *Factory) setEnabled(m *managed, on bool) error {
	if m.spec.Enabled == on {
		return nil
	}
	s := m.spec
	s.Enabled = on
	if err := f.cfg.Meta.SaveEngine(s.record()); err != nil {
		return err
	}
	m.spec = s
	return nil
}

// Stats returns an engine's counters.
func (f *Factory) Stats(name string) (engine.Stats, error) {
	return withEngine(f, name, func(m *managed) (engine.Stats, error) { return m.eng.Stats(), nil })
}

// Connections lists an engine's open connections (none for udp).
func (f *Factory) Connections(name string) ([]engine.Connection, error) {
	return withEngine(f, name, func(m *managed) ([]engine.Connection, error) { return m.eng.Connections(), nil })
}

// History returns up to seconds per-second points of an engine, oldest first.
func (f *Factory) History(name string, seconds int) ([]engine.Point, error) {
	return withEngine(f, name, func(m *managed) ([]engine.Point, error) { return m.eng.History(seconds), nil })
}

// Dir returns the directory of an engine's day files.
func (f *Factory) Dir(name string) (string, error) {
	return withEngine(f, name, func(m *managed) (string, error) {
		return store.EngineDir(f.cfg.DataDir, m.spec.Name), nil
	})
}

// EngineDays is what a request about an engine's stored logs needs, read
// under one lock: the owner of its day files, its class order and timezone.
type EngineDays struct {
	Days         *store.Days
	Order        []string // current value columns: header, class (store.Query.Order)
	Location     *time.Location
	KeepOriginal bool
}

// Days returns an engine's day files with its class order and timezone.
func (f *Factory) Days(name string) (EngineDays, error) {
	return withEngine(f, name, func(m *managed) (EngineDays, error) {
		loc, err := time.LoadLocation(m.spec.Timezone)
		if err != nil {
			return EngineDays{}, err
		}
		return EngineDays{Days: m.days, Order: f.valueColumns(m), Location: loc,
			KeepOriginal: m.spec.KeepOriginal}, nil
	})
}

// Location returns an engine's timezone.
func (f *Factory) Location(name string) (*time.Location, error) {
	return withEngine(f, name, func(m *managed) (*time.Location, error) { return time.LoadLocation(m.spec.Timezone) })
}

// Order returns the value columns of an engine: the header columns when it
// parses headers, then its current class's in class order.
func (f *Factory) Order(name string) ([]string, error) {
	return withEngine(f, name, func(m *managed) ([]string, error) { return f.valueColumns(m), nil })
}

// valueColumns is Order for m (f.mu held).
func (f *Factory) valueColumns(m *managed) []string {
	cols := f.classes[m.spec.Class].Columns()
	if m.spec.SyslogHeader != syslog.ModeNone.String() {
		cols = append(syslog.Columns(), cols...)
	}
	return cols
}

// quoteList renders names as `"a", "b" or "c"`.
func quoteList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		switch {
		case i == len(names)-1 && i > 0:
			b.WriteString(" or ")
		case i > 0:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	return b.String()
}

// Tail subscribes to sampled live rows of an engine; cancel unsubscribes.
func (f *Factory) Tail(name string) (<-chan engine.TailBatch, func(), error) {
	var cancel func()
	ch, err := withEngine(f, name, func(m *managed) (<-chan engine.TailBatch, error) {
		ch, c := m.eng.Subscribe()
		cancel = c
		return ch, nil
	})
	return ch, cancel, err
}

// PurgeFiles deletes the day files and the overflow spool of engine name on
// this node, where it must no longer be defined: a cluster's purge, asked by
// the node that deleted the engine once that delete reached this node. A
// Conflict while the engine is still defined here.
func (f *Factory) PurgeFiles(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.engines[name]; ok {
		return conflict("name", "engine %q is still defined on this node", name)
	}
	return f.removeFiles(name)
}
