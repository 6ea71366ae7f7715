package api_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// TestHistoryPointsCarryEveryLossKind: each history point keeps the original
// {t, in, stored, dropped} and adds every other loss kind of the stats as its own
// per-second field, so a chart reloaded from history shows what the live one does.
func TestHistoryPointsCarryEveryLossKind(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	port := e.createEngine(t, "edge")
	sendUDP(t, port, "<13>host app: msg=one", "<13>host app: msg=two")

	var points []map[string]json.RawMessage
	var stored uint64
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/stats/history?seconds=60", Token: e.viewer})
		if r.Status != 200 {
			t.Fatalf("history; got %d %s; want 200", r.Status, r.Body)
		}
		points = nil
		r.JSON(t, &points)
		stored = 0
		for _, p := range points {
			var n uint64
			_ = json.Unmarshal(p["stored"], &n)
			stored += n
		}
		if stored == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history never showed the 2 stored logs; got %d in %d points", stored, len(points))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, p := range points {
		for _, k := range []string{"t", "in", "stored", "dropped", "kernel_drops", "rejected", "refused", "write_errors"} {
			var n uint64
			if err := json.Unmarshal(p[k], &n); err != nil {
				t.Fatalf("point %d: field %q; got %s (%v); want a number", i, k, p[k], err)
			}
		}
	}
}
