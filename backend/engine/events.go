package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/logsieve/logsieve/backend/internal/ring"
)

// Event levels.
const (
	LevelInfo    = "info"
	LevelWarning = "warning"
	LevelError   = "error"
)

// Event is one thing that happened to an engine.
type Event struct {
	T       int64  `json:"t"` // unix ms
	Level   string `json:"level"`
	Message string `json:"message"`
}

// EventLog is a bounded log of events, newest kept. It outlives an engine so a
// factory can keep one log across restarts and redefinitions. Safe for
// concurrent use.
type EventLog struct {
	ring  *ring.Ring[Event]
	now   func() time.Time
	onAdd func(Event)
}

// DefaultEventLogSize is the number of events an engine keeps.
const DefaultEventLogSize = 500

// NewEventLog returns a log keeping the n most recent events. onAdd, when set,
// is called with each new event after it is stored; it must not block.
func NewEventLog(n int, now func() time.Time, onAdd func(Event)) *EventLog {
	if n <= 0 {
		n = DefaultEventLogSize
	}
	if now == nil {
		now = time.Now
	}
	return &EventLog{ring: ring.New[Event](n), now: now, onAdd: onAdd}
}

// Add records an event with the message formatted from format and a.
func (l *EventLog) Add(level, format string, a ...any) {
	ev := Event{T: l.now().UnixMilli(), Level: level, Message: fmt.Sprintf(format, a...)}
	l.ring.Push(ev)
	if l.onAdd != nil {
		l.onAdd(ev)
	}
}

// List returns up to limit events, newest first (all when limit <= 0).
func (l *EventLog) List(limit int) []Event {
	out := l.ring.Last(limit)
	slices.Reverse(out)
	return out
}

// Events returns the engine's event log.
func (e *Engine) Events() *EventLog { return e.events }

// dropWatch turns per-second drop counts into "drops started" and "drops
// stopped" events.
type dropWatch struct {
	active           bool
	dropped, kernel  uint64 // totals since drops started
	prevD, prevK     uint64
	quietSecondsLeft int
}

// observe takes the cumulative dropped and kernel-drop counters once a second.
func (w *dropWatch) observe(e *Engine, dropped, kernel uint64) {
	dd, dk := dropped-w.prevD, kernel-w.prevK
	w.prevD, w.prevK = dropped, kernel
	switch {
	case dd+dk > 0 && !w.active:
		w.active, w.dropped, w.kernel, w.quietSecondsLeft = true, dd, dk, 2
		e.events.Add(LevelWarning, "drops started: %d dropped (queue full), %d kernel drops in the last second", dd, dk)
	case dd+dk > 0:
		w.dropped += dd
		w.kernel += dk
		w.quietSecondsLeft = 2
	case w.active:
		w.quietSecondsLeft--
		if w.quietSecondsLeft <= 0 {
			w.active = false
			e.events.Add(LevelInfo, "drops stopped: %d dropped (queue full), %d kernel drops in all", w.dropped, w.kernel)
		}
	}
}
