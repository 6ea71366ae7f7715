package alert

import (
	"context"
	"fmt"
	"time"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
)

// startDelivery delivers a to channel ch in its own goroutine, retrying with
// exponential backoff; a disabled channel gets nothing.
func (m *Manager) startDelivery(a *Alert, ch string) {
	m.mu.Lock()
	c, ok := m.channels[ch]
	m.mu.Unlock()
	if !ok || !c.spec.Enabled {
		return
	}
	if m.inFlight.Add(1) > int64(m.cfg.MaxInFlight) {
		m.inFlight.Add(-1)
		m.record(a, ch, 1, StatusGaveUp, 0, "too many deliveries in progress")
		m.failedEvent(a, ch, "too many deliveries in progress")
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer m.inFlight.Add(-1)
		m.deliver(a, ch)
	}()
}

// deliver makes the attempts of one delivery.
func (m *Manager) deliver(a *Alert, ch string) {
	wait, waited := m.cfg.RetryBase, time.Duration(0)
	for attempt := 1; ; attempt++ {
		m.mu.Lock()
		c, ok := m.channels[ch]
		m.mu.Unlock()
		if !ok {
			return // deleted meanwhile, with its records
		}
		ctx, cancel := context.WithTimeout(m.ctx, m.cfg.AttemptTimeout)
		st, err := m.senderFor(c.spec).send(ctx, a)
		cancel()
		if m.ctx.Err() != nil {
			return // shutting down
		}
		if err == nil {
			m.record(a, ch, attempt, StatusSent, st, "")
			return
		}
		if waited+wait > m.cfg.RetryTotal {
			m.record(a, ch, attempt, StatusGaveUp, st, err.Error())
			m.failedEvent(a, ch, fmt.Sprintf("gave up after %d attempts: %v", attempt, err))
			return
		}
		m.record(a, ch, attempt, StatusRetrying, st, err.Error())
		if attempt == 1 {
			m.failedEvent(a, ch, fmt.Sprintf("failed, retrying: %v", err))
		}
		select {
		case <-m.ctx.Done():
			return
		case <-m.cfg.After(wait):
		}
		waited += wait
		wait = min(wait*2, m.cfg.RetryMaxWait)
	}
}

// record stores one attempt.
func (m *Manager) record(a *Alert, ch string, attempt int, status string, httpStatus int, msg string) {
	d := &meta.AlertDeliveryRecord{Time: m.cfg.Now(), Channel: ch, Rule: a.Rule, AlertID: a.ID, Attempt: attempt,
		Status: status, HTTPStatus: httpStatus, Error: msg}
	if err := m.cfg.Meta.AddAlertDelivery(d); err != nil {
		m.cfg.Log.Error("cannot record a delivery", "channel", ch, "err", err)
	}
}

// failedEvent makes a failed delivery an event of the alert's engine.
func (m *Manager) failedEvent(a *Alert, ch, msg string) {
	m.cfg.Log.Warn("alert delivery failed", "rule", a.Rule, "channel", ch, "err", msg)
	if a.Engine != "" {
		m.cfg.Engines.EngineEvent(a.Engine, engine.LevelWarning, fmt.Sprintf("alert %q: delivery to channel %q %s", a.Rule, ch, msg))
	}
}
