package factory

import (
	"sync"

	"github.com/logsieve/logsieve/backend/engine"
)

// EngineEvent is an event of one engine, as pushed to subscribers.
type EngineEvent struct {
	Engine string `json:"engine"`
	engine.Event
}

// eventHub fans engine events out to subscribers without ever blocking an
// engine: a subscriber whose channel is full misses the event.
type eventHub struct {
	mu   sync.Mutex
	subs map[chan EngineEvent]struct{}
}

func (h *eventHub) publish(ev EngineEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// SubscribeEvents returns a channel of every engine's new events and a cancel
// function that unsubscribes and closes the channel.
func (f *Factory) SubscribeEvents() (<-chan EngineEvent, func()) {
	h := &f.events
	ch := make(chan EngineEvent, 64)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan EngineEvent]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, ch)
			close(ch)
			h.mu.Unlock()
		})
	}
}

// newEventLog returns the event log of engine name, publishing to subscribers.
func (f *Factory) newEventLog(name string) *engine.EventLog {
	return engine.NewEventLog(engine.DefaultEventLogSize, f.cfg.Now, func(ev engine.Event) {
		f.events.publish(EngineEvent{Engine: name, Event: ev})
	})
}

// Events returns up to limit events of an engine, newest first.
func (f *Factory) Events(name string, limit int) ([]engine.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		return nil, err
	}
	return m.events.List(limit), nil
}
