package api

import (
	"reflect"
	"testing"

	"github.com/logsieve/logsieve/backend/store"
)

func TestHistogramsOfTwoNodesAddUpInTheLongerBuckets(t *testing.T) {
	a := store.Histogram{BucketS: 60, Complete: true, Total: 3, Buckets: []store.Bucket{{T: "2026-12-01T10:04", N: 1}, {T: "2026-12-01T10:07", N: 2}}}
	b := store.Histogram{BucketS: 300, Complete: false, Total: 4, Buckets: []store.Bucket{{T: "2026-12-01T10:05", N: 4}}}
	got := sumHistograms([]store.Histogram{a, b})
	want := store.Histogram{BucketS: 300, Complete: false, Total: 7,
		Buckets: []store.Bucket{{T: "2026-12-01T10:00", N: 1}, {T: "2026-12-01T10:05", N: 6}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unexpected sum; got %+v; want %+v", got, want)
	}
	f := func(t0 string, secs int, want string) {
		t.Helper()
		if got := foldBucket(t0, secs); got != want {
			t.Fatalf("foldBucket(%q, %d); got %q; want %q", t0, secs, got, want)
		}
	}
	f("2026-12-01T23:59", 86400, "2026-12-01T00:00")
	f("2026-12-01T23:59", 10800, "2026-12-01T21:00")
	f("2026-12-01T10:07", 60, "2026-12-01T10:07")
}

func TestClusterCursorRoundTripsAndRefusesOthers(t *testing.T) {
	m := map[string]string{"s1": "4711", "s2": cursorDone, "s3": "2026-12-01:9"}
	got, err := decodeClusterCursor(encodeClusterCursor(m))
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("unexpected round trip; got %v, %v; want %v", got, err, m)
	}
	for _, bad := range []string{"12", "c1.", "c1.!!", "c1.e30", "2026-12-01:5"} {
		if _, err := decodeClusterCursor(bad); err == nil {
			t.Fatalf("cursor %q accepted", bad)
		}
	}
}

func TestMergeStopsWhereANodesPageEndedEarly(t *testing.T) {
	s := func(v string) *string { return &v }
	cols := []string{"id", "time", "n"}
	page := func(next *string, reason string, rows ...[]*string) *store.Page {
		return &store.Page{Columns: cols, Rows: rows, NextCursor: next, LimitReason: reason}
	}
	q := store.Query{Date: "2026-12-01", Desc: true}
	// b's scan ran out of time after its row at 10:00:05: a's rows after that
	// wait for b's next page.
	a := &nodePart{node: "a", page: page(nil, "", []*string{s("9"), s("10:00:09"), s("a9")}, []*string{s("8"), s("10:00:01"), s("a8")})}
	b := &nodePart{node: "b", page: page(s("4"), store.LimitTime, []*string{s("5"), s("10:00:05"), s("b5")})}
	out := mergePages([]*nodePart{a, b}, q, false, 10, decodeSeen(""))
	if len(out.Rows) != 2 || *out.Rows[0][2] != "a9" || *out.Rows[1][2] != "b5" || out.LimitReason == nil || *out.LimitReason != store.LimitTime {
		t.Fatalf("unexpected merge: %d rows, reason %v", len(out.Rows), out.LimitReason)
	}
	if a.taken != 1 || b.taken != 1 || !reflect.DeepEqual(out.RowNodes, []string{"a", "b"}) {
		t.Fatalf("unexpected taken a=%d b=%d nodes %v", a.taken, b.taken, out.RowNodes)
	}
	// Equal times: by node, then id newest first; at most limit rows.
	a = &nodePart{node: "a", page: page(nil, "", []*string{s("2"), s("10:00:00"), s("a2")}, []*string{s("1"), s("10:00:00"), s("a1")})}
	b = &nodePart{node: "b", page: page(nil, "", []*string{s("7"), s("10:00:00"), s("b7")})}
	out = mergePages([]*nodePart{b, a}, q, false, 2, decodeSeen(""))
	if len(out.Rows) != 2 || *out.Rows[0][2] != "a2" || *out.Rows[1][2] != "a1" || out.LimitReason != nil {
		t.Fatalf("unexpected merge of equal times: %d rows %v", len(out.Rows), out.RowNodes)
	}
}

// A day file copied from store node a to b: b's rows carry a's batch ids at
// the same times. Paged two rows at a time, the merge lists each row once
// (a's), also when a row and its copy fall on two pages, and keeps b's own
// batch and the rows of no known batch.
func TestMergeDropsTheRowsOfABatchAnotherNodeHolds(t *testing.T) {
	s := func(v string) *string { return &v }
	cols := []string{"id", "time", "n"}
	type row struct{ id, time, n, batch string }
	aRows := []row{{"3", "10:00:03", "x3", "B1"}, {"2", "10:00:02", "x2", "B1"}, {"1", "10:00:02", "x1", "B0"}}
	bRows := []row{{"9", "10:00:04", "own", "B9"}, {"3", "10:00:03", "x3", "B1"}, {"2", "10:00:02", "x2", "B1"},
		{"1", "10:00:02", "x1", "B0"}, {"8", "10:00:02", "plain", ""}}
	part := func(node string, rows []row) *nodePart {
		p := &nodePart{node: node, page: &store.Page{Columns: cols}}
		for _, r := range rows {
			p.page.Rows = append(p.page.Rows, []*string{s(r.id), s(r.time), s(r.n)})
			p.batches = append(p.batches, r.batch)
		}
		return p
	}
	q := store.Query{Date: "2026-12-01", Desc: true}
	var got []string
	cursor := ""
	ai, bi := 0, 0
	for pages := 0; ai < len(aRows) || bi < len(bRows); pages++ {
		if pages > 10 {
			t.Fatal("more than 10 pages")
		}
		a, b := part("a", aRows[ai:]), part("b", bRows[bi:])
		seen := decodeSeen(cursor)
		out := mergePages([]*nodePart{a, b}, q, false, 2, seen)
		for i, r := range out.Rows {
			got = append(got, out.RowNodes[i]+":"+*r[2])
		}
		cursor = seen.encode()
		ai, bi = ai+a.taken, bi+b.taken
	}
	want := []string{"b:own", "a:x3", "a:x2", "a:x1", "b:plain"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unexpected rows; got %q; want %q", got, want)
	}
	// Without batches (older files) nothing is dropped.
	a, b := part("a", aRows), part("b", bRows)
	a.batches, b.batches = nil, nil
	if out := mergePages([]*nodePart{a, b}, q, false, 10, decodeSeen("")); len(out.Rows) != 8 {
		t.Fatalf("unexpected rows without batches: %d; want 8", len(out.Rows))
	}
}
