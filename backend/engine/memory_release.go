package engine

import (
	"runtime/debug"
	"sync/atomic"
)

// After a burst the Go heap keeps the pages the burst's chunks and rows
// used: the runtime collects only when it allocates (or every two minutes)
// and gives pages back to the OS gradually after that. burstRelease gives
// them back once every engine of the process has been quiet for
// releaseQuietSeconds after a burst of at least releaseAfterLogs logs, so
// an appliance that took a burst does not keep its peak RSS.
const (
	releaseAfterLogs    = 100000
	releaseQuietSeconds = 5
)

// burstRelease counts the logs the engines received since the last release
// (their samplers add each second's) and, ticked once a second after the
// samplers, frees the heap's unused pages when a burst is over.
type burstRelease struct {
	logs      atomic.Uint64 // received since the last release
	lastLogs  uint64        // logs at the previous tick
	quiet     int           // seconds without a log
	release   func()        // debug.FreeOSMemory; a counter in tests
	releasing atomic.Int64  // releases done (tests)
}

var engineRelease = &burstRelease{release: debug.FreeOSMemory}

// received records n logs received by an engine in the last second.
func (r *burstRelease) received(n uint64) {
	if n > 0 {
		r.logs.Add(n)
	}
}

// tick runs once a second, after every engine's sample.
func (r *burstRelease) tick() {
	logs := r.logs.Load()
	if logs != r.lastLogs {
		r.lastLogs, r.quiet = logs, 0
		return
	}
	r.quiet++
	if r.quiet == releaseQuietSeconds && logs >= releaseAfterLogs {
		r.release()
		r.releasing.Add(1)
		r.logs.Store(0)
		r.lastLogs = 0
	}
}
