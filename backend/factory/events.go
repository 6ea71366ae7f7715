package factory

import "github.com/logsieve/logsieve/backend/engine"

// EngineEvent is an event of one engine, as pushed to subscribers.
type EngineEvent struct {
	Engine string `json:"engine"`
	engine.Event
}

// eventBuffer is the number of events a subscriber may hold unread; past it the
// subscriber misses events (an engine never waits for one).
const eventBuffer = 64

// SubscribeEvents returns a channel of every engine's new events and a cancel
// function that unsubscribes and closes the channel.
func (f *Factory) SubscribeEvents() (<-chan EngineEvent, func()) {
	return f.events.Subscribe(eventBuffer)
}

// newEventLog returns the event log of engine name, publishing to subscribers.
func (f *Factory) newEventLog(name string) *engine.EventLog {
	return engine.NewEventLog(engine.DefaultEventLogSize, f.cfg.Now, func(ev engine.Event) {
		f.events.Publish(EngineEvent{Engine: name, Event: ev})
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
