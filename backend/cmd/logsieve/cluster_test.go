package main

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/cluster"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/meta"
)

// serve --nats embedded: the engine's batches go through an in-process
// JetStream stream and end up in the same day files, each log once.
func TestServeWithEmbeddedNATSStoresEveryLogOnce(t *testing.T) {
	s := startServerWith(t, func(o *serveOptions) {
		o.Cluster = cluster.Config{NATS: cluster.Embedded, Node: "solo"}
	})
	port := s.addEngine(t, "nats")
	sendSeq(t, &s.child, "nats", port, 0, 2000)
	// The day file is read once the store side committed every row (a file
	// read while it is being created has no table yet).
	var cs clusterStats
	deadline := time.Now().Add(20 * time.Second)
	for s.call(t, "GET", "/api/v1/cluster", nil, 200, &cs); cs.StoredRows < 2000; s.call(t, "GET", "/api/v1/cluster", nil, 200, &cs) {
		if time.Now().After(deadline) {
			t.Fatalf("stored rows after 20 s: %+v", cs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	rows := dayRows(t, s.dir, "nats")
	slices.Sort(rows)
	checkSeq(t, rows, 2000)
	if m, _ := filepath.Glob(filepath.Join(s.dir, "nats", "jetstream", "*")); len(m) == 0 {
		t.Fatalf("no JetStream files in %s/nats", s.dir)
	}
	if st := s.engineStats(t, "nats"); st.Stored != 2000 {
		t.Fatalf("unexpected stored %d; want 2000 (acked by JetStream)", st.Stored)
	}
	s.call(t, "GET", "/api/v1/cluster", nil, 200, &cs)
	if !cs.Enabled || cs.Node != "solo" || cs.PublishedRows != 2000 || cs.StoredRows != 2000 || cs.DuplicateRows != 0 ||
		len(cs.Nodes) != 1 || cs.Nodes[0].Node != "solo" || cs.Total.StoredRows != 2000 {
		t.Fatalf("unexpected GET /cluster %+v", cs)
	}
	metrics := s.get(t, "/metrics")
	for _, want := range []string{`logsieve_cluster_published_rows_total{node="solo",role="all"} 2000`,
		`logsieve_cluster_stored_rows_total{node="solo",role="all"} 2000`, `logsieve_cluster_waiting_rows{node="solo",role="all"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("no %q in /metrics", want)
		}
	}
	if !strings.Contains(s.stderr.String(), "cluster node connected") {
		t.Fatalf("no cluster line in the log:\n%s", s.stderr.String())
	}
}

// clusterStats is GET /cluster.
type clusterStats struct {
	Enabled       bool   `json:"enabled"`
	Node          string `json:"node"`
	PublishedRows int    `json:"published_rows"`
	StoredRows    int    `json:"stored_rows"`
	DuplicateRows int    `json:"duplicate_rows"`
	Nodes         []struct {
		Node string `json:"node"`
	} `json:"nodes"`
	Total struct {
		StoredRows int `json:"stored_rows"`
	} `json:"total"`
}

func TestServeRefusesWrongClusterFlags(t *testing.T) {
	f := func(want string, code int, env []string, args ...string) {
		t.Helper()
		for i := 0; i+1 < len(env); i += 2 {
			t.Setenv(env[i], env[i+1])
		}
		var out, errb bytes.Buffer
		args = append([]string{"--data", t.TempDir(), "--http", "127.0.0.1:0"}, args...)
		if got := serve(args, &out, &errb); got != code || !strings.Contains(errb.String(), want) {
			t.Fatalf("serve %q: got %d %q; want %d and %q", args, got, errb.String(), code, want)
		}
	}
	f("--node, --role and --advertise need --nats", 2, nil, "--node", "a")
	f("--node, --role and --advertise need --nats", 2, []string{"LOGSIEVE_ROLE", "store"})
	f("--node, --role and --advertise need --nats", 2, nil, "--advertise", "http://10.0.0.1:8080")
	f(`invalid nats: "http://h:4222": scheme "http"`, 1, nil, "--nats", "http://h:4222")
	f(`invalid role: "query"`, 1, []string{"LOGSIEVE_NATS", "nats://127.0.0.1:4222"}, "--role", "query")
	f(`invalid advertise: "10.0.0.1:8080"`, 2, []string{"LOGSIEVE_NATS", "nats://127.0.0.1:4222"}, "--advertise", "10.0.0.1:8080")
	f(`invalid advertise: "ftp://h"`, 2, []string{"LOGSIEVE_NATS", "nats://127.0.0.1:4222", "LOGSIEVE_ADVERTISE", "ftp://h"})
	f("invalid cluster_secret: 5 bytes: use at least 16", 1, []string{"LOGSIEVE_NATS", "nats://127.0.0.1:1", "LOGSIEVE_CLUSTER_SECRET", "short", "LOGSIEVE_ADVERTISE", ""})
}

// send sends GET path to c with the headers hdr; the caller closes the body.
func (c *child) send(t *testing.T, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// bearer is the Authorization header of c's token.
func (c *child) bearer() map[string]string {
	return map[string]string{"Authorization": "Bearer " + c.token}
}

// get returns the body of an authenticated GET (text answers such as /metrics).
func (c *child) get(t *testing.T, path string) string {
	t.Helper()
	resp := c.send(t, path, c.bearer())
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// A store node whose disk guard paused storing leaves the batches in the
// stream (the consumer is answered an error and delivers them again).
func TestClusterDaysWaitWhileTheDiskGuardPauses(t *testing.T) {
	dir := t.TempDir()
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	free := 50.0
	f, err := factory.New(factory.Config{DataDir: dir, Meta: db, HostTZ: "UTC", NoListeners: true,
		MinFreePercent: 10, DiskFullPolicy: meta.PolicyPause, FreeSpace: func(string) (float64, error) { return free, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Seed(false); err != nil {
		t.Fatal(err)
	}
	s := f.DefaultSpec()
	s.Name, s.Class, s.Bind, s.Port = "st", "mikrotik", "127.0.0.1", 5599
	if err := f.CreateEngine(s); err != nil {
		t.Fatal(err)
	}
	days := clusterDays(f)
	if ds, _, err := days("st"); err != nil || ds == nil {
		t.Fatalf("days of st: %v, %v", ds, err)
	}
	free = 5
	f.CheckDisk()
	if _, _, err := days("st"); err == nil || !strings.Contains(err.Error(), "paused by the disk guard") {
		t.Fatalf("unexpected error %v while paused", err)
	}
	if _, _, err := days("nope"); err == nil {
		t.Fatal("an unknown engine has day files")
	}
}
