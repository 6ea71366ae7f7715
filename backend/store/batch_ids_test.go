package store

import (
	"database/sql"
	"testing"
	"time"
)

func TestWriteBatchDeliveredAgainIsStoredOnce(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}}
	row := func(at, v string) Row {
		return Row{ReceivedAt: ns(t, time.UTC, at), SenderIP: "s", Values: []sql.NullString{str(v)}}
	}
	write := func(w *Writer, id string, rows []Row, wantStored, wantDup int) {
		t.Helper()
		stored, dup, err := w.WriteBatch(s, rows, id)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "stored, skipped of batch "+id, []int{stored, dup}, []int{wantStored, wantDup})
	}
	// A batch over two days: each file records it with its own rows.
	b1 := []Row{row("2024-05-01 23:59:59", "1"), row("2024-05-02 00:00:01", "2"), row("2024-05-02 00:00:02", "3")}
	write(w, "b1", b1, 3, 0)
	// Delivered again (the ack was lost): nothing is stored twice.
	write(w, "b1", b1, 0, 3)
	// A plain Write and another batch are not affected.
	mustWrite(t, w, s, []Row{row("2024-05-02 00:00:03", "4")})
	write(w, "b2", []Row{row("2024-05-02 00:00:04", "5")}, 1, 0)
	// A new writer on the same files (a restarted store node) still knows b1.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w2, err := OpenWriter(dir, Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w2.Close() })
	registerDays(t, w2.Days())
	write(w2, "b1", b1, 0, 3)
	checkEqual(t, "rows of 2024-05-01", fileRows(t, dir, "2024-05-01", "a"), [][]string{{"1"}})
	checkEqual(t, "rows of 2024-05-02", fileRows(t, dir, "2024-05-02", "a"), [][]string{{"2"}, {"3"}, {"4"}, {"5"}})
	got, err := w2.Days().Batches(t.Context(), "2024-05-02")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "batches of 2024-05-02", got, map[string]int{"b1": 2, "b2": 1})
	if _, _, err := w2.WriteBatch(s, b1, ""); err == nil {
		t.Fatal("a batch without an id was written")
	}
}
