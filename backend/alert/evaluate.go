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
	rules := set.forEngine(b.Engine)
	now := m.cfg.Now()
	t := now.UnixNano()
	var out []fired
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
	for _, rs := range rules {
		if rs.schema != b.Schema {
			rs.b, rs.schema = rs.m.bind(b.Schema, rs.spec.GroupBy), b.Schema
		}
		bd := &rs.b
		grouped := rs.spec.GroupBy != ""
		b.Each(func(r *store.Row) bool {
			if !bd.match(r, b.TZName) {
				return true
			}
			key := gkey{engine: b.Engine}
			if grouped {
				key.group, _ = bd.group.get(r, b.TZName)
			}
			g := rs.groupFor(key)
			if g == nil {
				return true
			}
			n := g.win.add(t)
			if rs.inCooldown(g, now) {
				if n >= rs.spec.Count {
					rs.suppress++
				}
				return true
			}
			if n == 1 {
				g.sample = g.sample[:0]
			}
			if len(g.sample) < maxSampleRows {
				g.sample = append(g.sample, rowMap(b.Schema, r, b.TZName))
			}
			if n >= rs.spec.Count {
				g.fired, g.lastFired = true, now
				rs.fired++
				rs.lastAt = now
				a := &Alert{Time: now, Rule: rs.spec.Name, Engine: b.Engine, Group: strings.Clone(key.group), Count: n,
					WindowS: rs.spec.WindowS, Rows: g.sample, Deliveries: []DeliverySummary{}}
				a.Link = link(&rs.spec, b.Engine, a.Group, m.today(b.TZName, now))
				g.sample = nil
				out = append(out, fired{a, rs.spec.Channels})
			}
			return true
		})
	}
	m.stateMu.Unlock()
	for _, f := range out {
		m.dispatch(f)
	}
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

// dispatch stores a fired alert and starts its deliveries, in the background.
func (m *Manager) dispatch(f fired) {
	if m.ctx.Err() != nil {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
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
