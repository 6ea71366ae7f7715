package store

import (
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// writeClients writes n rows per (date, client) pair into w, the writer kept
// open like an engine's (today's file stays open while purging).
func writeClients(t *testing.T, w *Writer, date string, n int, clients ...string) {
	t.Helper()
	s := &Schema{Columns: []string{"k"}}
	var rows []Row
	for i := 0; i < n; i++ {
		for j, c := range clients {
			cl := null
			if c != "" {
				cl = str(c)
			}
			rows = append(rows, Row{ReceivedAt: ns(t, time.UTC, fmt.Sprintf("%s 10:00:%02d", date, (i+j)%60)),
				SenderIP: "10.0.0.1", Client: cl, Values: []sql.NullString{str(fmt.Sprint(i))}})
		}
	}
	mustWrite(t, w, s, rows)
}

func TestPurgeClientDeletesExactlyThatClientsRows(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	writeClients(t, w, "2024-05-01", 30000, "a", "b", "")
	writeClients(t, w, "2024-05-02", 100, "a", "b")
	ForgetClientCounts(dir)
	before, err := CountByClient(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "counts before", before, map[string]int64{"a": 30100, "b": 30100})

	var calls int
	var last [2]int64
	n, err := PurgeClient(t.Context(), dir, "a", func(done, total int64) { calls++; last = [2]int64{done, total} })
	if err != nil {
		t.Fatal(err)
	}
	if n != 30100 {
		t.Errorf("deleted; got %d; want 30100", n)
	}
	if calls < 4 || last[0] != last[1] || last[1] != 90000+200 {
		t.Errorf("progress; got %d calls ending %v; want several ending at 90200/90200", calls, last)
	}
	// The writer still works on the purged (open) file.
	writeClients(t, w, "2024-05-02", 1, "a")
	ForgetClientCounts(dir)
	after, err := CountByClient(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "counts after", after, map[string]int64{"a": 1, "b": 30100})
	if rows := fileRows(t, dir, "2024-05-01", "client"); len(rows) != 60000 {
		t.Errorf("rows left on 2024-05-01; got %d; want 60000 (b and no client)", len(rows))
	}
	// The days list counts what is left, and rows written after the purge.
	days, err := ListDays(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, d := range days {
		got[d.Date] = d.Rows
	}
	checkEqual(t, "day rows after the purge", got, map[string]int64{"2024-05-01": 60000, "2024-05-02": 101})
}

func TestDayRowsAfterPurgingTheLastRowsAndWritingMore(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	writeClients(t, w, "2024-05-01", 10, "x")
	writeClients(t, w, "2024-05-01", 10, "y") // ids 11-20, the tail
	if _, err := PurgeClient(t.Context(), dir, "y", nil); err != nil {
		t.Fatal(err)
	}
	writeClients(t, w, "2024-05-01", 5, "z") // SQLite gives them ids 11-15 again
	days, err := ListDays(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || days[0].Rows != 15 || len(fileRows(t, dir, "2024-05-01", "client")) != 15 {
		t.Fatalf("got days %+v; want one day of 15 rows", days)
	}
}

func TestCountByClientOfEmptyDir(t *testing.T) {
	got, err := CountByClient(t.Context(), t.TempDir()+"/none")
	if err != nil || len(got) != 0 {
		t.Errorf("got %v, %v; want empty, nil", got, err)
	}
}
