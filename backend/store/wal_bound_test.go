package store

import (
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"
)

// walSize returns the size of the day file's WAL (0 when there is none).
func walSize(t *testing.T, dir, date string) int64 {
	t.Helper()
	st, err := os.Stat(dayPath(dir, date) + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestWriterKeepsWALUnderBoundWhileReadersQuery(t *testing.T) {
	defer func(old int64) { walCheckpointBytes = old }(walCheckpointBytes)
	walCheckpointBytes = 4 << 20 // the same code path as 64 MiB, 16 times faster
	const batches, perBatch = 120, 500
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}, KeepOriginal: true}
	orig := strings.Repeat("x", 1000)
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	mustWrite(t, w, s, []Row{{ReceivedAt: at, SenderIP: "10.0.0.1", Values: []sql.NullString{str("a")}, Original: orig}})
	// An idle read handle held through the whole ingest must not pin the WAL.
	idle, err := w.Days().Open(t.Context(), queryDate)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Release()
	// One batch adds ~0.6 MB of WAL frames; the bound is checked after each.
	bound := walCheckpointBytes + 2<<20
	var peak int64
	rows := make([]Row, perBatch)
	for b := range batches {
		for i := range rows {
			at += 1e6
			rows[i] = Row{ReceivedAt: at, SenderIP: "10.0.0.1", Values: []sql.NullString{str("a")}, Original: orig}
		}
		mustWrite(t, w, s, rows)
		peak = max(peak, walSize(t, dir, queryDate))
		if b%10 == 0 {
			p, err := w.Days().Query(t.Context(), Query{Date: queryDate, Desc: true, Order: []string{"a"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rows) != DefaultLimit {
				t.Fatalf("first page has %d rows; want %d", len(p.Rows), DefaultLimit)
			}
		}
	}
	written := int64(batches * perBatch * len(orig))
	if peak > bound {
		t.Fatalf("WAL reached %d bytes while %d bytes of logs were written; want at most %d", peak, written, bound)
	}
	if n := walSize(t, dir, queryDate); n > bound {
		t.Fatalf("WAL is %d bytes at the end; want at most %d", n, bound)
	}
}
