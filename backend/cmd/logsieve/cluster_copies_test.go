package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/cluster"
)

// A day file of store node s1 copied by hand into s2 (s2 stopped, its own
// file of the day replaced, started again, then storing more logs into the
// copy): /days, /histogram and export.csv through any node count every log
// once, as /logs lists it; once s1 deleted its file of the day, the rows of
// s2's copy count (nothing lost).
func TestClusterCountsCopiedBatchesOnce(t *testing.T) {
	nats, s1, s2, in, port, sent := fanCluster(t)
	files, _ := filepath.Glob(filepath.Join(s1.dir, "engines", "fan", "*.sqlite3"))
	if len(files) != 1 {
		t.Fatalf("s1 has %d day files; want 1", len(files))
	}
	date := strings.TrimSuffix(filepath.Base(files[0]), ".sqlite3")
	copied := len(localRows(s1.dir, "fan"))

	// The copy: a consistent snapshot of s1's file (as sqlite3 .backup
	// makes), in place of s2's own file of the day.
	s2.cancel()
	err := <-s2.done
	s2.done <- err
	dst := filepath.Join(s2.dir, "engines", "fan", date+".sqlite3")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(dst + suffix)
	}
	db, err := sql.Open("sqlite3", "file:"+files[0]+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("VACUUM INTO ?", dst); err != nil {
		t.Fatal(err)
	}
	db.Close()
	dir2 := s2.dir
	s2 = startServerWith(t, func(o *serveOptions) {
		o.DataDir = dir2
		o.Cluster = cluster.Config{NATS: nats, Node: "s2", Role: "store", Secret: fanSecret}
	})
	s2.dir = dir2
	// More logs, some stored into s2's copied file as its own batches (s2's
	// own rows of before are gone with its file).
	want := copied
	for more := 0; more < 20; more++ {
		sendSeq(t, &in.child, "fan", port, sent, sent+150)
		sent += 150
		want += 150
		deadline := time.Now().Add(15 * time.Second)
		for len(union(localRows(s1.dir, "fan"), localRows(s2.dir, "fan"))) < want {
			if time.Now().After(deadline) {
				t.Fatalf("stored after 15 s: %d of %d", len(union(localRows(s1.dir, "fan"), localRows(s2.dir, "fan"))), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if more >= 2 && len(localRows(s2.dir, "fan")) > copied {
			break
		}
	}
	on1, on2 := localRows(s1.dir, "fan"), localRows(s2.dir, "fan")
	if len(on1)+len(on2) <= want || len(union(on1, on2)) != want {
		t.Fatalf("no copies, or rows lost: %d + %d rows, %d distinct; want %d distinct", len(on1), len(on2), len(union(on1, on2)), want)
	}
	t.Logf("%d distinct rows: %d on s1, %d on s2 (%d copied from s1)", want, len(on1), len(on2), copied)

	check := func(want int) {
		t.Helper()
		for _, c := range []*server{in, s1, s2} {
			for _, extra := range []string{"?date=" + date, "?last=1d"} {
				var h fanHistogram
				c.call(t, "GET", "/api/v1/engines/fan/histogram"+extra, nil, 200, &h)
				if h.Total != int64(want) || !h.Complete || h.Partial {
					t.Fatalf("histogram%s through %s: %+v; want total %d", extra, c.base, h, want)
				}
				checkCSV(t, &c.child, "/api/v1/engines/fan/export.csv"+extra, want, "")
			}
			var days []struct {
				Date string `json:"date"`
				Rows int    `json:"rows"`
			}
			c.call(t, "GET", "/api/v1/engines/fan/days", nil, 200, &days)
			if len(days) != 1 || days[0].Rows != want {
				t.Fatalf("/days through %s: %+v; want %d rows on %s", c.base, days, want, date)
			}
		}
		if ns, _, _ := listAll(t, &in.child, 97, ""); len(ns) != want {
			t.Fatalf("/logs lists %d rows; want %d", len(ns), want)
		}
	}
	check(want)

	// s1 deletes its file of the day: the copies on s2 are all that is left
	// of its batches, and count.
	s1.call(t, "DELETE", "/api/v1/engines/fan/days/"+date, nil, 204, nil)
	left := len(union(localRows(s1.dir, "fan"), localRows(s2.dir, "fan")))
	if len(localRows(s1.dir, "fan")) != 0 || left != len(localRows(s2.dir, "fan")) {
		t.Fatalf("after s1's delete: %d rows on s1, %d distinct rows left, %d on s2; want s2's only", len(localRows(s1.dir, "fan")), left, len(localRows(s2.dir, "fan")))
	}
	check(left)
}

// union returns the keys of a and b.
func union(a, b map[int]bool) map[int]bool {
	out := make(map[int]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
