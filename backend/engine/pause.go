package engine

// Pause makes the engine refuse to store (disk guard): it keeps receiving and
// counting, and every log that would have been written is counted in refused.
// The state shows paused with reason while running. Pausing survives a
// restart; only Resume ends it.
func (e *Engine) Pause(reason string) {
	e.pauseMu.Lock()
	was := e.paused.Load()
	e.pauseReason = reason
	e.paused.Store(true)
	e.pauseMu.Unlock()
	if !was {
		e.events.Add(LevelWarning, "paused: %s", reason)
		if e.Running() {
			e.logState(StateRunning, StatePaused, reason)
		}
	}
}

// Resume ends a pause; logs are stored again from the next batch on.
func (e *Engine) Resume(reason string) {
	e.pauseMu.Lock()
	was := e.paused.Load()
	e.pauseReason = ""
	e.paused.Store(false)
	e.pauseMu.Unlock()
	if was {
		e.events.Add(LevelInfo, "resumed: %s (refused while paused: %d)", reason, e.ctr.refused.Load())
		if e.Running() {
			e.logState(StatePaused, StateRunning, reason)
		}
	}
}

// Paused reports whether the engine refuses to store, and why.
func (e *Engine) Paused() (bool, string) {
	e.pauseMu.Lock()
	defer e.pauseMu.Unlock()
	return e.paused.Load(), e.pauseReason
}
