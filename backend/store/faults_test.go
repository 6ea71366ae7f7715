package store

import (
	"database/sql"
	"fmt"
	"testing"
	"time"
)

func TestDayDeletedUnderAnOpenWriterIsCreatedAgain(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"n"}}
	row := func(n int) Row {
		return Row{ReceivedAt: ns(t, time.UTC, "2024-03-01 10:00:00"), SenderIP: "10.0.0.1", Values: []sql.NullString{str(fmt.Sprint(n))}}
	}
	mustWrite(t, w, s, []Row{row(1), row(2)})
	if err := DeleteDay(dir, "2024-03-01"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, s, []Row{row(3)})
	checkEqual(t, "rows written after the day was deleted", fileRows(t, dir, "2024-03-01", "n"), [][]string{{"3"}})
}

func TestCursorFarOutsideTheDayDoesNotScanEmptyRanges(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"n"}}
	var rows []Row
	for i := 0; i < 3; i++ {
		rows = append(rows, Row{ReceivedAt: ns(t, time.UTC, "2024-03-01 10:00:00"), SenderIP: "10.0.0.1", Values: []sql.NullString{str(fmt.Sprint(i))}})
	}
	mustWrite(t, w, s, rows)
	f := func(cursor string, desc bool, want int) {
		t.Helper()
		t0 := time.Now()
		p, err := QueryDay(t.Context(), dir, Query{Date: "2024-03-01", Cursor: cursor, Desc: desc, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(t0); el > time.Second || len(p.Rows) != want || p.NextCursor != nil {
			t.Fatalf("cursor %s desc=%v; got %d rows, next %v, in %v; want %d rows at once", cursor, desc, len(p.Rows), p.NextCursor, el, want)
		}
	}
	f("9223372036854775807", true, 3)
	f("5000000000", true, 3)
	f("9223372036854775807", false, 0)
	f("0", false, 3)
}
