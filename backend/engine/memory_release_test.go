package engine

import "testing"

// TestBurstReleaseFreesMemoryOnceWhenABurstIsOver: the heap's pages go back
// once, releaseQuietSeconds after the last log of a burst of at least
// releaseAfterLogs logs; a trickle or a quiet process releases nothing.
func TestBurstReleaseFreesMemoryOnceWhenABurstIsOver(t *testing.T) {
	released := 0
	r := &burstRelease{release: func() { released++ }}
	ticks := func(n int) {
		for i := 0; i < n; i++ {
			r.tick()
		}
	}
	r.received(releaseAfterLogs / 2)
	ticks(1)
	r.received(releaseAfterLogs / 2)
	ticks(releaseQuietSeconds)
	if released != 0 {
		t.Fatalf("released %d times %d s after the last log; want 0 before %d quiet seconds", released, releaseQuietSeconds-1, releaseQuietSeconds)
	}
	ticks(1)
	if released != 1 {
		t.Fatalf("released %d times after the burst; want 1", released)
	}
	ticks(3 * releaseQuietSeconds)
	if released != 1 {
		t.Fatalf("released %d times while quiet; want 1 (once per burst)", released)
	}
	r.received(10) // a trickle
	ticks(3 * releaseQuietSeconds)
	if released != 1 {
		t.Fatalf("released %d times after a trickle of 10 logs; want still 1", released)
	}
}
