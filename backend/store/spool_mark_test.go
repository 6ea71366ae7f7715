package store

import (
	"database/sql"
	"testing"
	"time"
)

func TestSpoolMarkCommitsWithTheRowsOfEachDay(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	ds := w.Days()
	s := &Schema{Columns: []string{"a"}}
	row := func(at string, pos uint64) Row {
		return Row{ReceivedAt: ns(t, time.UTC, at), SenderIP: "s", Values: []sql.NullString{str("x")}, SpoolPos: pos}
	}
	mark := func(date string) uint64 {
		t.Helper()
		m, err := ds.SpoolMark(t.Context(), date)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Rows not replayed from a spool leave no mark; a day without a file has none.
	mustWrite(t, w, s, []Row{row("2024-05-01 10:00:00", 0)})
	checkEqual(t, "marks before any spooled row", []uint64{mark("2024-05-01"), mark("2024-05-09")}, []uint64{0, 0})
	// One Write over two days: each file gets the highest position of its own rows.
	mustWrite(t, w, s, []Row{row("2024-05-01 23:59:59", 5<<32|7), row("2024-05-02 00:00:01", 5<<32|8), row("2024-05-02 00:00:01", 5<<32|9), row("2024-05-02 00:00:02", 0)})
	checkEqual(t, "marks per day", []uint64{mark("2024-05-01"), mark("2024-05-02")}, []uint64{5<<32 | 7, 5<<32 | 9})
	// A mark never goes down.
	mustWrite(t, w, s, []Row{row("2024-05-01 23:59:59", 5<<32|2)})
	checkEqual(t, "mark after a lower position", mark("2024-05-01"), uint64(5<<32|7))
	top, err := ds.MaxSpoolMark(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "highest mark", top, uint64(5<<32|9))
}

func TestFailedWriteLeavesTheSpoolMark(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}}
	at := ns(t, time.UTC, "2024-05-01 10:00:00")
	mustWrite(t, w, s, []Row{{ReceivedAt: at, SenderIP: "s", Values: []sql.NullString{str("x")}, SpoolPos: 3}})
	// A row with the wrong value count fails the whole Write before any insert.
	if _, err := w.Write(s, []Row{{ReceivedAt: at, SenderIP: "s", Values: nil, SpoolPos: 9}}); err == nil {
		t.Fatal("write of a bad row succeeded")
	}
	m, err := w.Days().SpoolMark(t.Context(), "2024-05-01")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "mark after a failed write", m, uint64(3))
}
