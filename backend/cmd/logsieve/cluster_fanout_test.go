package main

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/logsieve/logsieve/backend/cluster"
)

const fanSecret = "fan-out test cluster secret"

// natsForTest runs a NATS server with JetStream on 127.0.0.1 for the test.
func natsForTest(t *testing.T) string {
	t.Helper()
	return natsServerForTest(t).ClientURL()
}

// natsServerForTest is natsForTest returning the server (to stop it).
func natsServerForTest(t *testing.T) *natsserver.Server {
	t.Helper()
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// startNode runs a cluster node (in process) on nats.
func startNode(t *testing.T, nats, name, role string) *server {
	t.Helper()
	return startServerWith(t, func(o *serveOptions) {
		o.Cluster = cluster.Config{NATS: nats, Node: name, Role: role, Secret: fanSecret}
	})
}

// localRows counts the rows of engine name's day files in dir, the n column
// of each; 0 rows while a file is being created.
func localRows(dir, name string) map[int]bool {
	out := map[int]bool{}
	files, _ := filepath.Glob(filepath.Join(dir, "engines", name, "*.sqlite3"))
	for _, f := range files {
		db, err := sql.Open("sqlite3", "file:"+f+"?mode=ro")
		if err != nil {
			continue
		}
		if rows, err := db.Query("SELECT n FROM logs"); err == nil {
			for rows.Next() {
				var n string
				if rows.Scan(&n) == nil {
					i, _ := strconv.Atoi(n)
					out[i] = true
				}
			}
			rows.Close()
		}
		db.Close()
	}
	return out
}

// fanPage is a cluster's GET /logs.
type fanPage struct {
	Columns      []string    `json:"columns"`
	Rows         [][]*string `json:"rows"`
	RowNodes     []string    `json:"row_nodes"`
	NextCursor   *string     `json:"next_cursor"`
	Partial      bool        `json:"partial"`
	MissingNodes []string    `json:"missing_nodes"`
}

type fanHistogram struct {
	Total        int64    `json:"total"`
	Complete     bool     `json:"complete"`
	Partial      bool     `json:"partial"`
	MissingNodes []string `json:"missing_nodes"`
}

// listAll pages through /logs of engine fan on node c by cursor and returns
// every row's n and node, in the order listed, checking that the order is
// newest first by (time, node, id).
func listAll(t *testing.T, c *child, limit int, extra string) (ns []int, nodes []string, last fanPage) {
	t.Helper()
	type key struct {
		time, node string
		id         int
	}
	var prev *key
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("more than 1000 pages")
		}
		path := "/api/v1/engines/fan/logs?limit=" + strconv.Itoa(limit) + extra
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var p fanPage
		c.call(t, "GET", path, nil, 200, &p)
		ti, ni, di := slices.Index(p.Columns, "time"), slices.Index(p.Columns, "n"), slices.Index(p.Columns, "date")
		if ti < 0 || ni < 0 || len(p.RowNodes) != len(p.Rows) || len(p.Rows) > limit {
			t.Fatalf("unexpected page: columns %q, %d rows, %d row nodes", p.Columns, len(p.Rows), len(p.RowNodes))
		}
		for i, r := range p.Rows {
			n, _ := strconv.Atoi(*r[ni])
			id, _ := strconv.Atoi(*r[0])
			k := key{*r[ti], p.RowNodes[i], id}
			if di >= 0 {
				k.time = *r[di] + " " + k.time
			}
			if prev != nil && (k.time > prev.time || k.time == prev.time && (k.node < prev.node || k.node == prev.node && k.id >= prev.id)) {
				t.Fatalf("row %d out of order: %+v after %+v", len(ns), k, *prev)
			}
			prev = &k
			ns = append(ns, n)
			nodes = append(nodes, p.RowNodes[i])
		}
		last = p
		if p.NextCursor == nil {
			return ns, nodes, last
		}
		cursor = *p.NextCursor
	}
}

// checkCSV reads the export at path from c: want rows, each n once, newest
// first by time, and the missing nodes named in X-Logsieve-Missing-Nodes.
func checkCSV(t *testing.T, c *child, path string, want int, missing string) {
	t.Helper()
	resp := c.send(t, path, c.bearer())
	defer resp.Body.Close()
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || resp.StatusCode != 200 || len(recs) == 0 {
		t.Fatalf("GET %s: %d, %d records, %v", path, resp.StatusCode, len(recs), err)
	}
	if got := resp.Header.Get("X-Logsieve-Missing-Nodes"); got != missing {
		t.Fatalf("GET %s: missing nodes %q; want %q", path, got, missing)
	}
	ti, ni, di := slices.Index(recs[0], "time"), slices.Index(recs[0], "n"), slices.Index(recs[0], "date")
	seen := map[string]bool{}
	prev := ""
	for _, r := range recs[1:] {
		k := r[ti]
		if di >= 0 {
			k = r[di] + " " + k
		}
		if seen[r[ni]] || prev != "" && k > prev {
			t.Fatalf("GET %s: row n=%s twice or out of order (%s after %s)", path, r[ni], k, prev)
		}
		seen[r[ni]], prev = true, k
	}
	if len(recs)-1 != want {
		t.Fatalf("GET %s: %d rows; want %d", path, len(recs)-1, want)
	}
}

// getRaw sends GET path to c with the given headers (no token unless given).
func getRaw(t *testing.T, c *child, path string, hdr map[string]string) (int, string) {
	t.Helper()
	resp := c.send(t, path, hdr)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// fanCluster starts a NATS server, two store nodes s1 and s2 and an ingest
// node in (in process), defines the engine fan (class seq: n=<number>) once
// on s1, and sends logs over UDP to in, in rounds over several seconds, until
// both store nodes hold some; it returns the NATS URL, the nodes, the
// engine's UDP port and the logs sent.
func fanCluster(t *testing.T) (nats string, s1, s2, in *server, port, sent int) {
	t.Helper()
	nats = natsForTest(t)
	s1 = startNode(t, nats, "s1", "store")
	s2 = startNode(t, nats, "s2", "store")
	in = startNode(t, nats, "in", "ingest")
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	// Defined once: the cluster's metadata bucket brings it to every node.
	s1.call(t, "POST", "/api/v1/classes", map[string]any{"name": "seq", "patterns": map[string]string{"n": `n=(\d+)`}}, 201, nil)
	s1.call(t, "POST", "/api/v1/engines", map[string]any{"name": "fan", "class": "seq", "bind": "127.0.0.1", "port": port}, 201, nil)
	for _, s := range []*server{s2, in} {
		waitStatus(t, &s.child, "/api/v1/engines/fan", 200, "engine fan on every node")
	}
	waitRunning(t, &in.child, "fan")
	// Rounds of logs until both store nodes hold some (the shared consumer
	// hands each batch to one of them).
	const round = 150
	for sent < 30*round {
		if sent%(2*round) == 0 { // rows over several seconds, so the order by time is tested
			for s := time.Now().Unix(); time.Now().Unix() == s; {
				time.Sleep(10 * time.Millisecond)
			}
		}
		sendSeq(t, &in.child, "fan", port, sent, sent+round)
		sent += round
		deadline := time.Now().Add(15 * time.Second)
		for len(localRows(s1.dir, "fan"))+len(localRows(s2.dir, "fan")) < sent {
			if time.Now().After(deadline) {
				t.Fatalf("stored after 15 s: %d + %d of %d", len(localRows(s1.dir, "fan")), len(localRows(s2.dir, "fan")), sent)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if sent >= 6*round && len(localRows(s1.dir, "fan")) > 0 && len(localRows(s2.dir, "fan")) > 0 {
			break
		}
	}
	if len(localRows(s1.dir, "fan")) == 0 || len(localRows(s2.dir, "fan")) == 0 {
		t.Fatalf("the store nodes hold %d and %d rows; want both some", len(localRows(s1.dir, "fan")), len(localRows(s2.dir, "fan")))
	}
	return nats, s1, s2, in, port, sent
}

// Two store nodes and an ingest node on one NATS server: logs sent over UDP
// to the ingest node are split between the store nodes' day files, and the
// API of any node lists every row once, newest first, paging through both;
// counts add up; a stopped store node is named missing.
func TestClusterQueriesFanOutAcrossStoreNodes(t *testing.T) {
	_, s1, s2, in, _, sent := fanCluster(t)
	on1, on2 := localRows(s1.dir, "fan"), localRows(s2.dir, "fan")
	t.Logf("%d logs: %d on s1, %d on s2", sent, len(on1), len(on2))

	for _, tc := range []struct {
		c     *server
		extra string
	}{{in, ""}, {s1, ""}, {in, "&last=1d"}} {
		c := tc.c
		ns, nodes, last := listAll(t, &c.child, 97, tc.extra)
		if last.Partial || len(last.MissingNodes) != 0 {
			t.Fatalf("unexpected partial answer: %v", last.MissingNodes)
		}
		seen := map[int]bool{}
		for i, n := range ns {
			if seen[n] {
				t.Fatalf("row n=%d listed twice", n)
			}
			seen[n] = true
			if on := map[string]map[int]bool{"s1": on1, "s2": on2}[nodes[i]]; !on[n] {
				t.Fatalf("row n=%d said to be on %q, which does not hold it", n, nodes[i])
			}
		}
		if len(ns) != sent {
			t.Fatalf("rows listed through %s; got %d; want %d", c.base, len(ns), sent)
		}
		var h fanHistogram
		c.call(t, "GET", "/api/v1/engines/fan/histogram"+strings.Replace(tc.extra, "&", "?", 1), nil, 200, &h)
		if h.Total != int64(sent) || !h.Complete || h.Partial {
			t.Fatalf("unexpected histogram %+v; want total %d", h, sent)
		}
		checkCSV(t, &c.child, "/api/v1/engines/fan/export.csv"+strings.Replace(tc.extra, "&", "?", 1), sent, "")
		var days []struct {
			Date string `json:"date"`
			Rows int    `json:"rows"`
		}
		c.call(t, "GET", "/api/v1/engines/fan/days", nil, 200, &days)
		if total := func() (n int) {
			for _, d := range days {
				n += d.Rows
			}
			return n
		}(); total != sent {
			t.Fatalf("rows in /days; got %d (%+v); want %d", total, days, sent)
		}
	}

	// The store node's engine stats are the ingest node's (its heartbeat).
	var st struct {
		Received uint64 `json:"received"`
		Nodes    []struct {
			Node, State string
			Received    uint64
		} `json:"nodes"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for s1.call(t, "GET", "/api/v1/engines/fan/stats", nil, 200, &st); st.Received != uint64(sent); s1.call(t, "GET", "/api/v1/engines/fan/stats", nil, 200, &st) {
		if time.Now().After(deadline) {
			t.Fatalf("unexpected stats on s1 %+v; want received %d from node in", st, sent)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(st.Nodes) != 1 || st.Nodes[0].Node != "in" || st.Nodes[0].State != "running" || st.Nodes[0].Received != uint64(sent) {
		t.Fatalf("unexpected per-node stats %+v", st.Nodes)
	}

	// Peer requests: signed with the cluster secret for that very request,
	// else 401; a signed one gets the node's own rows only.
	path := "/api/v1/engines/fan/histogram?date=" + time.Now().Format("2006-01-02")
	sign := func(secret, uri string) map[string]string {
		return map[string]string{cluster.PeerHeader: cluster.SignPeerToken([]byte(secret), "in", "GET", uri, time.Now().Add(10*time.Second))}
	}
	f := func(name string, hdr map[string]string, want int) string {
		t.Helper()
		code, body := getRaw(t, &s1.child, path, hdr)
		if code != want {
			t.Fatalf("%s: got %d %s; want %d", name, code, body, want)
		}
		return body
	}
	f("no credentials", nil, 401)
	f("forged", map[string]string{cluster.PeerHeader: "in.9999999999.AAAA"}, 401)
	f("other secret", sign("another secret of the right size", path), 401)
	f("signed for another request", sign(fanSecret, path+"&q=x"), 401)
	f("expired", map[string]string{cluster.PeerHeader: cluster.SignPeerToken([]byte(fanSecret), "in", "GET", path, time.Now().Add(-time.Second))}, 401)
	var own fanHistogram
	if err := json.Unmarshal([]byte(f("signed", sign(fanSecret, path), 200)), &own); err != nil || own.Total != int64(len(on1)) {
		t.Fatalf("a peer's histogram; got %+v (%v); want s1's own %d rows", own, err, len(on1))
	}
	// A peer's page of /logs names the batch of each row (the merge drops a
	// batch two nodes hold): every row of s1 came in a published batch.
	logsPath := "/api/v1/engines/fan/logs?limit=50&date=" + time.Now().Format("2006-01-02")
	var peerPage struct {
		Rows       [][]*string `json:"rows"`
		RowBatches []string    `json:"row_batches"`
	}
	code, body := getRaw(t, &s1.child, logsPath, sign(fanSecret, logsPath))
	if err := json.Unmarshal([]byte(body), &peerPage); code != 200 || err != nil || len(peerPage.Rows) == 0 || len(peerPage.RowBatches) != len(peerPage.Rows) {
		t.Fatalf("a peer's page of logs; got %d, %d rows, batches %q (%v)", code, len(peerPage.Rows), peerPage.RowBatches, err)
	}
	for i, b := range peerPage.RowBatches {
		if !strings.HasPrefix(b, "in-") {
			t.Fatalf("row %d of a peer's page has batch %q; want one of node in", i, b)
		}
	}
	if strings.Contains(s1.stderr.String(), fanSecret) || strings.Contains(in.stderr.String(), fanSecret) {
		t.Fatal("the cluster secret is in a log")
	}

	// s2 stops: its rows are left out, and the answers say so.
	s2.cancel()
	err := <-s2.done
	s2.done <- err
	ns, nodes, last := listAll(t, &in.child, 500, "")
	if !last.Partial || fmt.Sprint(last.MissingNodes) != "[s2]" || len(ns) != len(on1) || slices.Contains(nodes, "s2") {
		t.Fatalf("with s2 stopped: partial %v missing %v, %d rows; want partial, [s2], s1's %d rows", last.Partial, last.MissingNodes, len(ns), len(on1))
	}
	var h fanHistogram
	in.call(t, "GET", "/api/v1/engines/fan/histogram", nil, 200, &h)
	if !h.Partial || fmt.Sprint(h.MissingNodes) != "[s2]" || h.Total != int64(len(on1)) {
		t.Fatalf("histogram with s2 stopped: %+v; want partial, [s2], %d", h, len(on1))
	}
	checkCSV(t, &in.child, "/api/v1/engines/fan/export.csv", len(on1), "s2")
	req, _ := http.NewRequest("GET", in.base+"/api/v1/engines/fan/days", nil)
	req.Header.Set("Authorization", "Bearer "+in.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Logsieve-Missing-Nodes"); resp.StatusCode != 200 || got != "s2" {
		t.Fatalf("/days with s2 stopped: %d, missing %q; want 200, s2", resp.StatusCode, got)
	}
}

// A single box answers a peer request with 401: there is no cluster secret.
func TestSingleBoxRefusesPeerRequests(t *testing.T) {
	s := startServer(t)
	s.addEngine(t, "solo")
	path := "/api/v1/engines/solo/days"
	hdr := map[string]string{cluster.PeerHeader: cluster.SignPeerToken([]byte(fanSecret), "x", "GET", path, time.Now().Add(10*time.Second))}
	if code, body := getRaw(t, &s.child, path, hdr); code != 401 {
		t.Fatalf("got %d %s; want 401", code, body)
	}
}
