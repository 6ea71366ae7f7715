package engine

import "sync"

// chunkQueue is the queue of received chunks between an engine's receiver
// (and spool drainer) and its parse workers: first in, first out, with room
// for at most max chunks, like the channel it replaces. Its ring grows with
// what is queued and shrinks again as the parse workers drain it, so an
// engine holds room for the chunks it has, not for max of them: a channel of
// 65,536 places took 512 KiB of heap per engine, touched all of it as its
// indices went round, and every GC scanned it (25 MB for 50 engines).
// Safe for concurrent use.
type chunkQueue struct {
	mu       sync.Mutex
	notEmpty sync.Cond // a chunk came, or the queue was closed
	notFull  sync.Cond // a chunk left
	ring     []*chunk  // len(ring) is the room held now; 0..max
	head     int       // index of the oldest chunk
	n        int       // chunks queued
	max      int
	closed   bool
}

// minQueueRing is the room a queue starts with and never shrinks below.
const minQueueRing = 16

// newChunkQueue returns an empty queue with room for at most bound (>= 1) chunks.
func newChunkQueue(bound int) *chunkQueue {
	q := &chunkQueue{max: max(bound, 1)}
	q.notEmpty.L, q.notFull.L = &q.mu, &q.mu
	return q
}

// tryPush appends c, or returns false when the queue holds max chunks.
func (q *chunkQueue) tryPush(c *chunk) bool {
	q.mu.Lock()
	ok := q.pushLocked(c)
	q.mu.Unlock()
	return ok
}

// push appends c, waiting while the queue holds max chunks.
func (q *chunkQueue) push(c *chunk) {
	q.mu.Lock()
	for !q.pushLocked(c) {
		q.notFull.Wait()
	}
	q.mu.Unlock()
}

func (q *chunkQueue) pushLocked(c *chunk) bool {
	if q.n == len(q.ring) {
		if q.n >= q.max {
			return false
		}
		q.resize(min(max(2*len(q.ring), minQueueRing), q.max))
	}
	q.ring[(q.head+q.n)%len(q.ring)] = c
	q.n++
	q.notEmpty.Signal()
	return true
}

// pop removes and returns the oldest chunk, waiting for one; false once the
// queue is closed and empty.
func (q *chunkQueue) pop() (*chunk, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n == 0 {
		if q.closed {
			return nil, false
		}
		q.notEmpty.Wait()
	}
	c := q.ring[q.head]
	q.ring[q.head] = nil
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	if len(q.ring) > minQueueRing && q.n <= len(q.ring)/4 {
		q.resize(max(len(q.ring)/2, minQueueRing))
	}
	q.notFull.Signal()
	return c, true
}

// resize moves the queued chunks, oldest first, into a ring of size places.
func (q *chunkQueue) resize(size int) {
	ring := make([]*chunk, size)
	for i := 0; i < q.n; i++ {
		ring[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = ring, 0
}

// close wakes the parse workers: pop returns what is still queued, then false.
// Nothing may be pushed after close.
func (q *chunkQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.notEmpty.Broadcast()
	q.mu.Unlock()
}

// room returns the places the queue holds now (queued or free), and its
// bound.
func (q *chunkQueue) room() (held, bound int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ring), q.max
}
