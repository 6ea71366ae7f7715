package alert

import "time"

// slots is the number of buckets a window is cut into: a count covers the
// last window_s, give or take one bucket (1/60 of the window).
const slots = 60

// window counts matches in buckets of width/slots.
type window struct {
	width  int64 // bucket width, ns
	ids    [slots]int64
	counts [slots]uint32
}

func newWindow(w time.Duration) *window {
	return &window{width: max(int64(w)/slots, 1)}
}

// add counts one match at t (unix ns) and returns the count within the window.
func (w *window) add(t int64) int {
	id := t / w.width
	i := id % slots
	if w.ids[i] != id {
		w.ids[i], w.counts[i] = id, 0
	}
	w.counts[i]++
	return w.count(t)
}

// count returns the matches within the window ending at t.
func (w *window) count(t int64) int {
	id := t / w.width
	n := 0
	for i := range w.ids {
		if d := id - w.ids[i]; d >= 0 && d < slots {
			n += int(w.counts[i])
		}
	}
	return n
}
