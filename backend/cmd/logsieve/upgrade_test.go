package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/meta"
)

// TestServeUpgradesTheFirstReleasesDataDir serves a data dir whose metadata DB the first
// release wrote (backend/meta/testdata/release1): its admin logs in with the old password
// and its engines are listed as they were, with syslog_header none.
func TestServeUpgradesTheFirstReleasesDataDir(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("../../meta/testdata/release1/logsieve.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "logsieve.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- runServer(ctx, serveOptions{DataDir: dir, HTTPAddr: "127.0.0.1:0", Settings: meta.DefaultSettings(),
			Ready: func(a string) { ready <- a }}, &out, &errb)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server stopped early: %v\n%s", err, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not become ready")
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	}()
	base := "http://" + addr
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username":"admin","password":"release1 admin pw"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if resp.StatusCode != 200 || login.Token == "" {
		t.Fatalf("login with the first release's admin password; got %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/engines", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var engines []struct {
		Name, Protocol, State string
		SyslogHeader          string `json:"syslog_header"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&engines)
	resp.Body.Close()
	if len(engines) != 2 || engines[0].Name != "core" || engines[1].Name != "edge" {
		t.Fatalf("unexpected engines after the upgrade; got %+v", engines)
	}
	for _, e := range engines {
		if e.Protocol != "udp" || e.SyslogHeader != "none" || e.State != "stopped" {
			t.Errorf("unexpected upgraded engine %+v; want udp, syslog_header none, stopped", e)
		}
	}
}

// TestServeRefusesADataDirOfANewerRelease: serve exits 1 with a sentence that says what
// to do, and leaves the DB as it was.
func TestServeRefusesADataDirOfANewerRelease(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logsieve.db")
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA user_version = 1000"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	var out, errb bytes.Buffer
	t.Setenv("LOGSIEVE_DEMO", "0")
	if rc := run([]string{"serve", "--data", dir, "--http", "127.0.0.1:0"}, &out, &errb); rc != 1 {
		t.Fatalf("serve on a newer data dir; got exit %d; want 1\n%s", rc, errb.String())
	}
	if msg := errb.String(); !strings.Contains(msg, "schema version 1000") || !strings.Contains(msg, "newer release wrote it") {
		t.Fatalf("unclear refusal; got %q", msg)
	}
}
