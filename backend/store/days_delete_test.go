package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// numberedRows returns rows n = from..to-1 of date (UTC) with a 200-byte original.
func numberedRows(t *testing.T, date string, from, to int) []Row {
	t.Helper()
	var rows []Row
	for i := from; i < to; i++ {
		rows = append(rows, Row{ReceivedAt: ns(t, time.UTC, date+" 10:00:00"), SenderIP: "10.0.0.1",
			Values: []sql.NullString{str(fmt.Sprint(i))}, Original: strings.Repeat("x", 200)})
	}
	return rows
}

// dirNames lists the names of the files in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// listedDates returns the dates ds lists.
func listedDates(t *testing.T, ds *Days) []string {
	t.Helper()
	days, err := ds.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range days {
		out = append(out, d.Date)
	}
	return out
}

// gatedWriter lets its first Write through only once gate is closed, telling
// started when it is reached.
type gatedWriter struct {
	bytes.Buffer
	once    sync.Once
	started chan struct{}
	gate    chan struct{}
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.once.Do(func() {
		close(g.started)
		<-g.gate
	})
	return g.Buffer.Write(p)
}

func TestDeletingADayWhileItsExportStreamsFinishesTheExportThenRemovesTheFiles(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	ds := w.Days()
	s := &Schema{Columns: []string{"n"}, KeepOriginal: true}
	const n = 3000 // ~700 KB of CSV: many writes
	mustWrite(t, w, s, numberedRows(t, "2024-03-01", 0, n))
	mustWrite(t, w, s, numberedRows(t, "2024-03-02", 0, 1))

	out := &gatedWriter{started: make(chan struct{}), gate: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- ds.Export(context.Background(), out, []string{"2024-03-01"}, Query{}) }()
	<-out.started // the export is reading the day

	if err := ds.Delete("2024-03-01"); err != nil {
		t.Fatal(err)
	}
	if got := listedDates(t, ds); !slices.Equal(got, []string{"2024-03-02"}) {
		t.Errorf("days listed right after the delete; got %v; want [2024-03-02]", got)
	}
	if _, err := os.Stat(dayPath(dir, "2024-03-01")); !os.IsNotExist(err) {
		t.Errorf("the deleted day's file is still at its path: %v", err)
	}
	if _, err := ds.Open(t.Context(), "2024-03-01"); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("opening the deleted day; got %v; want not found", err)
	}
	close(out.gate)
	if err := <-done; err != nil {
		t.Fatalf("export of a day deleted while it streamed: %v", err)
	}
	recs, err := csv.NewReader(&out.Buffer).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n+1 {
		t.Fatalf("export of a day deleted while it streamed; got %d records; want the header and %d rows", len(recs), n)
	}
	ni := slices.Index(recs[0], "n")
	for i, rec := range recs[1:] {
		if rec[ni] != fmt.Sprint(i) {
			t.Fatalf("record %d of the export; got n=%q; want %d", i+1, rec[ni], i)
		}
	}
	if got := dirNames(t, dir); slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "2024-03-01") }) {
		t.Errorf("files of the deleted day after its last reader let go; got %v; want none", got)
	}
}

// unwrapAll returns the innermost error of a chain of single wraps.
func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestDeletingTodayWhileAQueryHoldsItSendsNewRowsToAFreshFile(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	ds := w.Days()
	s := &Schema{Columns: []string{"n"}}
	mustWrite(t, w, s, numberedRows(t, "2024-03-01", 0, 2))
	old, err := ds.Open(t.Context(), "2024-03-01")
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Delete("2024-03-01"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, s, numberedRows(t, "2024-03-01", 2, 3))

	// The held handle still reads the deleted day whole; a new query reads the fresh file.
	var oldRows int
	if err := old.conn.QueryRowContext(t.Context(), "SELECT count(*) FROM logs").Scan(&oldRows); err != nil || oldRows != 2 {
		t.Errorf("rows through the handle held across the delete; got %d, %v; want 2", oldRows, err)
	}
	p, err := ds.Query(t.Context(), Query{Date: "2024-03-01"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 1 || *p.Rows[0][5] != "2" {
		t.Errorf("rows of the fresh file; got %d rows; want only row 2", len(p.Rows))
	}
	old.Release()
	names := dirNames(t, dir)
	if slices.ContainsFunc(names, func(s string) bool { return strings.HasPrefix(s, tombPrefix) }) {
		t.Errorf("files of the deleted day after the last reader let go; got %v", names)
	}
	// The fresh file survives the old one's removal and keeps its rows.
	mustWrite(t, w, s, numberedRows(t, "2024-03-01", 3, 4))
	checkEqual(t, "rows of the fresh file", fileRows(t, dir, "2024-03-01", "n"), [][]string{{"2"}, {"3"}})
}

func TestDeletingTodayWhileTheWriterWritesLosesNoRowWrittenAfterTheDelete(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	ds := w.Days()
	s := &Schema{Columns: []string{"n"}}
	mustWrite(t, w, s, numberedRows(t, "2024-03-01", 0, 1))
	var started atomic.Int64 // batches the writer has begun
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for b := 1; ; b++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			started.Store(int64(b))
			if _, err := w.Write(s, numberedRows(t, "2024-03-01", b*10, b*10+10)); err != nil {
				done <- err
				return
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for started.Load() < 5 {
		if time.Now().After(deadline) {
			t.Fatal("the writer did not start")
		}
		time.Sleep(time.Millisecond)
	}
	if err := ds.Delete("2024-03-01"); err != nil {
		t.Fatal(err)
	}
	after := started.Load() + 1 // every batch from this one began after Delete returned
	for started.Load() < after+5 {
		if time.Now().After(deadline) {
			t.Fatal("the writer stopped after the delete")
		}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("write after the delete: %v", err)
	}
	got := map[string]bool{}
	for _, r := range fileRows(t, dir, "2024-03-01", "n") {
		got[r[0]] = true
	}
	for b := after; b < after+5; b++ {
		for i := b * 10; i < b*10+10; i++ {
			if !got[fmt.Sprint(i)] {
				t.Fatalf("row %d of batch %d (begun after the delete) is missing from the fresh file", i, b)
			}
		}
	}
	if got["0"] {
		t.Errorf("a row written before the delete is in the fresh file")
	}
}

func TestSizesOpensNoDayFile(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"n"}}
	for _, d := range []string{"2024-03-01", "2024-03-02", "2024-03-03"} {
		mustWrite(t, w, s, numberedRows(t, d, 0, 5))
	}
	// Closed (not only rolled over), so that no index build of the writer's
	// Days opens a file while the hook counts.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// A file that is not a database: opening it would fail.
	if err := os.WriteFile(filepath.Join(dir, "2024-02-28.sqlite3"), []byte("not sqlite"), 0o600); err != nil {
		t.Fatal(err)
	}
	ds := NewDays(dir)
	defer ds.Close()
	var opens atomic.Int64
	hook := func(string) { opens.Add(1) }
	testHookOpen.Store(&hook)
	defer testHookOpen.Store(nil)
	sizes, err := ds.Sizes()
	if err != nil {
		t.Fatal(err)
	}
	var dates []string
	for _, sz := range sizes {
		if sz.Bytes <= 0 {
			t.Errorf("size of %s; got %d; want > 0", sz.Date, sz.Bytes)
		}
		dates = append(dates, sz.Date)
	}
	if want := []string{"2024-02-28", "2024-03-01", "2024-03-02", "2024-03-03"}; !slices.Equal(dates, want) {
		t.Errorf("dates of Sizes; got %v; want %v", dates, want)
	}
	if n := opens.Load(); n != 0 {
		t.Errorf("Sizes opened %d SQLite handles; want none", n)
	}
	if _, err := ds.Query(t.Context(), Query{Date: "2024-03-01"}); err != nil {
		t.Fatal(err)
	}
	if opens.Load() == 0 {
		t.Fatal("the open hook saw no open: it does not count")
	}
}

func TestReadHandlesShareOnePoolPerDay(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	ds := w.Days()
	mustWrite(t, w, &Schema{Columns: []string{"n"}}, numberedRows(t, "2024-03-01", 0, 3))
	var opens atomic.Int64
	hook := func(string) { opens.Add(1) }
	testHookOpen.Store(&hook)
	defer testHookOpen.Store(nil)
	for i := 0; i < 5; i++ {
		if _, err := ds.Query(t.Context(), Query{Date: "2024-03-01"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("database handles opened by 5 queries of one day; got %d; want 1 (pooled)", n)
	}
}
