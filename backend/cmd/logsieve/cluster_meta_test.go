package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitStatus polls GET path on c (as admin) until it answers want.
func waitStatus(t *testing.T, c *child, path string, want int, what string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, body := getRaw(t, c, path, c.bearer())
		if st == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: GET %s still answers %d %s after 20 s; want %d", what, path, st, body, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRunning waits until engine name runs on c.
func waitRunning(t *testing.T, c *child, name string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for c.engineStats(t, name).State != "running" {
		if time.Now().After(deadline) {
			t.Fatalf("engine %s: %+v; want running", name, c.engineStats(t, name))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loginStatus returns the status of a login of user with pw on c.
func loginStatus(t *testing.T, c *child, user, pw string) int {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	resp, err := http.Post(c.base+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// columnValues returns column col of the rows of engine name in dir whose n
// is from or more ("" for NULL); nil while the column does not exist.
func columnValues(dir, name, col string, from int) map[int]string {
	files, _ := filepath.Glob(filepath.Join(dir, "engines", name, "*.sqlite3"))
	out := map[int]string{}
	for _, f := range files {
		db, err := sql.Open("sqlite3", "file:"+f+"?mode=ro")
		if err != nil {
			continue
		}
		rows, err := db.Query(fmt.Sprintf("SELECT n, %s FROM logs", col))
		if err != nil {
			db.Close()
			return nil
		}
		for rows.Next() {
			var n, v sql.NullString
			if rows.Scan(&n, &v) == nil {
				if i, _ := strconv.Atoi(n.String); i >= from {
					out[i] = v.String
				}
			}
		}
		rows.Close()
		db.Close()
	}
	return out
}

// Metadata lives in the cluster's KV bucket: an engine created through a
// store node's API runs on the ingest node (its listener receives), a class
// edited on the ingest node reaches the store node's day files, so does a
// known sender added on the store node, a setting changed on one node is in
// force on the other, a user created on one node logs in on another, a
// delete stops the listener, and a node started later has it all.
func TestClusterMetadataIsOneTruthAppliedLive(t *testing.T) {
	nats := natsForTest(t)
	a := startNode(t, nats, "a", "store")
	b := startNode(t, nats, "b", "ingest")
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()

	// Created on a (a store node: no listener there), runs on b.
	a.call(t, "POST", "/api/v1/classes", map[string]any{"name": "seq", "patterns": map[string]string{"n": `n=(\d+)`}}, 201, nil)
	a.call(t, "POST", "/api/v1/engines", map[string]any{"name": "kv", "class": "seq", "bind": "127.0.0.1", "port": port}, 201, nil)
	body := waitStatus(t, &b.child, "/api/v1/engines/kv", 200, "engine created on a, listed on b")
	if !strings.Contains(body, `"port":`+strconv.Itoa(port)) {
		t.Fatalf("unexpected engine on b: %s", body)
	}
	waitRunning(t, &b.child, "kv")
	sendSeq(t, &b.child, "kv", port, 0, 100) // b's listener receives them all
	waitRows := func(n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for len(localRows(a.dir, "kv")) < n {
			if time.Now().After(deadline) {
				t.Fatalf("rows stored on a: %d; want %d", len(localRows(a.dir, "kv")), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitRows(100)

	// A second create of the same name on b is a conflict, not a second engine.
	b.call(t, "POST", "/api/v1/engines", map[string]any{"name": "kv", "class": "seq", "bind": "127.0.0.1", "port": port}, 409, nil)

	// Class edited on b: a gets it, and the rows b parses with it land in a's
	// day file with the new column.
	b.call(t, "PUT", "/api/v1/classes/seq", map[string]any{"patterns": map[string]string{"n": `n=(\d+)`, "m": `m=(\w+)`}, "keys": []string{"n", "m"}}, 200, nil)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(a.get(t, "/api/v1/classes/seq"), `"m"`) {
		if time.Now().After(deadline) {
			t.Fatalf("class edit on b not applied on a: %s", a.get(t, "/api/v1/classes/seq"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 110; i++ {
		if _, err := fmt.Fprintf(conn, "<13>1 host app - - - seq n=%d m=v%d", i, i); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	waitRows(110)
	if got := columnValues(a.dir, "kv", "m", 100); len(got) != 10 || got[105] != "v105" {
		t.Fatalf("unexpected column m on a; got %v; want v100..v109", got)
	}

	// A known sender added on a: b tags the logs from it, a stores the name.
	a.call(t, "POST", "/api/v1/engines/kv/clients", map[string]any{"name": "fw", "match": "127.0.0.1"}, 201, nil)
	deadline = time.Now().Add(20 * time.Second)
	for !strings.Contains(b.get(t, "/api/v1/engines/kv/clients"), `"fw"`) {
		if time.Now().After(deadline) {
			t.Fatalf("client added on a not on b: %s", b.get(t, "/api/v1/engines/kv/clients"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	sendSeq(t, &b.child, "kv", port, 110, 120)
	waitRows(120)
	if got := columnValues(a.dir, "kv", "client", 110); len(got) != 10 || got[110] != "fw" || got[119] != "fw" {
		t.Fatalf("unexpected client column on a; got %v; want fw for n 110..119", got)
	}

	// A setting changed on b is in force on a.
	b.call(t, "PUT", "/api/v1/settings", map[string]any{"default_retention_days": 9}, 200, nil)
	deadline = time.Now().Add(20 * time.Second)
	for !strings.Contains(a.get(t, "/api/v1/settings"), `"default_retention_days":9`) {
		if time.Now().After(deadline) {
			t.Fatalf("setting changed on b not on a: %s", a.get(t, "/api/v1/settings"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	var spec struct {
		RetentionDays int `json:"retention_days"`
	}
	pc2, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port2 := pc2.LocalAddr().(*net.UDPAddr).Port
	pc2.Close()
	a.call(t, "POST", "/api/v1/engines", map[string]any{"name": "kv2", "class": "seq", "bind": "127.0.0.1", "port": port2}, 201, &spec)
	if spec.RetentionDays != 9 {
		t.Fatalf("engine created on a after the setting changed on b: retention_days %d; want 9", spec.RetentionDays)
	}

	// Stopped through a (a store node): stopped on b, the ingest node.
	waitRunning(t, &b.child, "kv2")
	a.call(t, "POST", "/api/v1/engines/kv2/stop", nil, 200, nil)
	deadline = time.Now().Add(20 * time.Second)
	for b.engineStats(t, "kv2").State != "stopped" {
		if time.Now().After(deadline) {
			t.Fatalf("engine kv2 stopped on a still %q on b", b.engineStats(t, "kv2").State)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A user created on a logs in on b.
	a.call(t, "POST", "/api/v1/users", map[string]any{"username": "alice", "password": "alice-cluster-pw-1", "role": "viewer", "must_change_password": false}, 201, nil)
	waitStatus(t, &b.child, "/api/v1/users", 200, "users on b")
	deadline = time.Now().Add(20 * time.Second)
	for loginStatus(t, &b.child, "alice", "alice-cluster-pw-1") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("user alice created on a cannot log in on b")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A token revoked by logging out on a is refused on b.
	var sess struct {
		Token string `json:"token"`
	}
	(&child{base: a.base}).call(t, "POST", "/api/v1/auth/login", map[string]string{"username": "alice", "password": "alice-cluster-pw-1"}, 200, &sess)
	alice := &child{base: b.base, token: sess.Token}
	alice.call(t, "GET", "/api/v1/classes", nil, 200, nil)
	(&child{base: a.base, token: sess.Token}).call(t, "POST", "/api/v1/auth/logout", nil, 204, nil)
	waitStatus(t, alice, "/api/v1/classes", 401, "token revoked on a, refused on b")

	// Deleted on b: gone on a, and b's port is free again.
	b.call(t, "DELETE", "/api/v1/engines/kv", nil, 204, nil)
	waitStatus(t, &a.child, "/api/v1/engines/kv", 404, "engine deleted on b, gone on a")
	if pc, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
		t.Fatalf("port %d still bound after the delete: %v", port, err)
	} else {
		pc.Close()
	}

	// A node started later catches up.
	c := startNode(t, nats, "c", "store")
	c.call(t, "GET", "/api/v1/engines/kv", nil, 404, nil)
	if got := c.get(t, "/api/v1/classes/seq"); !strings.Contains(got, `"m"`) {
		t.Fatalf("unexpected class seq on the late node: %s", got)
	}
	if got := c.get(t, "/api/v1/settings"); !strings.Contains(got, `"default_retention_days":9`) {
		t.Fatalf("unexpected settings on the late node: %s", got)
	}
	if loginStatus(t, &c.child, "alice", "alice-cluster-pw-1") != 200 {
		t.Fatal("user alice cannot log in on the late node")
	}
	if strings.Contains(c.get(t, "/api/v1/users"), "$2a$") {
		t.Fatal("GET /users shows a password hash")
	}
}

// With NATS gone, a change through the API is refused with 503 naming NATS
// (nothing written locally only); reads still answer from the local copy.
func TestClusterChangeWithoutNATSAnswers503(t *testing.T) {
	ns := natsServerForTest(t)
	a := startNode(t, ns.ClientURL(), "a", "all")
	a.call(t, "POST", "/api/v1/classes", map[string]any{"name": "seq", "patterns": map[string]string{"n": `n=(\d+)`}}, 201, nil)
	ns.Shutdown()
	ns.WaitForShutdown()
	var e struct {
		Error string `json:"error"`
	}
	a.call(t, "POST", "/api/v1/classes", map[string]any{"name": "other", "patterns": map[string]string{"n": `n=(\d+)`}}, 503, &e)
	if !strings.Contains(e.Error, "NATS") {
		t.Fatalf("unexpected 503 message %q; want it to name NATS", e.Error)
	}
	a.call(t, "POST", "/api/v1/users", map[string]any{"username": "bob", "password": "bob-cluster-pw-12", "role": "viewer"}, 503, nil)
	a.call(t, "GET", "/api/v1/classes/other", nil, 404, nil)
	a.call(t, "GET", "/api/v1/classes/seq", nil, 200, nil)
}
