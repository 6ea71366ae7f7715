package main

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

// engineTotals is the part of an engine's stats (GET /stats, the websocket
// push) this test reads.
type engineTotals struct {
	Received uint64 `json:"received"`
	Nodes    []struct {
		Node     string `json:"node"`
		Received uint64 `json:"received"`
	} `json:"nodes"`
}

// waitUntil polls cond every 20 ms until it holds, failing after 20 s with
// what and the last state.
func waitUntil(t *testing.T, what string, cond func() (bool, any)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last: %+v", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two ingest nodes in process, 100 logs to a and 60 to b: the websocket's
// stats push, the history and /metrics of either node show the engine's
// cluster totals (160), and each node's own where they list nodes.
func TestClusterEngineTotalsOnEveryNodesViews(t *testing.T) {
	nats := natsForTest(t)
	a := startNode(t, nats, "a", "all")
	b := startNode(t, nats, "b", "ingest")
	pa, pb := a.addEngine(t, "two"), b.addEngine(t, "two")
	sendSeq(t, &a.child, "two", pa, 0, 100)
	sendSeq(t, &b.child, "two", pb, 100, 160)

	for _, s := range []*server{a, b} {
		ws := dialWS(t, s.base, s.token, 0)
		waitUntil(t, "the websocket push of "+s.base+" to show both nodes", func() (bool, any) {
			var m struct {
				Type    string                  `json:"type"`
				Engines map[string]engineTotals `json:"engines"`
			}
			_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			if err := ws.ReadJSON(&m); err != nil {
				t.Fatalf("websocket read: %v", err)
			}
			st := m.Engines["two"]
			byNode := map[string]uint64{}
			for _, n := range st.Nodes {
				byNode[n.Node] = n.Received
			}
			return m.Type == "stats" && st.Received == 160 && len(st.Nodes) == 2 && byNode["a"] == 100 && byNode["b"] == 60, m
		})

		waitUntil(t, "the history of "+s.base+" to count both nodes' logs", func() (bool, any) {
			var pts []struct {
				T  int64  `json:"t"`
				In uint64 `json:"in"`
			}
			s.call(t, "GET", "/api/v1/engines/two/stats/history?seconds=600", nil, 200, &pts)
			var in uint64
			for i, p := range pts {
				if i > 0 && p.T <= pts[i-1].T {
					t.Fatalf("history out of order at %d: %d after %d", i, p.T, pts[i-1].T)
				}
				in += p.In
			}
			return in == 160, pts
		})

		waitUntil(t, "/metrics of "+s.base+" to show the totals and each node", func() (bool, any) {
			m := s.get(t, "/metrics")
			return metricValue(m, `logsieve_engine_received_total{engine="two"}`) == 160 &&
				metricValue(m, `logsieve_cluster_engine_received_total{engine="two",node="a",role="all"}`) == 100 &&
				metricValue(m, `logsieve_cluster_engine_received_total{engine="two",node="b",role="ingest"}`) == 60, nil
		})
	}
}

// metricValue returns the value of the sample named exactly series in a
// Prometheus text answer (-1 when absent).
func metricValue(text, series string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}
