package store

import (
	"database/sql"
	"testing"
	"time"
)

func TestRowBatchesNameTheBatchOfEachRow(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}}
	row := func(at, v string) Row {
		return Row{ReceivedAt: ns(t, time.UTC, at), SenderIP: "s", Values: []sql.NullString{str(v)}}
	}
	mustWrite(t, w, s, []Row{row("2024-05-02 00:00:01", "plain")}) // id 1: no batch
	if _, _, err := w.WriteBatch(s, []Row{row("2024-05-02 00:00:02", "1"), row("2024-05-02 00:00:03", "2")}, "b1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.WriteBatch(s, []Row{row("2024-05-02 00:00:04", "3")}, "b2"); err != nil {
		t.Fatal(err)
	}
	// b1 delivered again takes no row ids.
	if _, _, err := w.WriteBatch(s, []Row{row("2024-05-02 00:00:02", "1")}, "b1"); err != nil {
		t.Fatal(err)
	}
	got, err := w.Days().RowBatches(t.Context(), "2024-05-02", []int64{4, 3, 2, 1, 99})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "batches of rows 4, 3, 2, 1, 99", got, []string{"b2", "b1", "b1", "", ""})
}
