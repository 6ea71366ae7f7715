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
