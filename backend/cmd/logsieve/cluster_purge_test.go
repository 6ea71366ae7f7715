package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/cluster"
)

type purgeAnswer struct {
	Purged    []string `json:"purged"`
	NotPurged []struct {
		Node  string `json:"node"`
		Error string `json:"error"`
	} `json:"not_purged"`
}

// An engine deleted with purge=true through the ingest node loses its day
// files on both store nodes, and the answer names every node that purged; a
// store node that is down keeps its files and is named in not_purged.
func TestClusterPurgeReachesEveryStoreNode(t *testing.T) {
	_, s1, s2, in, _, _ := fanCluster(t)
	dir := func(s *server, engine string) string { return filepath.Join(s.dir, "engines", engine) }
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if !exists(dir(s1, "fan")) || !exists(dir(s2, "fan")) {
		t.Fatal("no day files of fan on both store nodes")
	}
	// A peer's request that does not purge is refused.
	uri := "/api/v1/engines/fan"
	code, body := sendRaw(t, &s1.child, "DELETE", uri, map[string]string{cluster.PeerHeader: cluster.SignPeerToken([]byte(fanSecret), "in", "DELETE", uri, time.Now().Add(10*time.Second))})
	if code != 400 || !exists(dir(s1, "fan")) {
		t.Fatalf("a peer's DELETE without purge; got %d %s; want 400 and the files kept", code, body)
	}

	var got purgeAnswer
	in.call(t, "DELETE", "/api/v1/engines/fan?purge=true", nil, 200, &got)
	if len(got.NotPurged) != 0 || len(got.Purged) != 3 || got.Purged[0] != "in" {
		t.Fatalf("unexpected purge answer %+v; want purged by in, s1 and s2", got)
	}
	if exists(dir(s1, "fan")) || exists(dir(s2, "fan")) {
		t.Fatalf("day files left after the purge: s1 %v, s2 %v", exists(dir(s1, "fan")), exists(dir(s2, "fan")))
	}
	for _, s := range []*server{s1, s2} {
		waitStatus(t, &s.child, "/api/v1/engines/fan", 404, "engine fan deleted on every node")
	}

	// s2 is down: its day files of the engine stay, and it is named.
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	s1.call(t, "POST", "/api/v1/engines", map[string]any{"name": "two", "class": "seq", "bind": "127.0.0.1", "port": port}, 201, nil)
	waitStatus(t, &s2.child, "/api/v1/engines/two", 200, "engine two on s2")
	if err := os.MkdirAll(dir(s2, "two"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir(s2, "two"), "2026-12-01.sqlite3"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The ingest node's spools of the engine: its unacked spool (opened
	// with the engine) and an overflow spool.
	unacked := filepath.Join(in.dir, "cluster", "unacked", "two")
	waitUntil(t, "the ingest node's unacked spool of two", func() (bool, any) { return exists(unacked), unacked })
	overflow := filepath.Join(in.dir, "spool", "two")
	if err := os.MkdirAll(overflow, 0o750); err != nil {
		t.Fatal(err)
	}
	s2.cancel()
	err = <-s2.done
	s2.done <- err
	// Purged through s1: the ingest node is asked too, and deletes its spools.
	got = purgeAnswer{}
	s1.call(t, "DELETE", "/api/v1/engines/two?purge=true", nil, 200, &got)
	if len(got.NotPurged) != 1 || got.NotPurged[0].Node != "s2" || got.NotPurged[0].Error == "" || len(got.Purged) != 2 || got.Purged[1] != "in" {
		t.Fatalf("unexpected purge answer with s2 down %+v; want s1 and in purged, s2 not", got)
	}
	if !exists(dir(s2, "two")) {
		t.Fatal("the day files of a store node that was down are gone")
	}
	if exists(unacked) || exists(overflow) {
		t.Fatalf("the ingest node's spools of two after the purge: unacked %v, overflow %v; want both gone", exists(unacked), exists(overflow))
	}
	b, _ := json.Marshal(got)
	t.Logf("answer with s2 down: %s", b)
}

// sendRaw sends method path to c with the given headers (no token unless
// given) and returns the status and body.
func sendRaw(t *testing.T, c *child, method, path string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, c.base+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
