package store

import (
	"bytes"
	"database/sql"
	"strings"
	"testing"
	"time"
)

// Batches written by node a are copies seen from any other node, counted per
// minute with the query's filters; a's own view has none, nor have batches
// without a writer. An export with RowIDs ends each row with its id.
func TestCopiesAreTheBatchesOfAnotherWriter(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}}
	row := func(at, v string) Row {
		return Row{ReceivedAt: ns(t, time.UTC, at), SenderIP: "s", Values: []sql.NullString{str(v)}}
	}
	mustWrite(t, w, s, []Row{row("2024-05-02 00:00:01", "plain")}) // id 1
	if _, _, err := w.WriteBatchBy(s, []Row{row("2024-05-02 00:00:02", "x"), row("2024-05-02 00:01:03", "y")}, "b1", "a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.WriteBatch(s, []Row{row("2024-05-02 00:02:04", "z")}, "b2"); err != nil { // no writer
		t.Fatal(err)
	}
	if _, _, err := w.WriteBatchBy(s, []Row{row("2024-05-02 00:03:05", "x")}, "b3", "b"); err != nil {
		t.Fatal(err)
	}
	ds := w.Days()
	got, err := ds.Copies(t.Context(), "2024-05-02", "b")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "copies seen from b", got, []BatchCopy{{ID: "b1", Node: "a", Rows: 2, First: 2, Last: 3}})
	if got, err = ds.Copies(t.Context(), "2024-05-02", "a"); err != nil || len(got) != 1 || got[0].ID != "b3" {
		t.Fatalf("copies seen from a; got %+v, %v; want b3", got, err)
	}
	counts, err := ds.CopyCounts(t.Context(), HistogramQuery{Query: Query{Date: "2024-05-02"}}, "b")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "copy counts seen from b", counts, []CopyCount{{Date: "2024-05-02", ID: "b1", Node: "a", Minutes: map[string]int64{"00:00": 1, "00:01": 1}}})
	counts, err = ds.CopyCounts(t.Context(), HistogramQuery{Query: Query{Date: "2024-05-02", Q: "y"}}, "b")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "copy counts of q=y seen from b", counts, []CopyCount{{Date: "2024-05-02", ID: "b1", Node: "a", Minutes: map[string]int64{"00:01": 1}}})
	var buf bytes.Buffer
	if err := ds.Export(t.Context(), &buf, []string{"2024-05-02"}, Query{RowIDs: true, Q: "x"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], ",id") || !strings.HasSuffix(lines[1], ",2") || !strings.HasSuffix(lines[2], ",5") {
		t.Fatalf("unexpected export with row ids:\n%s", buf.String())
	}
}
