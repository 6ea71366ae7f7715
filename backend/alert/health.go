package alert

import (
	"fmt"
	"net/url"
	"time"

	"github.com/logsieve/logsieve/backend/engine"
)

// healthSeen is what a health rule remembers of an engine between checks.
type healthSeen struct {
	kernel, dropped, received uint64
	spool                     int64
	changed                   time.Time // when received last grew (no_logs)
}

// healthLoop checks the health rules every HealthEvery until Close.
func (m *Manager) healthLoop() {
	t := time.NewTicker(m.cfg.HealthEvery)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			m.CheckHealth()
		}
	}
}

// CheckHealth evaluates every health rule once, now (the ticker calls it;
// tests call it with their clock).
func (m *Manager) CheckHealth() {
	rules := m.set.Load().health
	if len(rules) == 0 {
		return
	}
	now := m.cfg.Now()
	engines := m.cfg.Engines.EngineHealth()
	var out []fired
	m.stateMu.Lock()
	for _, rs := range rules {
		if rs.spec.Health == HealthDiskFreeBelow {
			free, err := m.cfg.Engines.DiskFreePercent()
			if err == nil && free < rs.spec.Threshold {
				out = m.healthFire(out, rs, rs.spec.Engine, 1, now,
					fmt.Sprintf("disk free %.1f %% is below %.1f %%", free, rs.spec.Threshold))
			}
			continue
		}
		for _, eh := range engines {
			if rs.spec.Engine != "" && rs.spec.Engine != eh.Name {
				continue
			}
			if n, msg := rs.observe(eh, now); n > 0 {
				out = m.healthFire(out, rs, eh.Name, n, now, msg)
			}
		}
	}
	m.stateMu.Unlock()
	for _, f := range out {
		m.dispatch(f)
	}
}

// observe returns how much the rule's condition holds for an engine (0: not)
// and what was seen.
func (rs *ruleState) observe(eh EngineHealth, now time.Time) (int, string) {
	if rs.seen == nil {
		rs.seen = map[string]*healthSeen{}
	}
	st := eh.Stats
	seen, known := rs.seen[eh.Name]
	if !known {
		seen = &healthSeen{kernel: st.KernelDrops, dropped: st.Dropped, received: st.Received, spool: st.SpoolBytes, changed: now}
		rs.seen[eh.Name] = seen
	}
	prev, cur := *seen, *seen
	cur.kernel, cur.dropped, cur.received, cur.spool = st.KernelDrops, st.Dropped, st.Received, st.SpoolBytes
	if st.Received != prev.received || st.State != engine.StateRunning {
		cur.changed = now
	}
	*seen = cur
	switch rs.spec.Health {
	case HealthEngineFailed:
		if st.State == engine.StateFailed {
			return 1, "engine failed: " + st.Reason
		}
	case HealthEnginePaused:
		if st.State == engine.StatePaused {
			return 1, "engine paused: " + st.Reason
		}
	case HealthKernelDrops:
		if d := st.KernelDrops - prev.kernel; known && st.KernelDrops > prev.kernel {
			return int(d), fmt.Sprintf("kernel_drops grew by %d", d)
		}
	case HealthDropped:
		if d := st.Dropped - prev.dropped; known && st.Dropped > prev.dropped {
			return int(d), fmt.Sprintf("dropped grew by %d", d)
		}
	case HealthSpoolGrowing:
		if known && st.SpoolBytes > prev.spool {
			return 1, fmt.Sprintf("the spool grew from %d to %d bytes", prev.spool, st.SpoolBytes)
		}
	case HealthNoLogs:
		limit := time.Duration(rs.spec.Threshold * float64(time.Minute))
		if rs.spec.Sender != "" {
			last := rs.senderSeen
			if last.IsZero() {
				last = rs.created
			}
			if now.Sub(last) >= limit {
				return 1, fmt.Sprintf("no logs from sender %q for %s", rs.spec.Sender, now.Sub(last).Round(time.Second))
			}
			return 0, ""
		}
		if st.State == engine.StateRunning && now.Sub(cur.changed) >= limit {
			return 1, fmt.Sprintf("no logs for %s", now.Sub(cur.changed).Round(time.Second))
		}
	}
	return 0, ""
}

// healthFire fires rs for engine unless in cooldown (stateMu held).
func (m *Manager) healthFire(out []fired, rs *ruleState, eng string, n int, now time.Time, msg string) []fired {
	key := gkey{engine: eng, group: rs.spec.Sender}
	g := rs.groups[key]
	if g == nil {
		g = &group{}
		rs.groups[key] = g
	}
	if rs.inCooldown(g, now) {
		rs.suppress++
		return out
	}
	g.fired, g.lastFired = true, now
	rs.fired++
	rs.lastAt = now
	a := &Alert{Time: now, Rule: rs.spec.Name, Engine: eng, Group: rs.spec.Sender, Count: n, Message: msg,
		Rows: []map[string]string{}, Deliveries: []DeliverySummary{}}
	if eng != "" {
		a.Link = m.absLink("/engines/" + url.PathEscape(eng))
	}
	return append(out, fired{a, rs.spec.Channels})
}
