package engine

import (
	"sync"
	"time"
)

// clock is the one per-second ticker of all the running engines of a
// process: each second it calls every subscriber in turn (an engine's
// history sample and its writer's day check). An idle engine then costs no
// timer and no wakeup of a goroutine of its own; 50 engines cost one wakeup
// a second instead of 100. Its goroutine runs while it has subscribers.
type clock struct {
	every time.Duration
	mu    sync.Mutex // held while the subscribers are called
	subs  map[*tickFunc]struct{}
	stop  chan struct{} // closes the goroutine of the current run
	done  chan struct{} // closed when that goroutine has ended
	after func()        // called after the subscribers each tick (nil: none)
}

type tickFunc struct{ f func(now time.Time) }

// engineClock ticks the engines of this process.
// After the engines' samples it gives a burst's memory back (burstRelease).
var engineClock = &clock{every: time.Second, after: engineRelease.tick}

// add subscribes f; it is called once every tick from the clock's goroutine
// (never two calls at once) until remove is called. remove returns once f
// is no longer running, and once the goroutine has ended when f was the last
// subscriber.
func (c *clock) add(f func(now time.Time)) (remove func()) {
	s := &tickFunc{f: f}
	c.mu.Lock()
	if c.subs == nil {
		c.subs = map[*tickFunc]struct{}{}
	}
	c.subs[s] = struct{}{}
	if c.stop == nil {
		c.stop, c.done = make(chan struct{}), make(chan struct{})
		go c.run(c.stop, c.done)
	}
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.subs, s)
		var done chan struct{}
		if len(c.subs) == 0 && c.stop != nil {
			close(c.stop)
			done = c.done
			c.stop, c.done = nil, nil
		}
		c.mu.Unlock()
		if done != nil {
			<-done
		}
	}
}

func (c *clock) run(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			c.mu.Lock()
			select {
			case <-stop: // the last subscriber left meanwhile
				c.mu.Unlock()
				return
			default:
			}
			for s := range c.subs {
				s.f(now)
			}
			if c.after != nil {
				c.after()
			}
			c.mu.Unlock()
		}
	}
}
