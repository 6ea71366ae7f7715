package store

import (
	"database/sql"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// heapPeak runs f while sampling the heap in use and returns the largest
// growth over the heap in use before f.
func heapPeak(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base {
				peak = max(peak, ms.HeapInuse-base)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak
}

// TestQueryAndExportOfHugeRowsStayInBoundedMemory: a day of 1,500 rows of
// 60 KB logs (90 MB) is paged and exported in a few MiB, not held whole.
func TestQueryAndExportOfHugeRowsStayInBoundedMemory(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}, KeepOriginal: true}
	orig := strings.Repeat("0123456789,", 60_000/11)
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	const rows = 1500
	for range rows / 100 {
		batch := make([]Row, 100)
		for i := range batch {
			at += 1e6
			batch[i] = Row{ReceivedAt: at, SenderIP: "10.0.0.1", Values: []sql.NullString{str("a")}, Original: orig}
		}
		mustWrite(t, w, s, batch)
	}
	const bound = 40 << 20 // the day is 90 MB
	ds := w.Days()
	var out countingWriter
	peak := heapPeak(func() {
		if err := ds.Export(t.Context(), &out, []string{queryDate}, Query{Order: s.Columns}); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("export: heap grew by up to %d bytes", peak)
	if peak > bound {
		t.Fatalf("the export grew the heap by %d bytes; want at most %d", peak, bound)
	}
	if want := int64(rows * len(orig)); out.n < want {
		t.Fatalf("the export wrote %d bytes; want more than %d", out.n, want)
	}
	peak = heapPeak(func() {
		p, err := ds.Query(t.Context(), Query{Date: queryDate, Limit: MaxLimit, Order: s.Columns})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Rows) == 0 || p.LimitReason != LimitBytes {
			t.Fatalf("page of %d rows ended by %q; want the byte cap", len(p.Rows), p.LimitReason)
		}
	})
	t.Logf("page: heap grew by up to %d bytes", peak)
	if peak > bound {
		t.Fatalf("a page grew the heap by %d bytes; want at most %d", peak, bound)
	}
}
