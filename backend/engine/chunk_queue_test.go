package engine

import (
	"fmt"
	"testing"
	"time"
)

// TestChunkQueueGrowsWithWhatIsQueued: the queue holds room for the chunks
// it has, up to its bound, keeps them in order through growing, wrapping and
// shrinking, refuses a chunk past its bound, and gives its room back once
// drained.
func TestChunkQueueGrowsWithWhatIsQueued(t *testing.T) {
	const bound = 3000
	q := newChunkQueue(bound)
	if held, b := q.room(); held > minQueueRing || b != bound {
		t.Fatalf("a new queue holds %d places of %d; want at most %d of %d", held, b, minQueueRing, bound)
	}
	next, want := uint64(0), uint64(0)
	push := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if !q.tryPush(&chunk{seq: next}) {
				t.Fatalf("push %d of %d refused", i+1, n)
			}
			next++
		}
	}
	pop := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			c, ok := q.pop()
			if !ok || c.seq != want {
				t.Fatalf("unexpected chunk; got %v (ok %t); want seq %d", c, ok, want)
			}
			want++
		}
	}
	// Wrap the ring round, then grow it with chunks on both sides of the wrap.
	push(10)
	pop(7)
	push(12)
	push(bound - 15)
	if held, _ := q.room(); held != bound {
		t.Fatalf("a full queue holds %d places; want %d", held, bound)
	}
	if q.tryPush(&chunk{}) {
		t.Fatalf("queue took chunk %d; want at most %d", bound+1, bound)
	}
	pop(bound - 100)
	if held, _ := q.room(); held > 4*100 {
		t.Fatalf("a queue with 100 chunks holds %d places; want at most %d", held, 4*100)
	}
	push(50)
	pop(150)
	if held, _ := q.room(); held > minQueueRing {
		t.Fatalf("an empty queue holds %d places; want at most %d", held, minQueueRing)
	}
	push(3)
	q.close()
	pop(3)
	if c, ok := q.pop(); ok {
		t.Fatalf("a closed, empty queue returned %v; want none", c)
	}
}

// TestChunkQueuePushWaitsForRoom: push (stream listeners) waits while the
// queue is full and goes on once a parse worker took a chunk; pop waits for
// a chunk.
func TestChunkQueuePushWaitsForRoom(t *testing.T) {
	q := newChunkQueue(2)
	q.push(&chunk{seq: 0})
	q.push(&chunk{seq: 1})
	pushed := make(chan struct{})
	go func() {
		q.push(&chunk{seq: 2})
		close(pushed)
	}()
	// The third push cannot finish before a pop: the queue holds 2.
	for i := 0; i < 3; i++ {
		c, ok := q.pop()
		if !ok || c.seq != uint64(i) {
			t.Fatalf("unexpected chunk; got %v (ok %t); want seq %d", c, ok, i)
		}
		if i == 0 {
			select {
			case <-pushed:
			case <-time.After(10 * time.Second):
				t.Fatal("push did not go on after a pop made room")
			}
		}
	}
	got := make(chan string)
	go func() {
		c, ok := q.pop()
		got <- fmt.Sprint(c != nil, ok)
	}()
	q.close()
	if s := <-got; s != "false false" {
		t.Fatalf("pop on a closed empty queue; got %s; want false false", s)
	}
}

// TestEngineQueueHoldsRoomOnlyForWhatWaits: a running engine's queue keeps
// its bound in chunks (QueueLogs, at most 65,536: the queue's room in logs
// is unchanged) but holds only a few places while nothing waits, before and
// after traffic, instead of a 65,536-place channel per engine.
func TestEngineQueueHoldsRoomOnlyForWhatWaits(t *testing.T) {
	f := func(queueLogs, wantBound int) {
		t.Helper()
		e, addr := startEngine(t, Config{QueueLogs: queueLogs}, mikrotik(t))
		check := func(when string) {
			t.Helper()
			e.mu.Lock()
			held, bound := e.queue.room()
			e.mu.Unlock()
			if held > minQueueRing || bound != wantBound {
				t.Fatalf("%s, the queue holds %d places, bound %d; want at most %d, bound %d",
					when, held, bound, minQueueRing, wantBound)
			}
		}
		check("started")
		msgs := make([]string, 500)
		for i := range msgs {
			msgs[i] = fmt.Sprintf("%s #%d", mikrotikLog, i)
		}
		send(t, addr, msgs...)
		waitFor(t, 10*time.Second, "every log accounted for", func() bool {
			st := e.Stats()
			return st.Received == 500 && settled(st)
		})
		check("after 500 logs")
	}
	f(0, maxQueueChunks) // the default 131,072 logs
	f(1000, 1000)
}
