package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The acceptance run of docs/cluster.md (make test-cluster): 3 NATS servers,
// 2 ingest and 2 store logsieve nodes on 127.0.0.1, logs spread over both
// ingest nodes; kill -9 a store node (back after 10 s), a NATS server and an
// ingest node while sending. Every log an ingest node's JetStream ack covered
// must be stored exactly once, seen through the API (/days rows, CSV).
//
// Env: LOGSIEVE_CLUSTER_E2E=1 runs it; LOGSIEVE_CLUSTER_LOGS (default
// 1000000) and LOGSIEVE_CLUSTER_RATE (logs/s, default 50000) size it;
// LOGSIEVE_CLUSTER_KILLS=0 kills nothing (a throughput figure).
func TestClusterSurvivesKilledNodes(t *testing.T) {
	if os.Getenv("LOGSIEVE_CLUSTER_E2E") != "1" {
		t.Skip("the cluster acceptance run: make test-cluster (LOGSIEVE_CLUSTER_E2E=1)")
	}
	total := envInt(t, "LOGSIEVE_CLUSTER_LOGS", 1000000)
	rate := envInt(t, "LOGSIEVE_CLUSTER_RATE", 50000)
	kills := os.Getenv("LOGSIEVE_CLUSTER_KILLS") != "0"
	natsBin, lsBin := buildBinaries(t)
	root := t.TempDir()

	// Three NATS servers in one cluster, JetStream on each.
	var clientURLs []string
	var routes []string
	cports := make([]int, 3)
	rports := make([]int, 3)
	for i := range 3 {
		cports[i], rports[i] = freeTCPPort(t), freeTCPPort(t)
		clientURLs = append(clientURLs, fmt.Sprintf("nats://127.0.0.1:%d", cports[i]))
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", rports[i]))
	}
	natsProcs := make([]*proc, 3)
	for i := range 3 {
		natsProcs[i] = startProc(t, fmt.Sprintf("nats%d", i+1), natsBin, nil,
			"--name", fmt.Sprintf("n%d", i+1), "-a", "127.0.0.1", "-p", strconv.Itoa(cports[i]),
			"-js", "-sd", filepath.Join(root, fmt.Sprintf("nats%d", i+1)),
			"--cluster_name", "logsieve-e2e", "--cluster", routes[i], "--routes", strings.Join(routes, ","))
	}
	waitJetStream(t, strings.Join(clientURLs, ","))

	// Two store and two ingest nodes; the engine is defined once (the
	// cluster's metadata bucket brings it to every node), so both ingest
	// nodes listen on its port (SO_REUSEPORT).
	type lnode struct {
		name, role string
		p          *proc
		api        *apiClient
		args       []string
	}
	var nodes []*lnode
	udpPort := freeUDPPort(t)
	for _, spec := range [][2]string{{"store1", RoleStore}, {"store2", RoleStore}, {"ingest1", RoleIngest}, {"ingest2", RoleIngest}} {
		n := &lnode{name: spec[0], role: spec[1]}
		port := freeTCPPort(t)
		n.args = []string{"serve", "--data", filepath.Join(root, n.name), "--http", fmt.Sprintf("127.0.0.1:%d", port),
			"--nats", strings.Join(clientURLs, ","), "--node", n.name, "--role", n.role}
		n.p = startProc(t, n.name, lsBin, lsEnv, n.args...)
		n.api = &apiClient{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		n.api.login(t, n.p)
	}
	nodes[0].api.call(t, "POST", "/api/v1/classes", map[string]any{"name": "seq", "patterns": map[string]string{"n": `n=(\d+)`}}, 201, nil)
	nodes[0].api.call(t, "POST", "/api/v1/engines", map[string]any{"name": "e2e", "class": "seq", "bind": "127.0.0.1", "port": udpPort, "timezone": "UTC"}, 201, nil)
	for _, n := range nodes {
		n.api.waitEngine(t, n.role == RoleIngest)
	}
	store1, ingest1, ingest2 := nodes[0], nodes[2], nodes[3]

	// Send: log i to ingest1 when even, to ingest2 when odd, at rate, each
	// from a socket the kernel hands to that node (probed with logs n >=
	// total, left out of the counts below).
	probed := pickSenders(t, udpPort, total, ingest1.api, ingest2.api)
	conns := [2]net.Conn{probed.conns[0], probed.conns[1]}
	var lastAcked2 uint64 // ingest2's JetStream-acked count last seen before its kill
	var pending2 uint64   // ingest2's logs received and not yet acked at its kill
	var sentTo2AfterKill int
	killed2 := false
	var events []string
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	killedNATS := -1
	var restartStore, sampling sync.WaitGroup
	var samples []string // pending logs of the ingest nodes after the NATS kill
	var restarted *proc
	var restartErr error
	sent := 0
	for sent < total {
		<-tick.C
		due := min(total, int(time.Since(start).Seconds()*float64(rate)))
		for ; sent < due; sent++ {
			if sent%2 == 1 && killed2 {
				sentTo2AfterKill++
				continue // nobody listens: counted as lost on the sender side
			}
			if _, err := conns[sent%2].Write([]byte(e2eLine(sent))); err != nil {
				t.Fatal(err)
			}
		}
		switch {
		case !kills:
		case len(events) == 0 && sent >= total*15/100:
			store1.p.kill(t)
			events = append(events, fmt.Sprintf("%.1fs kill -9 store1 (restart in 10 s)", time.Since(start).Seconds()))
			restartStore.Add(1)
			go func() {
				defer restartStore.Done()
				time.Sleep(10 * time.Second) // the scenario: the node is away 10 s
				restarted, restartErr = newProc(store1.name, lsBin, lsEnv, store1.args...)
			}()
		case len(events) == 1 && sent >= total*35/100:
			// The stream's leader: its death stalls every publish until the
			// other two elect a new one (4-9 s of raft election timeout).
			killedNATS = streamLeader(t, strings.Join(clientURLs, ","))
			natsProcs[killedNATS].kill(t)
			events = append(events, fmt.Sprintf("%.1fs kill -9 NATS server n%d (the stream's leader)", time.Since(start).Seconds(), killedNATS+1))
			sampling.Add(1)
			go func() { // what the ingest nodes hold unacked after the NATS kill
				defer sampling.Done()
				for at := time.Now(); time.Since(at) < 8*time.Second; time.Sleep(500 * time.Millisecond) {
					s := fmt.Sprintf("+%.1fs", time.Since(at).Seconds())
					for _, n := range []*lnode{ingest1, ingest2} {
						if st, err := n.api.tryStats(); err == nil {
							s += fmt.Sprintf(" %s %d", n.name, st.pending())
						}
					}
					samples = append(samples, s)
				}
			}()
		case len(events) == 2 && sent >= total*60/100:
			st2 := ingest2.api.stats(t)
			lastAcked2, pending2 = st2.Stored, st2.pending()
			ingest2.p.kill(t)
			killed2 = true
			events = append(events, fmt.Sprintf("%.1fs kill -9 ingest2 (acked before: %d, not yet acked: %d)", time.Since(start).Seconds(), lastAcked2, pending2))
		}
	}
	sendTook := time.Since(start)
	restartStore.Wait()
	sampling.Wait()
	if kills {
		if restartErr != nil {
			t.Fatalf("cannot restart store1: %v", restartErr)
		}
		store1.p = restarted
		t.Cleanup(func() { restarted.stop(t) })
	}
	store1.api.login(t, store1.p)

	// ingest2 restarts with its disk as the kill left it: what its unacked
	// spool held (messages not acked within 1 s) is published again under
	// the same ids and stored once; its queue's remainder is what is lost.
	var unackedAtKill int64
	if killed2 {
		unackedDir := filepath.Join(root, ingest2.name, "cluster", "unacked", "e2e")
		unackedAtKill = segBytes(unackedDir)
		p, err := newProc(ingest2.name, lsBin, lsEnv, ingest2.args...)
		if err != nil {
			t.Fatalf("cannot restart ingest2: %v", err)
		}
		ingest2.p = p
		t.Cleanup(func() { p.stop(t) })
		ingest2.api.login(t, ingest2.p)
		events = append(events, fmt.Sprintf("%.1fs ingest2 restarted (unacked spool at its kill: %d bytes)", time.Since(start).Seconds(), unackedAtKill))
		for wait := time.Now(); segBytes(unackedDir) > 0; time.Sleep(200 * time.Millisecond) {
			if time.Since(wait) > 60*time.Second {
				t.Fatalf("ingest2's unacked spool not drained 60 s after its restart: %d bytes", segBytes(unackedDir))
			}
		}
	}

	// Settle: ingest1 has everything it received acked, the stream is empty.
	deadline := time.Now().Add(120 * time.Second)
	var liveURLs []string
	for i, u := range clientURLs {
		if i != killedNATS {
			liveURLs = append(liveURLs, u)
		}
	}
	nc, err := nats.Connect(strings.Join(liveURLs, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for {
		st1 := ingest1.api.stats(t)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		si, err := js.Stream(ctx, StreamName)
		cancel()
		// ingest1's stored counts what its unacked spool holds: that must
		// be acked too (the spool's last segment goes 1 s after).
		drained1 := segBytes(filepath.Join(root, ingest1.name, "cluster", "unacked", "e2e")) == 0
		if err == nil && drained1 && st1.Received == st1.Stored+st1.Dropped+st1.Rejected+st1.WriteErrors && si.CachedInfo().State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no settle in 120 s: ingest1 %+v, stream %v %v", st1, si, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	settled := time.Since(start)

	// Count through the API: /days rows and the CSV, which any node answers
	// for both store nodes (the fan-out); the other store node's /days says
	// the same.
	seen := make(map[int]int, total)
	daysRows, probesStored := 0, 0
	type day struct {
		Date string `json:"date"`
		Rows int    `json:"rows"`
	}
	var days1, days2 []day
	nodes[0].api.call(t, "GET", "/api/v1/engines/e2e/days", nil, 200, &days1)
	nodes[1].api.call(t, "GET", "/api/v1/engines/e2e/days", nil, 200, &days2)
	if fmt.Sprint(days1) != fmt.Sprint(days2) {
		t.Fatalf("the store nodes' /days differ: %v and %v", days1, days2)
	}
	for _, n := range nodes[:1] {
		for _, d := range days1 {
			daysRows += d.Rows
			for _, v := range n.api.csvColumn(t, "/api/v1/engines/e2e/export.csv?date="+d.Date, "n") {
				i, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("bad n %q in the CSV of %s", v, n.name)
				}
				if i >= total {
					probesStored++
					continue
				}
				seen[i]++
			}
		}
	}
	st1 := ingest1.api.stats(t)
	var dups, from1, from2 int
	csvRows := probesStored
	for i, k := range seen {
		csvRows += k
		if k > 1 {
			dups++
		}
		if i%2 == 0 {
			from1++
		} else {
			from2++
		}
	}
	sentTo1 := (total + 1) / 2
	sentTo2 := total / 2
	t.Logf("events: %s", strings.Join(events, "; "))
	t.Logf("held in memory after the NATS kill (received, neither acked nor in the unacked spool): %s", strings.Join(samples, "; "))
	for _, n := range []*lnode{ingest1, ingest2} {
		for _, l := range strings.Split(n.p.tail(1<<20), "\n") {
			if strings.Contains(l, "publish") || strings.Contains(l, "NATS connection") {
				t.Logf("%s: %s", n.name, l)
			}
		}
	}
	t.Logf("sent %d logs in %s (%.0f/s), settled at %s; stored rows: /days %d, CSV %d, distinct %d, duplicated %d",
		total, sendTook.Round(time.Millisecond), float64(total)/sendTook.Seconds(), settled.Round(time.Millisecond), daysRows, csvRows, len(seen), dups)
	t.Logf("ingest1: sent %d, received %d, acked %d, dropped %d, stored %d", sentTo1, st1.Received, st1.Stored, st1.Dropped, from1)
	t.Logf("ingest2 (killed when kills are on, then restarted): sent %d (%d after its kill), acked or in its unacked spool >= %d before the kill (spool at the kill: %d bytes), stored %d, lost %d (%d of them sent before its kill: in its queue or socket, neither acked nor on disk)",
		sentTo2, sentTo2AfterKill, lastAcked2, unackedAtKill, from2, sentTo2-from2, sentTo2-sentTo2AfterKill-from2)
	if dups != 0 || daysRows != csvRows {
		t.Fatalf("unexpected duplicates %d (rows /days %d, CSV %d)", dups, daysRows, csvRows)
	}
	if st1.Dropped != 0 {
		t.Fatalf("ingest1 (never killed) dropped %d logs: its queue did not hold them while JetStream could not ack", st1.Dropped)
	}
	if probesStored != probed.to[0]+probed.to[1] {
		t.Fatalf("probes stored %d; want %d", probesStored, probed.to[0]+probed.to[1])
	}
	if uint64(from1+probed.to[0]) != st1.Stored {
		t.Fatalf("ingest1: %d logs acked by JetStream, %d stored (+ %d probes)", st1.Stored, from1, probed.to[0])
	}
	if uint64(from2+probed.to[1]) < lastAcked2 {
		t.Fatalf("ingest2: %d logs acked before its kill, only %d stored (+ %d probes)", lastAcked2, from2, probed.to[1])
	}
}

// segBytes is the size of the spool segments in dir (0 when none).
func segBytes(dir string) int64 {
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// lsEnv is the environment of the logsieve nodes.
var lsEnv = []string{"LOGSIEVE_ADMIN_PASSWORD=cluster e2e admin pw", "LOGSIEVE_DEMO=0"}

func e2eLine(n int) string {
	return fmt.Sprintf("<13>1 2026-01-01T00:00:00Z host app - - - seq n=%d padding-padding-padding-padding", n)
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// buildBinaries builds nats-server (the module's own main, kept in the
// cache dir) and logsieve (no UI) for the run.
func buildBinaries(t *testing.T) (natsBin, lsBin string) {
	t.Helper()
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	dir := filepath.Join(cache, "logsieve", "cluster-e2e")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	natsBin = filepath.Join(dir, "nats-server-v2.15.2")
	if _, err := os.Stat(natsBin); err != nil {
		goBuild(t, natsBin, "github.com/nats-io/nats-server/v2")
	}
	lsBin = filepath.Join(dir, "logsieve")
	goBuild(t, lsBin, "-tags", "no_ui", "github.com/logsieve/logsieve/backend/cmd/logsieve")
	return natsBin, lsBin
}

func goBuild(t *testing.T, out string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", out, err, b)
	}
}

// proc is a child process whose output goes to a file in the test's log.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

func startProc(t *testing.T, name, bin string, env []string, args ...string) *proc {
	t.Helper()
	p, err := newProc(name, bin, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

// newProc starts a child process; the caller stops it (stop).
func newProc(name, bin string, env []string, args ...string) (*proc, error) {
	p := &proc{name: name, out: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	w := &lockedWriter{mu: p.mu, w: p.out}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	return p, nil
}

// stop ends the process (SIGTERM, SIGKILL after 20 s) and shows its output
// when the test failed.
func (p *proc) stop(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	if t.Failed() {
		t.Logf("--- %s output (last 3000 bytes):\n%s", p.name, p.tail(3000))
	}
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.out.Bytes()
	return string(b[max(0, len(b)-n):])
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

func dialUDP(t *testing.T, port int) net.Conn {
	t.Helper()
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// streamLeader returns the index (n1 = 0) of the NATS server leading the
// stream.
func streamLeader(t *testing.T, urls string) int {
	t.Helper()
	nc, err := nats.Connect(urls)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, StreamName)
	if err != nil {
		t.Fatal(err)
	}
	ci := st.CachedInfo().Cluster
	if ci == nil || len(ci.Leader) != 2 || ci.Leader[0] != 'n' || ci.Leader[1] < '1' || ci.Leader[1] > '3' {
		t.Fatalf("unexpected stream leader %+v", ci)
	}
	return int(ci.Leader[1] - '1')
}

// waitJetStream waits until the NATS cluster answers JetStream requests.
func waitJetStream(t *testing.T, urls string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		nc, err := nats.Connect(urls)
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("NATS cluster without JetStream after 60 s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// apiClient calls one node's API as admin.
type apiClient struct {
	base, token string
}

func (a *apiClient) login(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(a.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited: %s", p.name, p.tail(3000))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not serving after 60 s: %s", p.name, p.tail(3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
	var out struct {
		Token string `json:"token"`
	}
	a.token = ""
	a.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "cluster e2e admin pw"}, 200, &out)
	a.token = out.Token
}

func (a *apiClient) do(t *testing.T, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// waitEngine waits until the node knows engine e2e (running when
// running is set: an ingest node's listener).
func (a *apiClient) waitEngine(t *testing.T, running bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, b := a.do(t, "GET", "/api/v1/engines/e2e", nil)
		var e struct {
			State string `json:"state"`
		}
		if resp.StatusCode == 200 && json.Unmarshal(b, &e) == nil && (!running || e.State == "running") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine e2e on %s after 30 s: %d %s", a.base, resp.StatusCode, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// senders are one UDP socket per ingest node, and the probes each took.
type senders struct {
	conns [2]net.Conn
	to    [2]int // probe logs received by ingest node 1 and 2
}

// pickSenders dials port from new sockets until it has one the kernel
// hands to each of the two ingest nodes (SO_REUSEPORT spreads senders by
// their address and port): each candidate sends one probe log n = total +
// k, and the node whose received count grows owns it. Sockets of neither
// wanted node are closed.
func pickSenders(t *testing.T, port, total int, in1, in2 *apiClient) senders {
	t.Helper()
	var out senders
	ins := [2]*apiClient{in1, in2}
	for k := 0; out.conns[0] == nil || out.conns[1] == nil; k++ {
		if k == 64 {
			t.Fatal("64 sender sockets and the kernel did not hand one to each ingest node")
		}
		before := [2]uint64{ins[0].stats(t).Received, ins[1].stats(t).Received}
		c := dialUDP(t, port)
		if _, err := c.Write([]byte(e2eLine(total + k))); err != nil {
			t.Fatal(err)
		}
		owner := -1
		for deadline := time.Now().Add(10 * time.Second); owner < 0; {
			for i := range ins {
				if ins[i].stats(t).Received > before[i] {
					owner = i
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("probe log %d received by no ingest node", total+k)
			}
			time.Sleep(10 * time.Millisecond)
		}
		out.to[owner]++
		if out.conns[owner] == nil {
			out.conns[owner] = c
		} else {
			c.Close()
		}
	}
	return out
}

func (a *apiClient) call(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	resp, b := a.do(t, method, path, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s%s; got %d %s; want %d", method, a.base, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

type e2eStats struct {
	Received    uint64 `json:"received"`
	Stored      uint64 `json:"stored"`
	Dropped     uint64 `json:"dropped"`
	Rejected    uint64 `json:"rejected"`
	WriteErrors uint64 `json:"write_errors"`
}

// pending is what the node received and has not yet stored, refused or
// dropped: on an ingest node, the logs not yet acked by JetStream.
func (s e2eStats) pending() uint64 {
	return s.Received - s.Stored - s.Dropped - s.Rejected - s.WriteErrors
}

// tryStats is stats without failing the test (from another goroutine).
func (a *apiClient) tryStats() (e2eStats, error) {
	req, _ := http.NewRequest("GET", a.base+"/api/v1/engines/e2e/stats", nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return e2eStats{}, err
	}
	defer resp.Body.Close()
	var st struct {
		Nodes []e2eStats `json:"nodes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || len(st.Nodes) == 0 {
		return e2eStats{}, fmt.Errorf("no stats: %v", err)
	}
	return st.Nodes[0], nil
}

// stats returns the engine's counters of this ingest node: the first of
// nodes (the top-level counters are the sum over the ingest nodes).
func (a *apiClient) stats(t *testing.T) e2eStats {
	t.Helper()
	var st struct {
		Nodes []e2eStats `json:"nodes"`
	}
	a.call(t, "GET", "/api/v1/engines/e2e/stats", nil, 200, &st)
	if len(st.Nodes) == 0 {
		t.Fatal("no nodes in the engine's stats")
	}
	return st.Nodes[0]
}

// csvColumn returns one column of a CSV export.
func (a *apiClient) csvColumn(t *testing.T, path, col string) []string {
	t.Helper()
	resp, b := a.do(t, "GET", path, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	r := csv.NewReader(bufio.NewReader(bytes.NewReader(b)))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("GET %s: %v", path, err)
	}
	idx := -1
	for i, h := range recs[0] {
		if h == col {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatalf("no column %q in %q", col, recs[0])
	}
	out := make([]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		out = append(out, rec[idx])
	}
	return out
}
