package auth

import (
	"sync"
	"time"
)

// Throttle counts failures per key within a sliding window.
type Throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

// NewThrottle blocks a key once it has limit failures within window.
func NewThrottle(limit int, window time.Duration, now func() time.Time) *Throttle {
	return &Throttle{limit: limit, window: window, now: now, fails: map[string][]time.Time{}}
}

// Blocked reports whether any of keys is blocked and, if so, how long until it is not.
func (t *Throttle) Blocked(keys ...string) (retryAfter time.Duration, blocked bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		f := t.prune(k, now)
		if len(f) >= t.limit {
			if d := f[len(f)-t.limit].Add(t.window).Sub(now); d > retryAfter {
				retryAfter = d
			}
			blocked = true
		}
	}
	return retryAfter, blocked
}

// Fail records one failure for each key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.fails) > 10000 {
		for k := range t.fails {
			t.prune(k, now)
		}
	}
	for _, k := range keys {
		f := t.prune(k, now)
		if len(f) >= 2*t.limit {
			f = f[1:]
		}
		t.fails[k] = append(f, now)
	}
}

// Reset forgets the failures of key.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

// prune drops failures older than the window; the caller holds mu.
func (t *Throttle) prune(k string, now time.Time) []time.Time {
	f := t.fails[k]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= t.window {
		i++
	}
	if i == len(f) {
		delete(t.fails, k)
		return nil
	}
	f = f[i:]
	t.fails[k] = f
	return f
}
