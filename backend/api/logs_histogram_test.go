package api_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
	"github.com/logsieve/logsieve/backend/store"
)

// rangeEngine makes engine "rg" with 150 rows on 2026-03-01, 100 on 2026-03-02 and 130
// on 2026-03-04 (none on 2026-03-03), one a second from 10:00:00 UTC, msg alternating
// alpha and beta.
func rangeEngine(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.stoppedEngine(t, "rg")
	for date, n := range map[string]int{"2026-03-01": 150, "2026-03-02": 100, "2026-03-04": 130} {
		originals, msgs := make([]string, n), make([]string, n)
		for i := range n {
			msgs[i] = []string{"alpha", "beta"}[i%2]
			originals[i] = fmt.Sprintf("%s row %d msg=%s", date, i, msgs[i])
		}
		e.writeDay(t, "rg", date, originals, msgs...)
	}
	return e
}

type histogram struct {
	BucketS int `json:"bucket_s"`
	Buckets []struct {
		T string `json:"t"`
		N int64  `json:"n"`
	} `json:"buckets"`
	Total    int64 `json:"total"`
	Complete bool  `json:"complete"`
}

func (e *env) histogram(t *testing.T, query string) histogram {
	t.Helper()
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/rg/histogram?" + query, Token: e.viewer})
	if r.Status != 200 {
		t.Fatalf("histogram?%s; got %d %s", query, r.Status, r.Body)
	}
	var h histogram
	r.JSON(t, &h)
	return h
}

// plainBuckets counts the rows rangeEngine wrote on date (n of them) with index i
// for which keep holds, per bucket of bucketS seconds.
func plainBuckets(date string, n, bucketS int, keep func(i int) bool) map[string]int64 {
	out := map[string]int64{}
	for i := range n {
		if keep(i) {
			s := (10*3600 + i) / bucketS * bucketS
			out[fmt.Sprintf("%sT%02d:%02d", date, s/3600, s%3600/60)]++
		}
	}
	return out
}

func merge(ms ...map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] += v
		}
	}
	return out
}

func checkHistogram(t *testing.T, query string, h histogram, bucketS int, want map[string]int64) {
	t.Helper()
	got := map[string]int64{}
	var total int64
	for i, b := range h.Buckets {
		if i > 0 && h.Buckets[i-1].T >= b.T {
			t.Fatalf("histogram?%s: buckets not ascending: %v", query, h.Buckets)
		}
		got[b.T] = b.N
		total += b.N
	}
	var wantTotal int64
	for _, n := range want {
		wantTotal += n
	}
	if h.BucketS != bucketS || !h.Complete || h.Total != total || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("histogram?%s; got bucket_s %d complete %v total %d buckets %v; want %d true %d %v",
			query, h.BucketS, h.Complete, h.Total, got, bucketS, wantTotal, want)
	}
}

func TestHistogramEqualsAPlainCount(t *testing.T) {
	e := rangeEngine(t)
	all := func(int) bool { return true }
	f := func(query string, bucketS int, want map[string]int64) {
		t.Helper()
		checkHistogram(t, query, e.histogram(t, query), bucketS, want)
	}
	f("date=2026-03-01", 60, plainBuckets("2026-03-01", 150, 60, all))
	f("date=2026-03-01&q=ALPHA", 60, plainBuckets("2026-03-01", 150, 60, func(i int) bool { return i%2 == 0 }))
	f("date=2026-03-01&filter=msg=beta", 60, plainBuckets("2026-03-01", 150, 60, func(i int) bool { return i%2 == 1 }))
	f("date=2026-03-01&from=10:00:30&to=10:01:10", 60, plainBuckets("2026-03-01", 150, 60, func(i int) bool { return i >= 30 && i <= 70 }))
	f("date=2026-03-03", 60, map[string]int64{})
	f("start=2026-03-01T10:01&end=2026-03-04T10:00:59", 300, merge(
		plainBuckets("2026-03-01", 150, 300, func(i int) bool { return i >= 60 }),
		plainBuckets("2026-03-02", 100, 300, all),
		plainBuckets("2026-03-04", 130, 300, func(i int) bool { return i < 60 })))
	f("start=2026-03-02T00:00&filter=msg:alp", 300, merge(
		plainBuckets("2026-03-02", 100, 300, func(i int) bool { return i%2 == 0 }),
		plainBuckets("2026-03-04", 130, 300, func(i int) bool { return i%2 == 0 })))

	// last ends at the API's clock, in the engine's timezone.
	now := time.Date(2026, 3, 4, 10, 1, 0, 0, time.UTC)
	e.now.Store(&now)
	f("last=90s", 60, plainBuckets("2026-03-04", 130, 60, func(i int) bool { return i <= 60 }))
	f("last=2d", 300, merge(
		plainBuckets("2026-03-02", 100, 300, func(i int) bool { return i >= 60 }),
		plainBuckets("2026-03-04", 130, 300, func(i int) bool { return i <= 60 })))

	// A file written before the minute counts existed is counted by its rows.
	dir, err := e.f.Dir("rg")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "2026-03-02.sqlite3")+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE logsieve_minutes"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f("date=2026-03-02&from=10:00:10", 60, plainBuckets("2026-03-02", 100, 60, func(i int) bool { return i >= 10 }))
	f("start=2026-03-01T10:01&end=2026-03-04T10:00:59", 300, merge(
		plainBuckets("2026-03-01", 150, 300, func(i int) bool { return i >= 60 }),
		plainBuckets("2026-03-02", 100, 300, all),
		plainBuckets("2026-03-04", 130, 300, func(i int) bool { return i < 60 })))
}

func TestHistogramAfterAClientPurge(t *testing.T) {
	e := newEnv(t)
	e.stoppedEngine(t, "rg")
	dir, err := e.f.Dir("rg")
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.OpenWriter(dir, store.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	rows := make([]store.Row, 300) // one a second; every third row is client "gone"
	for i := range rows {
		cl := sql.NullString{String: "kept", Valid: true}
		if i%3 == 0 {
			cl.String = "gone"
		}
		rows[i] = store.Row{ReceivedAt: at.Add(time.Duration(i) * time.Second).UnixNano(), SenderIP: "192.0.2.7", Client: cl,
			Values: make([]sql.NullString, 3)}
	}
	if _, err := w.Write(&store.Schema{Columns: []string{"msg", "dst_ip", "dst_port"}}, rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/engines/rg/clients", Token: e.admin,
		Body: `{"name":"gone","match":"192.0.2.9"}`}); r.Status != 201 {
		t.Fatalf("add client; got %d %s", r.Status, r.Body)
	}
	r := e.Do(apitest.Request{Method: "DELETE", Path: "/api/v1/engines/rg/clients/gone?purge=true", Token: e.admin})
	if r.Status != 202 {
		t.Fatalf("purge; got %d %s; want 202", r.Status, r.Body)
	}
	var acc struct {
		Job struct {
			ID string `json:"id"`
		} `json:"job"`
	}
	r.JSON(t, &acc)
	apitest.Eventually(t, 10*time.Second, "the purge job to finish", func() bool {
		var j struct {
			State string `json:"state"`
		}
		e.Do(apitest.Request{Method: "GET", Path: "/api/v1/jobs/" + acc.Job.ID, Token: e.viewer}).JSON(t, &j)
		return j.State == "done"
	})
	kept := plainBuckets("2026-03-01", 300, 60, func(i int) bool { return i%3 != 0 })
	for _, q := range []string{"date=2026-03-01", "date=2026-03-01&from=10:00:30&to=10:04:10"} {
		want := kept
		if strings.Contains(q, "from") {
			want = plainBuckets("2026-03-01", 300, 60, func(i int) bool { return i%3 != 0 && i >= 30 && i <= 250 })
		}
		checkHistogram(t, q, e.histogram(t, q), 60, want)
	}
}
