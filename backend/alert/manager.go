package alert

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
)

// Engines is what the manager asks of the engines' owner (the factory).
type Engines interface {
	Columns
	// EngineEvent records an event in an engine's event log.
	EngineEvent(engine, level, msg string)
	// EngineHealth returns every engine's state and counters, for the
	// health rules.
	EngineHealth() []EngineHealth
	// DiskFreePercent returns the free space of the data dir in percent.
	DiskFreePercent() (float64, error)
}

// EngineHealth is one engine's state as the health rules read it.
type EngineHealth struct {
	Name  string
	Stats engine.Stats
}

// Config is what a Manager needs. Zero values take the defaults noted.
type Config struct {
	Meta    *meta.DB
	Engines Engines
	Log     *slog.Logger
	// Now is the clock of windows, cooldowns and records; After waits for
	// the backoff between attempts (tests inject both). Default time.Now,
	// time.After.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// HTTPClient sends webhooks and telegram messages; default one without
	// a global timeout (AttemptTimeout bounds each attempt).
	HTTPClient *http.Client
	// SMTPTLS is the base TLS config of email channels (tests: their CA).
	SMTPTLS *tls.Config
	// QueueBatches bounds the row batches waiting for evaluation (default
	// 64); a batch offered to a full queue is skipped and counted.
	QueueBatches int
	// AttemptTimeout bounds one delivery attempt (default 10 s).
	AttemptTimeout time.Duration
	// RetryBase is the first wait after a failed attempt (default 10 s); it
	// doubles up to RetryMaxWait (default 15 min) until RetryTotal (default
	// 1 h) of waiting is spent; then the delivery gives up.
	RetryBase, RetryMaxWait, RetryTotal time.Duration
	// HealthEvery is the period of the health rules (default 10 s).
	HealthEvery time.Duration
	// MaxInFlight bounds the deliveries in progress (default 1000); past it a
	// new delivery is recorded as gave_up at once.
	MaxInFlight int
}

func (c *Config) fill() {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.After == nil {
		c.After = time.After
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.QueueBatches <= 0 {
		c.QueueBatches = 64
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 10 * time.Second
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 10 * time.Second
	}
	if c.RetryMaxWait <= 0 {
		c.RetryMaxWait = 15 * time.Minute
	}
	if c.RetryTotal <= 0 {
		c.RetryTotal = time.Hour
	}
	if c.HealthEvery <= 0 {
		c.HealthEvery = 10 * time.Second
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 1000
	}
}

// channelEntry is a stored channel.
type channelEntry struct {
	spec             ChannelSpec
	created, updated time.Time
}

// ruleSet is the rules in force, as the evaluator reads them without a lock.
type ruleSet struct {
	log    map[string][]*ruleState // engine -> its enabled log rules, the all-engine ones included
	all    []*ruleState            // enabled log rules of every engine (engine "")
	health []*ruleState
	// senders: engine -> its no_logs rules with a sender, which read its rows
	senders map[string][]*ruleState
}

// wants reports whether any rule reads the rows of engine name.
func (rs *ruleSet) wants(name string) bool {
	return len(rs.forEngine(name)) > 0 || len(rs.senders[name]) > 0
}

func (rs *ruleSet) forEngine(name string) []*ruleState {
	if r, ok := rs.log[name]; ok {
		return r
	}
	return rs.all
}

// Manager owns the rules and channels, evaluates rules and delivers alerts.
// Its methods are safe for concurrent use.
type Manager struct {
	cfg Config

	mu       sync.Mutex // guards rules, channels and the created times
	rules    map[string]*ruleState
	created  map[string]time.Time
	channels map[string]*channelEntry

	stateMu sync.Mutex // guards every ruleState's groups and counters
	set     atomic.Pointer[ruleSet]

	in      chan *engine.RowBatch
	skipped atomic.Uint64 // batches skipped: queue full
	// publicURL is the dashboard's address as operators reach it (setting
	// public_url): alert links are absolute under it; empty: relative links.
	publicURL atomic.Pointer[string]
	inFlight  atomic.Int64 // deliveries in progress
	// dispatching counts fired alerts being stored (evaluate.go)
	dispatching atomic.Int64

	locs  map[string]*time.Location // evaluator: timezones by name
	progs map[string]*program       // evaluator (stateMu): compiled rules by engine

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup // evaluator, health ticker, deliveries
	started bool
}

// New loads the rules and channels from the metadata DB. Nothing runs until Start.
func New(cfg Config) (*Manager, error) {
	cfg.fill()
	m := &Manager{cfg: cfg, rules: map[string]*ruleState{}, created: map[string]time.Time{}, channels: map[string]*channelEntry{},
		in: make(chan *engine.RowBatch, cfg.QueueBatches), locs: map[string]*time.Location{}, progs: map[string]*program{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	crs, err := cfg.Meta.AlertChannels()
	if err != nil {
		return nil, err
	}
	for _, r := range crs {
		var s ChannelSpec
		if err := json.Unmarshal([]byte(r.Config), &s); err != nil {
			return nil, fmt.Errorf("cannot load alert channel %q: %w", r.Name, err)
		}
		s.Name, s.Type, s.Enabled = r.Name, r.Type, r.Enabled
		m.channels[r.Name] = &channelEntry{spec: s, created: r.CreatedAt, updated: r.UpdatedAt}
	}
	rrs, err := cfg.Meta.AlertRules()
	if err != nil {
		return nil, err
	}
	for _, r := range rrs {
		s := DefaultRule()
		if err := json.Unmarshal([]byte(r.Spec), &s); err != nil {
			return nil, fmt.Errorf("cannot load alert rule %q: %w", r.Name, err)
		}
		s.Name = r.Name
		s.normalize()
		if s.Kind == KindLog {
			if err := checkRegexps(&s); err != nil {
				return nil, fmt.Errorf("cannot load alert rule %q: %w", r.Name, err)
			}
		}
		m.rules[r.Name] = newRuleState(s, m.cfg.Now())
		m.created[r.Name] = r.CreatedAt
	}
	m.publish()
	return m, nil
}

func checkRegexps(s *RuleSpec) error {
	for i, c := range s.When {
		if c.Op == OpMatches {
			if err := validateLogRule(&RuleSpec{When: []Cond{c}, Count: 1, WindowS: 1, MaxGroups: 1}, []string{c.Column}); err != nil {
				return fmt.Errorf("when[%d]: %w", i, err)
			}
		}
	}
	return nil
}

// Start runs the evaluator and the health ticker until Close.
func (m *Manager) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return
	}
	m.started = true
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		m.evaluate()
	}()
	go func() {
		defer m.wg.Done()
		m.healthLoop()
	}()
}

// Close stops evaluation and cancels the deliveries in progress, and waits
// for them. Batches still queued are released unread.
func (m *Manager) Close() {
	m.cancel()
	m.wg.Wait()
	for {
		select {
		case b := <-m.in:
			b.Release()
		default:
			return
		}
	}
}

// Skipped returns how many row batches were skipped because the evaluation
// queue was full.
func (m *Manager) Skipped() uint64 { return m.skipped.Load() }

// OfferRows queues a batch of an engine's rows for the log rules; it never
// blocks (engine.RowSink). False: no rule reads this engine's rows, or the
// queue is full (the batch is counted as skipped).
func (m *Manager) OfferRows(b *engine.RowBatch) bool {
	if !m.set.Load().wants(b.Engine) || m.ctx.Err() != nil {
		return false
	}
	select {
	case m.in <- b:
		return true
	default:
		m.skipped.Add(1)
		return false
	}
}

// publish rebuilds the rule set the evaluator reads (m.mu held).
func (m *Manager) publish() {
	set := &ruleSet{log: map[string][]*ruleState{}, senders: map[string][]*ruleState{}}
	names := make([]string, 0, len(m.rules))
	for n := range m.rules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rs := m.rules[n]
		if !rs.spec.Enabled {
			continue
		}
		switch {
		case rs.spec.Kind == KindHealth:
			set.health = append(set.health, rs)
			if rs.spec.Sender != "" {
				set.senders[rs.spec.Engine] = append(set.senders[rs.spec.Engine], rs)
			}
		case rs.spec.Engine == "":
			set.all = append(set.all, rs)
		}
	}
	for _, n := range names {
		rs := m.rules[n]
		if rs.spec.Enabled && rs.spec.Kind == KindLog && rs.spec.Engine != "" {
			if _, ok := set.log[rs.spec.Engine]; !ok {
				set.log[rs.spec.Engine] = slices.Clone(set.all)
			}
			set.log[rs.spec.Engine] = append(set.log[rs.spec.Engine], rs)
		}
	}
	m.set.Store(set)
}

// channelNames returns the set of channel names (m.mu held).
func (m *Manager) channelNames() map[string]bool {
	out := make(map[string]bool, len(m.channels))
	for n := range m.channels {
		out[n] = true
	}
	return out
}

// Rule is a rule with its state, as the API shows it.
type Rule struct {
	RuleSpec
	Firing          bool       `json:"firing"`
	LastFiredAt     *time.Time `json:"last_fired_at"`
	FiredTotal      uint64     `json:"fired_total"`
	SuppressedTotal uint64     `json:"suppressed_total"`
}

func (m *Manager) view(rs *ruleState) Rule {
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	r := Rule{RuleSpec: rs.spec, FiredTotal: rs.fired, SuppressedTotal: rs.suppress}
	if !rs.lastAt.IsZero() {
		t := rs.lastAt
		r.LastFiredAt = &t
	}
	now := m.cfg.Now()
	for _, g := range rs.groups {
		if rs.inCooldown(g, now) {
			r.Firing = true
			break
		}
	}
	return r
}

// Rules returns every rule, ordered by name.
func (m *Manager) Rules() []Rule {
	m.mu.Lock()
	states := make([]*ruleState, 0, len(m.rules))
	for _, rs := range m.rules {
		states = append(states, rs)
	}
	m.mu.Unlock()
	sort.Slice(states, func(i, j int) bool { return states[i].spec.Name < states[j].spec.Name })
	out := make([]Rule, 0, len(states))
	for _, rs := range states {
		out = append(out, m.view(rs))
	}
	return out
}

// Rule returns one rule.
func (m *Manager) Rule(name string) (Rule, error) {
	m.mu.Lock()
	rs, ok := m.rules[name]
	m.mu.Unlock()
	if !ok {
		return Rule{}, notFound("rule %q does not exist", name)
	}
	return m.view(rs), nil
}

// CreateRule validates and saves a new rule.
func (m *Manager) CreateRule(s RuleSpec) (Rule, error) {
	return m.saveRule("", s)
}

// UpdateRule replaces rule name's definition; its window and cooldown state
// starts over.
func (m *Manager) UpdateRule(name string, s RuleSpec) (Rule, error) {
	return m.saveRule(name, s)
}

func (m *Manager) saveRule(name string, s RuleSpec) (Rule, error) {
	m.mu.Lock()
	if name != "" {
		if _, ok := m.rules[name]; !ok {
			m.mu.Unlock()
			return Rule{}, notFound("rule %q does not exist", name)
		}
		if s.Name != name {
			m.mu.Unlock()
			return Rule{}, invalid("name", "a rule cannot be renamed (from %q to %q)", name, s.Name)
		}
	} else if _, ok := m.rules[s.Name]; ok && ValidName(s.Name) {
		m.mu.Unlock()
		return Rule{}, conflict("name", "rule %q already exists", s.Name)
	}
	if err := validateRule(&s, m.cfg.Engines, m.channelNames()); err != nil {
		m.mu.Unlock()
		return Rule{}, err
	}
	spec, _ := json.Marshal(s)
	now := m.cfg.Now()
	created, ok := m.created[s.Name]
	if !ok {
		created = now
	}
	if err := m.cfg.Meta.SaveAlertRule(meta.AlertRuleRecord{Name: s.Name, Spec: string(spec), CreatedAt: created, UpdatedAt: now}); err != nil {
		m.mu.Unlock()
		return Rule{}, err
	}
	rs := newRuleState(s, m.cfg.Now())
	m.rules[s.Name], m.created[s.Name] = rs, created
	m.publish()
	m.mu.Unlock()
	return m.view(rs), nil
}

// DeleteRule removes a rule; its history stays.
func (m *Manager) DeleteRule(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rules[name]; !ok {
		return notFound("rule %q does not exist", name)
	}
	if err := m.cfg.Meta.DeleteAlertRule(name); err != nil {
		return err
	}
	delete(m.rules, name)
	delete(m.created, name)
	m.publish()
	return nil
}

// Channels returns every channel, ordered by name, without secrets.
func (m *Manager) Channels() []Channel {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Channel, 0, len(m.channels))
	for _, c := range m.channels {
		out = append(out, c.spec.view(c.created, c.updated))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Channel returns one channel without secrets.
func (m *Manager) Channel(name string) (Channel, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.channels[name]
	if !ok {
		return Channel{}, notFound("channel %q does not exist", name)
	}
	return c.spec.view(c.created, c.updated), nil
}

// CreateChannel validates and saves a new channel.
func (m *Manager) CreateChannel(s ChannelSpec) (Channel, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.channels[s.Name]; ok && ValidName(s.Name) {
		return Channel{}, conflict("name", "channel %q already exists", s.Name)
	}
	return m.saveChannel(s.only(), time.Time{})
}

// UpdateChannel replaces a channel's definition; its type cannot change (an
// empty type keeps it), and a secret left empty keeps the stored one.
func (m *Manager) UpdateChannel(name string, s ChannelSpec) (Channel, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.channels[name]
	if !ok {
		return Channel{}, notFound("channel %q does not exist", name)
	}
	if s.Name != name {
		return Channel{}, invalid("name", "a channel cannot be renamed (from %q to %q)", name, s.Name)
	}
	if s.Type == "" {
		s.Type = old.spec.Type
	}
	if s.Type != old.spec.Type {
		return Channel{}, invalid("type", "the type of channel %q is %q and cannot change", name, old.spec.Type)
	}
	s.keepSecrets(old.spec)
	return m.saveChannel(s.only(), old.created)
}

// saveChannel validates and stores s (m.mu held).
func (m *Manager) saveChannel(s ChannelSpec, created time.Time) (Channel, error) {
	if err := validateChannel(&s); err != nil {
		return Channel{}, err
	}
	now := m.cfg.Now()
	if created.IsZero() {
		created = now
	}
	cfg, _ := json.Marshal(s)
	if err := m.cfg.Meta.SaveAlertChannel(meta.AlertChannelRecord{Name: s.Name, Type: s.Type, Enabled: s.Enabled,
		Config: string(cfg), CreatedAt: created, UpdatedAt: now}); err != nil {
		return Channel{}, err
	}
	m.channels[s.Name] = &channelEntry{spec: s, created: created, updated: now}
	return s.view(created, now), nil
}

// DeleteChannel removes a channel and its delivery records; a channel a rule
// uses cannot go (Conflict on "name").
func (m *Manager) DeleteChannel(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.channels[name]; !ok {
		return notFound("channel %q does not exist", name)
	}
	for _, rs := range m.rules {
		if slices.Contains(rs.spec.Channels, name) {
			return conflict("name", "channel %q is used by rule %q", name, rs.spec.Name)
		}
	}
	if err := m.cfg.Meta.DeleteAlertChannel(name); err != nil {
		return err
	}
	delete(m.channels, name)
	return nil
}

// TestResult is the outcome of a test message.
type TestResult struct {
	OK     bool   `json:"ok"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

// TestChannel sends one test alert over a channel, once, within the attempt
// timeout, and records the attempt.
func (m *Manager) TestChannel(ctx context.Context, name string) (TestResult, error) {
	m.mu.Lock()
	c, ok := m.channels[name]
	m.mu.Unlock()
	if !ok {
		return TestResult{}, notFound("channel %q does not exist", name)
	}
	a := &Alert{Time: m.cfg.Now(), Rule: "test", Engine: "-", Message: "a test message from logsieve", Rows: []map[string]string{},
		Deliveries: []DeliverySummary{}}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.AttemptTimeout)
	defer cancel()
	st, err := m.senderFor(c.spec).send(ctx, a)
	d := &meta.AlertDeliveryRecord{Time: m.cfg.Now(), Channel: name, Rule: "test", Attempt: 1, Status: StatusSent, HTTPStatus: st}
	res := TestResult{OK: err == nil, Status: StatusSent}
	if err != nil {
		d.Status, d.Error = StatusFailed, err.Error()
		res.Status, res.Error = StatusFailed, err.Error()
	}
	if rerr := m.cfg.Meta.AddAlertDelivery(d); rerr != nil {
		m.cfg.Log.Error("cannot record a delivery", "channel", name, "err", rerr)
	}
	return res, nil
}

// Deliveries returns up to limit recorded attempts of a channel, newest first.
func (m *Manager) Deliveries(name string, limit int) ([]Delivery, error) {
	m.mu.Lock()
	_, ok := m.channels[name]
	m.mu.Unlock()
	if !ok {
		return nil, notFound("channel %q does not exist", name)
	}
	rs, err := m.cfg.Meta.AlertDeliveries(name, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, 0, len(rs))
	for _, r := range rs {
		out = append(out, Delivery{ID: r.ID, Time: r.Time, Channel: r.Channel, Rule: r.Rule, AlertID: r.AlertID,
			Attempt: r.Attempt, Status: r.Status, HTTPStatus: r.HTTPStatus, Error: r.Error})
	}
	return out, nil
}

// Firing returns every (rule, engine, group) within its cooldown, by rule.
func (m *Manager) Firing() []Firing {
	m.mu.Lock()
	states := make([]*ruleState, 0, len(m.rules))
	for _, rs := range m.rules {
		states = append(states, rs)
	}
	m.mu.Unlock()
	now := m.cfg.Now()
	out := []Firing{}
	m.stateMu.Lock()
	for _, rs := range states {
		for k, g := range rs.groups {
			if rs.inCooldown(g, now) {
				out = append(out, Firing{Rule: rs.spec.Name, Engine: k.engine, Group: k.group, Since: g.lastFired})
			}
		}
	}
	m.stateMu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Rule < b.Rule || a.Rule == b.Rule && (a.Engine < b.Engine || a.Engine == b.Engine && a.Group < b.Group)
	})
	return out
}

// History returns fired alerts, newest first, with their deliveries.
func (m *Manager) History(f meta.AlertFilter) ([]Alert, error) {
	recs, err := m.cfg.Meta.Alerts(f)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	ds, err := m.cfg.Meta.DeliveriesOfAlerts(ids)
	if err != nil {
		return nil, err
	}
	type key struct {
		id int64
		ch string
	}
	sum := map[key]*DeliverySummary{}
	order := map[int64][]string{}
	for _, d := range ds {
		k := key{d.AlertID, d.Channel}
		s := sum[k]
		if s == nil {
			s = &DeliverySummary{Channel: d.Channel}
			sum[k] = s
			order[d.AlertID] = append(order[d.AlertID], d.Channel)
		}
		s.Status, s.Attempts, s.Error = d.Status, d.Attempt, d.Error
	}
	out := make([]Alert, 0, len(recs))
	for _, r := range recs {
		a := Alert{ID: r.ID, Time: r.Time, Rule: r.Rule, Engine: r.Engine, Group: r.Group, Count: r.Count, WindowS: r.WindowS,
			Link: r.Link, Deliveries: []DeliverySummary{}}
		var stored storedRows
		if err := json.Unmarshal([]byte(r.Rows), &stored); err == nil {
			a.Rows, a.Message = stored.Rows, stored.Message
		}
		if a.Rows == nil {
			a.Rows = []map[string]string{}
		}
		for _, ch := range order[r.ID] {
			a.Deliveries = append(a.Deliveries, *sum[key{r.ID, ch}])
		}
		out = append(out, a)
	}
	return out, nil
}

// storedRows is the JSON of AlertRecord.Rows: the sample rows and a health
// rule's message.
type storedRows struct {
	Rows    []map[string]string `json:"rows"`
	Message string              `json:"message,omitempty"`
}

// SetPublicURL sets the address alert links start with (setting public_url,
// e.g. "https://logs.example.net"); "" makes them relative ("/engines/...").
// It applies to alerts fired from now on.
func (m *Manager) SetPublicURL(u string) {
	u = strings.TrimRight(u, "/")
	m.publicURL.Store(&u)
}

// PublicURL returns the address alert links start with ("" when relative).
func (m *Manager) PublicURL() string {
	if p := m.publicURL.Load(); p != nil {
		return *p
	}
	return ""
}

// absLink returns path under the public URL when one is set.
func (m *Manager) absLink(path string) string {
	return m.PublicURL() + path
}
