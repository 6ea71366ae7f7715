// Package fanout hands every published value to every subscriber without ever
// blocking the publisher. It imports no domain package.
package fanout

import "sync"

// Full says what happens to a subscriber whose buffer is full when a value comes.
type Full int

const (
	// Skip: the subscriber misses that value and stays subscribed.
	Skip Full = iota
	// Drop: the subscriber is dropped: its channel is closed (after the values it
	// holds) and its onDrop function, if any, runs.
	Drop
)

// Counts are a hub's totals since it was made.
type Counts struct {
	Published uint64 // calls of Publish
	Delivered uint64 // values put in a subscriber's buffer (by Publish or SendTo)
	Skipped   uint64 // values a subscriber missed because its buffer was full (Skip)
	Dropped   uint64 // subscribers dropped because their buffer was full (Drop)
}

// Hub fans values of type T out to subscribers. The zero Hub is ready to use and
// skips; New chooses. Safe for concurrent use; no method blocks on a subscriber.
type Hub[T any] struct {
	mu     sync.Mutex
	full   Full
	subs   map[<-chan T]*sub[T]
	counts Counts
}

type sub[T any] struct {
	ch     chan T
	onDrop func()
}

// New returns a hub that treats a full subscriber as full says.
func New[T any](full Full) *Hub[T] { return &Hub[T]{full: full} }

// Subscribe returns a channel that receives every value published from now on,
// buffering up to buffer values, and a cancel function that unsubscribes and
// closes the channel. Cancel may be called any number of times, also after the
// hub dropped or closed the subscription.
func (h *Hub[T]) Subscribe(buffer int) (<-chan T, func()) {
	return h.SubscribeFunc(buffer, nil)
}

// SubscribeFunc is Subscribe with onDrop, which runs once if the hub drops the
// subscriber (Drop), after its channel is closed. onDrop runs on the publisher's
// goroutine, outside the hub's lock, and must not block.
func (h *Hub[T]) SubscribeFunc(buffer int, onDrop func()) (<-chan T, func()) {
	s := &sub[T]{ch: make(chan T, max(buffer, 0)), onDrop: onDrop}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[<-chan T]*sub[T]{}
	}
	h.subs[s.ch] = s
	h.mu.Unlock()
	return s.ch, func() {
		h.mu.Lock()
		h.removeLocked(s)
		h.mu.Unlock()
	}
}

// removeLocked closes s's channel if s is still subscribed; h.mu is held.
func (h *Hub[T]) removeLocked(s *sub[T]) bool {
	if h.subs[s.ch] != s {
		return false
	}
	delete(h.subs, s.ch)
	close(s.ch)
	return true
}

// Publish offers v to every subscriber and returns at once.
func (h *Hub[T]) Publish(v T) {
	var dropped []*sub[T]
	h.mu.Lock()
	h.counts.Published++
	for _, s := range h.subs {
		if _, gone := h.offerLocked(s, v); gone {
			dropped = append(dropped, s)
		}
	}
	h.mu.Unlock()
	notify(dropped)
}

// SendTo offers v to the one subscriber whose channel is ch, under the same rule
// for a full buffer as Publish, and reports whether v was delivered. It returns
// false when ch is not subscribed (cancelled, dropped or closed).
func (h *Hub[T]) SendTo(ch <-chan T, v T) bool {
	h.mu.Lock()
	s, ok := h.subs[ch]
	var delivered, gone bool
	if ok {
		delivered, gone = h.offerLocked(s, v)
	}
	h.mu.Unlock()
	if gone {
		notify([]*sub[T]{s})
	}
	return delivered
}

// offerLocked puts v in s's buffer. When the buffer is full it skips v, or
// drops s (gone). h.mu is held.
func (h *Hub[T]) offerLocked(s *sub[T], v T) (delivered, gone bool) {
	select {
	case s.ch <- v:
		h.counts.Delivered++
		return true, false
	default:
	}
	if h.full == Skip {
		h.counts.Skipped++
		return false, false
	}
	h.counts.Dropped++
	h.removeLocked(s)
	return false, true
}

func notify[T any](dropped []*sub[T]) {
	for _, s := range dropped {
		if s.onDrop != nil {
			s.onDrop()
		}
	}
}

// CloseAll ends every current subscription, closing its channel (onDrop does not
// run). The hub stays usable: later subscribers receive later values.
func (h *Hub[T]) CloseAll() {
	h.mu.Lock()
	for _, s := range h.subs {
		h.removeLocked(s)
	}
	h.mu.Unlock()
}

// Len returns the number of subscribers now.
func (h *Hub[T]) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Counts returns the hub's totals now.
func (h *Hub[T]) Counts() Counts {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts
}
