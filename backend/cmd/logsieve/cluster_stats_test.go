package main

import (
	"net"
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

// Two ingest nodes in process, 100 logs to a and 60 to b (plus the probes
// that found a sender for each): the websocket's stats push, the history and
// /metrics of either node show the engine's cluster totals, and each node's
// own where they list nodes.
func TestClusterEngineTotalsOnEveryNodesViews(t *testing.T) {
	nats := natsForTest(t)
	a := startNode(t, nats, "a", "all")
	b := startNode(t, nats, "b", "ingest")
	// Defined once (the metadata bucket brings it to b): both nodes listen
	// on one port with SO_REUSEPORT, and the kernel picks a node per sender.
	port := a.addEngine(t, "two")
	waitStatus(t, &b.child, "/api/v1/engines/two", 200, "engine two on b")
	waitRunning(t, &b.child, "two")
	probes := map[string]uint64{}
	toA := senderTo(t, a, "two", port, "a", probes)
	toB := senderTo(t, a, "two", port, "b", probes)
	sendLines(t, toA, 0, 100)
	sendLines(t, toB, 100, 160)
	wantA, wantB := 100+probes["a"], 60+probes["b"]
	want := wantA + wantB

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
			return m.Type == "stats" && st.Received == want && len(st.Nodes) == 2 && byNode["a"] == wantA && byNode["b"] == wantB, m
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
			return in == want, pts
		})

		waitUntil(t, "/metrics of "+s.base+" to show the totals and each node", func() (bool, any) {
			m := s.get(t, "/metrics")
			return metricValue(m, `logsieve_engine_received_total{engine="two"}`) == float64(want) &&
				metricValue(m, `logsieve_cluster_engine_received_total{engine="two",node="a",role="all"}`) == float64(wantA) &&
				metricValue(m, `logsieve_cluster_engine_received_total{engine="two",node="b",role="ingest"}`) == float64(wantB), nil
		})
	}
}

// nodeReceived returns engine's received counter per ingest node, as s's
// /stats lists them.
func nodeReceived(t *testing.T, s *server, engine string) map[string]uint64 {
	t.Helper()
	var st engineTotals
	s.call(t, "GET", "/api/v1/engines/"+engine+"/stats", nil, 200, &st)
	out := map[string]uint64{}
	for _, n := range st.Nodes {
		out[n.Node] = n.Received
	}
	return out
}

// senderTo returns a UDP socket whose datagrams to port the kernel hands to
// node's listener (SO_REUSEPORT picks a listener per sender address): it
// tries fresh sockets, one probe log each, until node counts one. probes
// counts the probes each node received.
func senderTo(t *testing.T, s *server, engine string, port int, node string, probes map[string]uint64) *net.UDPConn {
	t.Helper()
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	for try := 0; try < 64; try++ {
		before := nodeReceived(t, s, engine)
		c, err := net.DialUDP("udp4", nil, dst)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte(crashLine(1_000_000 + try))); err != nil {
			t.Fatal(err)
		}
		got := ""
		waitUntil(t, "a probe log to reach a node", func() (bool, any) {
			now := nodeReceived(t, s, engine)
			for n, v := range now {
				if v > before[n] {
					got = n
					return true, now
				}
			}
			return false, now
		})
		probes[got]++
		if got == node {
			t.Cleanup(func() { c.Close() })
			return c
		}
		c.Close()
	}
	t.Fatalf("no sender socket out of 64 reached node %s", node)
	return nil
}

// sendLines sends the numbered logs from..to-1 on c.
func sendLines(t *testing.T, c *net.UDPConn, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := c.Write([]byte(crashLine(i))); err != nil {
			t.Fatal(err)
		}
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
