package factory

import (
	"slices"

	"github.com/logsieve/logsieve/backend/alert"
)

// alertEngines is the factory as the alert manager sees it.
type alertEngines struct{ f *Factory }

// Alerts returns the alert manager: rules, channels, history.
func (f *Factory) Alerts() *alert.Manager { return f.alerts }

// EngineColumns returns the columns an engine's rules may test; for "" those
// of any engine.
func (a alertEngines) EngineColumns(name string) ([]string, bool) {
	f := a.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if name != "" {
		m, ok := f.engines[name]
		if !ok {
			return nil, false
		}
		return alert.RowColumns(f.valueColumns(m)), true
	}
	out := alert.RowColumns(nil)
	for _, n := range f.sortedEngineNames() {
		for _, c := range f.valueColumns(f.engines[n]) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out, true
}

// EngineEvent adds an event to an engine's log (none when it is gone).
func (a alertEngines) EngineEvent(name, level, msg string) {
	a.f.mu.Lock()
	m, ok := a.f.engines[name]
	a.f.mu.Unlock()
	if ok {
		m.events.Add(level, "%s", msg)
	}
}

// EngineHealth returns every engine's stats.
func (a alertEngines) EngineHealth() []alert.EngineHealth {
	f := a.f
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]alert.EngineHealth, 0, len(f.engines))
	for _, n := range f.sortedEngineNames() {
		out = append(out, alert.EngineHealth{Name: n, Stats: f.engines[n].eng.Stats()})
	}
	return out
}

// DiskFreePercent returns the data dir's free space.
func (a alertEngines) DiskFreePercent() (float64, error) {
	return a.f.cfg.FreeSpace(a.f.cfg.DataDir)
}
