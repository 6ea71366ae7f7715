package alert

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// pruneEvery is how often the evaluator drops idle groups.
const pruneEvery = time.Minute

// evaluate runs the log rules on queued batches until Close.
func (m *Manager) evaluate() {
	lastPrune := m.cfg.Now()
	for {
		select {
		case <-m.ctx.Done():
			return
		case b := <-m.in:
			m.evalBatch(b)
			b.Release()
			if now := m.cfg.Now(); now.Sub(lastPrune) >= pruneEvery {
				m.prune(now)
				lastPrune = now
			}
		}
	}
}

func (m *Manager) prune(now time.Time) {
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	for _, rs := range m.set.Load().all {
		rs.prune(now)
	}
	for _, rules := range m.set.Load().log {
		for _, rs := range rules {
			rs.prune(now)
		}
	}
}

// fired is an alert to store and deliver.
type fired struct {
	alert    *Alert
	channels []string
}

// evalBatch runs every log rule of the batch's engine on its rows.
func (m *Manager) evalBatch(b *engine.RowBatch) {
	set := m.set.Load()
	now := m.cfg.Now()
	ev := batchEval{m: m, b: b, now: now, t: now.UnixNano()}
	m.stateMu.Lock()
	for _, rs := range set.senders[b.Engine] {
		b.Each(func(r *store.Row) bool {
			if r.SenderIP == rs.spec.Sender || r.Client.Valid && r.Client.String == rs.spec.Sender {
				rs.senderSeen = now
				return false
			}
			return true
		})
	}
	p := m.progs[b.Engine]
	if p == nil || p.set != set || p.schema != b.Schema {
		p = compileProgram(set, set.forEngine(b.Engine), b.Schema)
		m.progs[b.Engine] = p
	}
	if len(p.idx)+len(p.linear) > 0 {
		hit := ev.hit
		b.Each(func(r *store.Row) bool {
			p.run(r, b.TZName, hit)
			return true
		})
	}
	m.stateMu.Unlock()
	for _, f := range ev.out {
		m.dispatch(f)
	}
}

// batchEval is the evaluation of one batch: what hits need.
type batchEval struct {
	m   *Manager
	b   *engine.RowBatch
	now time.Time
	t   int64
	out []fired
}

// hit counts a matching row in its group and fires the rule when the count
// reaches the threshold outside the cooldown (stateMu held).
func (ev *batchEval) hit(pr *progRule, r *store.Row) {
	rs := pr.rs
	key := gkey{engine: ev.b.Engine}
	if pr.b.group != colMissing {
		key.group, _ = pr.b.group.get(r, ev.b.TZName)
	}
	g := rs.cached
	if g == nil || rs.cachedKey != key {
		if g = rs.groupFor(key); g == nil {
			return
		}
		rs.cached, rs.cachedKey = g, gkey{engine: ev.b.Engine} // the engine name is not a row's substring
		if key.group != "" {
			rs.cached = nil
		}
	}
	n := g.win.add(ev.t)
	if rs.inCooldown(g, ev.now) {
		if n >= rs.spec.Count {
			rs.suppress++
		}
		return
	}
	if n == 1 {
		g.sample = g.sample[:0]
	}
	if len(g.sample) < maxSampleRows {
		g.sample = append(g.sample, rowMap(ev.b.Schema, r, ev.b.TZName))
	}
	if n < rs.spec.Count {
		return
	}
	g.fired, g.lastFired = true, ev.now
	rs.fired++
	rs.lastAt = ev.now
	a := &Alert{Time: ev.now, Rule: rs.spec.Name, Engine: ev.b.Engine, Group: strings.Clone(key.group), Count: n,
		WindowS: rs.spec.WindowS, Rows: g.sample, Deliveries: []DeliverySummary{}}
	a.Link = ev.m.absLink(link(&rs.spec, ev.b.Engine, a.Group, ev.m.today(ev.b.TZName, ev.now)))
	g.sample = nil
	ev.out = append(ev.out, fired{a, rs.spec.Channels})
}

// rowMap copies a row's shown values, each cut to maxCell.
func rowMap(s *store.Schema, r *store.Row, tz string) map[string]string {
	out := make(map[string]string, len(s.Columns)+4)
	out[class.ColSenderIP] = strings.Clone(r.SenderIP)
	if r.Client.Valid {
		out[class.ColClient] = strings.Clone(r.Client.String)
	}
	out[class.ColTime] = time.Unix(0, r.ReceivedAt).UTC().Format(time.RFC3339)
	for i, c := range s.Columns {
		if i < len(r.Values) && r.Values[i].Valid {
			out[c] = strings.Clone(cut(r.Values[i].String))
		}
	}
	out[class.ColOriginal] = strings.Clone(cut(r.Original))
	return out
}

// maxDispatching bounds the fired alerts being stored at once; past it an
// alert is dropped (and logged): a flood of groups must not pile up goroutines.
const maxDispatching = 1000

// dispatch stores a fired alert and starts its deliveries, in the background.
func (m *Manager) dispatch(f fired) {
	if m.ctx.Err() != nil {
		return
	}
	if m.dispatching.Add(1) > maxDispatching {
		m.dispatching.Add(-1)
		m.cfg.Log.Warn("alert dropped: too many alerts being stored", "rule", f.alert.Rule, "engine", f.alert.Engine, "group", f.alert.Group)
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer m.dispatching.Add(-1)
		if f.alert.Rows == nil {
			f.alert.Rows = []map[string]string{}
		}
		rows, _ := json.Marshal(storedRows{Rows: f.alert.Rows, Message: f.alert.Message})
		rec := &meta.AlertRecord{Time: f.alert.Time, Rule: f.alert.Rule, Engine: f.alert.Engine, Group: f.alert.Group,
			Count: f.alert.Count, WindowS: f.alert.WindowS, Rows: string(rows), Link: f.alert.Link}
		if err := m.cfg.Meta.AddAlert(rec); err != nil {
			m.cfg.Log.Error("cannot store an alert", "rule", f.alert.Rule, "err", err)
		}
		f.alert.ID = rec.ID
		for _, ch := range f.channels {
			m.startDelivery(f.alert, ch)
		}
	}()
}

// today is the date of now in timezone tz (the evaluator's cache of zones).
func (m *Manager) today(tz string, now time.Time) string {
	loc, ok := m.locs[tz]
	if !ok {
		var err error
		if loc, err = time.LoadLocation(tz); err != nil {
			loc = time.UTC
		}
		m.locs[tz] = loc
	}
	return now.In(loc).Format(store.DateLayout)
}
