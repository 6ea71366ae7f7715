package engine

import (
	"sync"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/internal/fanout"
	"github.com/logsieve/logsieve/backend/store"
)

// TailBatch is a sample of freshly stored rows, in API column order.
type TailBatch struct {
	Columns []string    `json:"columns"`
	Rows    [][]*string `json:"rows"`
}

// tailRate is the most rows a second the tail sends to its subscribers.
const tailRate = 50

// tailBuffer is the number of batches a tail subscriber may hold unread; past it
// the subscriber misses batches.
const tailBuffer = 8

// tailHub samples freshly stored rows for subscribers; it never blocks the writer:
// a subscriber whose channel is full misses that batch.
type tailHub struct {
	out    fanout.Hub[TailBatch] // the zero hub skips a full subscriber
	mu     sync.Mutex            // guards the token bucket below
	tokens float64
	last   time.Time
}

// Subscribe returns a channel of sampled rows (at most 50 a second) and a cancel
// function that unsubscribes. The channel is closed on cancel or engine stop.
func (e *Engine) Subscribe() (<-chan TailBatch, func()) {
	return e.tail.out.Subscribe(tailBuffer)
}

// closeAll ends every subscription (engine stop); later subscribers get later rows.
func (h *tailHub) closeAll() { h.out.CloseAll() }

// offer samples rows for the subscribers, if any.
func (h *tailHub) offer(s *store.Schema, rows []store.Row, tz string, loc *time.Location) {
	if len(rows) == 0 || h.out.Len() == 0 {
		return
	}
	h.mu.Lock()
	now := time.Now()
	h.tokens = min(h.tokens+now.Sub(h.last).Seconds()*tailRate, tailRate)
	h.last = now
	n := min(int(h.tokens), len(rows))
	if n <= 0 {
		h.mu.Unlock()
		return
	}
	h.tokens -= float64(n)
	h.mu.Unlock()
	b := TailBatch{Columns: TailColumns(s), Rows: make([][]*string, 0, n)}
	step := float64(len(rows)) / float64(n)
	for i := 0; i < n; i++ {
		b.Rows = append(b.Rows, tailRow(s, &rows[int(float64(i)*step)], tz, loc))
	}
	h.out.Publish(b)
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
