// Package ring keeps the most recent values of a stream in a fixed capacity. It
// imports no domain package.
package ring

import "sync"

// Ring holds the last Cap() values pushed; a push onto a full ring overwrites
// the oldest. Safe for concurrent use.
type Ring[T any] struct {
	mu   sync.Mutex
	buf  []T
	next int  // where the next push goes
	full bool // buf has wrapped: every slot holds a value
}

// New returns an empty ring of capacity n (at least 1).
func New[T any](n int) *Ring[T] { return &Ring[T]{buf: make([]T, max(n, 1))} }

// Push adds v as the newest value.
func (r *Ring[T]) Push(v T) {
	r.mu.Lock()
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
	r.mu.Unlock()
}

// Last returns up to n most recent values, oldest first; all of them when n <= 0.
func (r *Ring[T]) Last(n int) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	size := r.lenLocked()
	if n <= 0 || n > size {
		n = size
	}
	out := make([]T, 0, n)
	for i := n; i > 0; i-- {
		out = append(out, r.buf[(r.next-i+len(r.buf))%len(r.buf)])
	}
	return out
}

// Len returns how many values the ring holds.
func (r *Ring[T]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lenLocked()
}

func (r *Ring[T]) lenLocked() int {
	if r.full {
		return len(r.buf)
	}
	return r.next
}

// Cap returns the most values the ring holds.
func (r *Ring[T]) Cap() int { return len(r.buf) }
