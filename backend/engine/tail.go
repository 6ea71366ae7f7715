package engine

import (
	"sync"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/store"
)

// TailBatch is a sample of freshly stored rows, in API column order.
type TailBatch struct {
	Columns []string    `json:"columns"`
	Rows    [][]*string `json:"rows"`
}

// tailRate is the most rows a second the tail sends to its subscribers.
const tailRate = 50

// tailHub fans sampled rows out to subscribers; it never blocks the writer: a
// subscriber whose channel is full misses that batch.
type tailHub struct {
	mu     sync.Mutex
	subs   map[chan TailBatch]struct{}
	tokens float64
	last   time.Time
}

// Subscribe returns a channel of sampled rows (at most 50 a second) and a cancel
// function that unsubscribes. The channel is closed on cancel or engine stop.
func (e *Engine) Subscribe() (<-chan TailBatch, func()) {
	h := &e.tail
	ch := make(chan TailBatch, 8)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = make(map[chan TailBatch]struct{})
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			if _, ok := h.subs[ch]; ok {
				delete(h.subs, ch)
				close(ch)
			}
			h.mu.Unlock()
		})
	}
}

func (h *tailHub) closeAll() {
	h.mu.Lock()
	for ch := range h.subs {
		close(ch)
	}
	h.subs = nil
	h.mu.Unlock()
}

// offer samples rows for the subscribers, if any.
func (h *tailHub) offer(s *store.Schema, rows []store.Row, tz string, loc *time.Location) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 || len(rows) == 0 {
		return
	}
	now := time.Now()
	h.tokens = min(h.tokens+now.Sub(h.last).Seconds()*tailRate, tailRate)
	h.last = now
	n := min(int(h.tokens), len(rows))
	if n <= 0 {
		return
	}
	h.tokens -= float64(n)
	b := TailBatch{Columns: TailColumns(s), Rows: make([][]*string, 0, n)}
	step := float64(len(rows)) / float64(n)
	for i := 0; i < n; i++ {
		b.Rows = append(b.Rows, tailRow(s, &rows[int(float64(i)*step)], tz, loc))
	}
	for ch := range h.subs {
		select {
		case ch <- b:
		default:
		}
	}
}

// TailColumns returns the API column order for rows of schema s.
func TailColumns(s *store.Schema) []string {
	return class.ShownColumns(s.Columns, s.KeepOriginal)
}

func strp(s string) *string { return &s }

func tailRow(s *store.Schema, r *store.Row, tz string, loc *time.Location) []*string {
	out := make([]*string, 0, 4+len(r.Values)+1)
	var client *string
	if r.Client.Valid {
		client = strp(r.Client.String)
	}
	out = append(out, strp(r.SenderIP), client,
		strp(time.Unix(0, r.ReceivedAt).In(loc).Format(store.TimeLayout)), strp(tz))
	for _, v := range r.Values {
		if v.Valid {
			out = append(out, strp(v.String))
		} else {
			out = append(out, nil)
		}
	}
	if s.KeepOriginal {
		out = append(out, strp(r.Original))
	}
	return out
}
