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
