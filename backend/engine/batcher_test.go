package engine

import (
	"testing"

	"github.com/logsieve/logsieve/backend/store"
)

// TestBatcherRoomFollowsTheTraffic: a burst grows the batcher's rows to a
// full batch; once the batches are small again the room shrinks to a few
// times what they carry, and a steady traffic keeps its room (no
// reallocation each batch).
func TestBatcherRoomFollowsTheTraffic(t *testing.T) {
	b := &batcher{e: &Engine{}}
	batch := func(n int) {
		b.rows = append(b.rows, make([]store.Row, n)...)
		b.release()
	}
	batch(8000)
	if c := cap(b.rows); c < 8000 {
		t.Fatalf("room after a batch of 8,000 rows: %d; want at least 8,000 (it is reused)", c)
	}
	for i := 0; i < 100; i++ {
		batch(100)
	}
	if c := cap(b.rows); c > max(4*100, minBatchRoom) {
		t.Fatalf("room after batches of 100 rows: %d rows; want at most %d", c, max(4*100, minBatchRoom))
	}
	batch(1000)
	room := cap(b.rows)
	for i := 0; i < 20; i++ {
		batch(1000)
		if c := cap(b.rows); c != room {
			t.Fatalf("batches of 1,000 rows: room %d after %d; want it kept", c, room)
		}
	}
}

// TestBatcherLetsGoOfWrittenChunks: once a batch is written, the batcher
// holds no pointer to its chunks (they went back to their pool, which may
// then drop them).
func TestBatcherLetsGoOfWrittenChunks(t *testing.T) {
	b := &batcher{e: &Engine{}}
	for i := 0; i < 10; i++ {
		pc := &parsedChunk{rows: make([]store.Row, 3)}
		b.rows = append(b.rows, pc.rows...)
		b.held = append(b.held, pc)
	}
	b.release()
	for i, p := range b.held[:cap(b.held)] {
		if p != nil {
			t.Fatalf("after a release the batcher still points at chunk %d of %d", i+1, cap(b.held))
		}
	}
}

// TestParsedChunksHaveRoomForWhatTheyCarry: a parsed chunk has room for
// about the rows it carries (at most the next class of 8, 16, 32, 64 rows), also
// when bigger chunks went back to the pool before it.
func TestParsedChunksHaveRoomForWhatTheyCarry(t *testing.T) {
	const ncol = 5
	for i := 0; i < 4; i++ {
		putParsed(getParsed(64, ncol))
		putParsed(getParsed(500, ncol))
	}
	f := func(n, wantRoom int) {
		t.Helper()
		pc := getParsed(n, ncol)
		defer putParsed(pc)
		if len(pc.rows) != n || len(pc.values) != n*ncol {
			t.Fatalf("chunk of %d rows: got %d rows, %d values; want %d, %d", n, len(pc.rows), len(pc.values), n, n*ncol)
		}
		if cap(pc.rows) > wantRoom || cap(pc.values) > wantRoom*ncol {
			t.Fatalf("chunk of %d rows: room for %d rows, %d values; want at most %d, %d",
				n, cap(pc.rows), cap(pc.values), wantRoom, wantRoom*ncol)
		}
	}
	f(1, 8)
	f(8, 8)
	f(9, 16)
	f(3, 8)
	f(40, 64)
	f(64, 64)
}
