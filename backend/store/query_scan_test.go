package store

import (
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sparseFixture writes n rows (ids 1..n) whose user is "Needle" where
// needle(id) holds, and returns the dir.
func sparseFixture(t *testing.T, n int, needle func(id int) bool) string {
	t.Helper()
	w, dir := openTestWriter(t, time.UTC)
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	s := &Schema{Columns: []string{"user"}, KeepOriginal: true}
	var rows []Row
	for id := 1; id <= n; id++ {
		user := fmt.Sprintf("user%05d", id)
		if needle(id) {
			user = "Needle"
		}
		rows = append(rows, Row{ReceivedAt: at + int64(id)*1e6, SenderIP: "10.0.0.1",
			Values: []sql.NullString{str(user)}, Original: "login of " + user})
	}
	mustWrite(t, w, s, rows)
	return dir
}

// A search that the first range does not answer reads the next ranges on
// two connections at the same time, and the page is the same as one
// reader's: the hook holds the readers of the first two ranges until both
// are reading (a single reader never gets there).
func TestSparseQueryReadsTwoRangesAtOnce(t *testing.T) {
	dir := sparseFixture(t, 200, func(id int) bool { return id == 4 || id == 151 })
	defer func(c int64, r int) { scanChunk, scanReaders = c, r }(scanChunk, scanReaders)
	scanChunk, scanReaders = 10, 2
	var arrived atomic.Int32
	both := make(chan struct{})
	var met atomic.Bool
	testHookReader = func(k int) {
		if k > 1 {
			return
		}
		if arrived.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
			met.Store(true)
		case <-time.After(5 * time.Second):
		}
	}
	defer func() { testHookReader = nil }()
	for _, desc := range []bool{true, false} {
		arrived.Store(0)
		both = make(chan struct{})
		met.Store(false)
		p, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Order: []string{"user"}, Q: "needle", Desc: desc})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"151", "4"}
		if !desc {
			want = []string{"4", "151"}
		}
		checkEqual(t, fmt.Sprintf("ids (desc %v)", desc), pageIDs(p), want)
		if !met.Load() {
			t.Fatalf("desc %v: the first two ranges after the first were not read at the same time", desc)
		}
	}
}

// The scan's budget ends while the readers are ahead (the hook delays the
// reader of the fifth range past it): the page ends with LimitTime and a
// cursor after the last range it took whole, and going on from the cursor
// gives every match exactly once, in order.
func TestSparseQueryOutOfTimeAmongReadersResumesExactly(t *testing.T) {
	dir := sparseFixture(t, 300, func(id int) bool { return id%7 == 0 })
	defer func(c int64, b time.Duration, r int) { scanChunk, scanBudget, scanReaders = c, b, r }(scanChunk, scanBudget, scanReaders)
	scanChunk = 10
	for _, run := range []struct {
		desc    bool
		readers int
	}{{true, 1}, {false, 1}, {true, 2}, {false, 2}} {
		desc := run.desc
		scanReaders = run.readers
		var want []string
		for id := 1; id <= 300; id++ {
			if id%7 == 0 {
				want = append(want, fmt.Sprint(id))
			}
		}
		if desc {
			slices.Reverse(want)
		}
		scanBudget = 300 * time.Millisecond
		testHookReader = func(k int) {
			if k == 4 {
				time.Sleep(600 * time.Millisecond)
			}
		}
		q := Query{Date: queryDate, Order: []string{"user"}, Q: "needle", Desc: desc, Limit: MaxLimit}
		p, err := QueryDay(t.Context(), dir, q)
		testHookReader = nil
		if err != nil {
			t.Fatal(err)
		}
		if p.LimitReason != LimitTime || p.NextCursor == nil {
			t.Fatalf("desc %v: unexpected end of the first page; got reason %q, cursor %v; want %q and a cursor", desc, p.LimitReason, p.NextCursor, LimitTime)
		}
		got := pageIDs(p)
		// The first range (10 ids) and the four after it were taken: 50 ids.
		if n := len(got); n != 7 {
			t.Fatalf("desc %v: unexpected rows before the budget ended; got %d (%v); want the 7 of the first 50 ids", desc, n, got)
		}
		scanBudget = 2 * time.Second
		for pages := 0; p.NextCursor != nil; pages++ {
			if pages > 10 {
				t.Fatalf("desc %v: no end after %d pages", desc, pages)
			}
			q.Cursor = *p.NextCursor
			if p, err = QueryDay(t.Context(), dir, q); err != nil {
				t.Fatal(err)
			}
			got = append(got, pageIDs(p)...)
		}
		checkEqual(t, fmt.Sprintf("ids (desc %v)", desc), got, want)
	}
}

// sqliteMapLimit is the SQLITE_MAX_MMAP_SIZE this test binary's SQLite was
// built with: the Makefile's -DSQLITE_MAX_MMAP_SIZE in CGO_CFLAGS, else
// SQLite's default for Linux.
func sqliteMapLimit(t *testing.T) int64 {
	for _, f := range strings.Fields(os.Getenv("CGO_CFLAGS")) {
		if v, ok := strings.CutPrefix(f, "-DSQLITE_MAX_MMAP_SIZE="); ok {
			n, err := strconv.ParseInt(v, 0, 64)
			if err != nil {
				t.Fatalf("CGO_CFLAGS: %q is not a number", f)
			}
			return n
		}
	}
	return 0x7fff0000
}

// A day's read connections map readMapBytes of the file (off: 0) or as much
// as the build allows (make builds with 1 TiB); the purge's writing
// connection does not map.
func TestDayReadConnectionsMapReadMapBytes(t *testing.T) {
	dir := sparseFixture(t, 10, func(int) bool { return false })
	ds := NewDays(dir)
	defer ds.Close()
	v, err := ds.Open(t.Context(), queryDate)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	var got int64
	if err := v.conn.QueryRowContext(t.Context(), "PRAGMA mmap_size").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := min(readMapBytes, sqliteMapLimit(t)); got != want {
		t.Fatalf("unexpected mmap_size of a read connection; got %d; want %d", got, want)
	}
	w := gatedOpen(v.d.path, "_busy_timeout=10000", &readGate{}, false)
	defer w.Close()
	if err := w.QueryRowContext(t.Context(), "PRAGMA mmap_size").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != 0 {
		t.Fatalf("unexpected mmap_size of a purge connection; got %d; want 0", got)
	}
}

// A read-ahead statement takes a free scan slot, else the spare slot while
// no statement waits for one, else waits for a scan slot like any; a
// statement that is not a read-ahead never takes the spare.
func TestReadAheadTakesTheSpareSlotOnlyWhileNoneWaits(t *testing.T) {
	defer func(s chan struct{}) { scanSlots = s }(scanSlots)
	scanSlots = make(chan struct{}, 1)
	if got := takeSlot(false); got != scanSlots {
		t.Fatal("a free scan slot was not taken")
	}
	// took reports the semaphore f took, or nil when it still waits after 200 ms.
	took := func(f func() chan struct{}) (chan struct{}, chan chan struct{}) {
		ch := make(chan chan struct{}, 1)
		go func() { ch <- f() }()
		select {
		case s := <-ch:
			return s, nil
		case <-time.After(200 * time.Millisecond):
			return nil, ch
		}
	}
	if s, _ := took(func() chan struct{} { return takeSlot(true) }); s != spareSlot {
		t.Fatal("a read-ahead with every scan slot taken and none waiting did not take the spare slot")
	}
	<-spareSlot
	s, waiting := took(func() chan struct{} { return takeSlot(false) })
	if s != nil {
		t.Fatal("a statement that is not a read-ahead took a slot while every scan slot was taken")
	}
	if s, ahead := took(func() chan struct{} { return takeSlot(true) }); s != nil {
		t.Fatalf("a read-ahead took a slot (spare: %v) while a statement waited for one", s == spareSlot)
	} else {
		// The slot is given back twice: the two waiting get it in turn.
		for range 2 {
			<-scanSlots
			var got chan struct{}
			select {
			case got = <-waiting:
			case got = <-ahead:
			}
			if got != scanSlots {
				t.Fatal("a waiting statement got the spare slot, not the scan slot")
			}
		}
		<-scanSlots
	}
	if n := slotWaiters.Load(); n != 0 {
		t.Fatalf("%d waiters counted after every statement got its slot; want 0", n)
	}
}
