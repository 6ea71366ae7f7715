package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/meta"
)

func TestConfigRejectsUnknownKeyAndReadsKnownOnes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(p, []byte("http_addr = \"127.0.0.1:9999\"\nmin_free_percent = 20\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(p)
	if err != nil || c.HTTPAddr != "127.0.0.1:9999" || c.MinFreePercent != 20 || c.DiskFullPolicy != "delete_oldest" {
		t.Fatalf("unexpected config %+v %v", c, err)
	}
	if err := os.WriteFile(p, []byte("htp_addr = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(p); err == nil || !strings.Contains(err.Error(), "htp_addr") {
		t.Fatalf("got %v; want an error naming htp_addr", err)
	}
	if _, err := loadConfig(filepath.Join(dir, "missing.toml")); err == nil {
		t.Fatal("a named missing config must be an error")
	}
	if c, err := loadConfig(""); err != nil || c.DataDir != "" || c.MinFreePercent != 10 {
		t.Fatalf("no config: got %+v %v; want the built-in defaults", c, err)
	}
}

func TestRepoConfigFileIsValid(t *testing.T) {
	c, err := loadConfig("../../../configs/logsieve.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" {
		t.Fatalf("unexpected http_addr %q", c.HTTPAddr)
	}
}

func TestServeStartsAndStopsCleanly(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- runServer(ctx, serveOptions{DataDir: dir, HTTPAddr: "127.0.0.1:0", Settings: meta.DefaultSettings(),
			AdminPW: "correct-horse-battery", Ready: func(a string) { ready <- a }}, &out, &errb)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server stopped early: %v\n%s", err, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not become ready")
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "logsieve.db")); err != nil {
		t.Fatalf("metadata DB missing: %v", err)
	}
}

func TestImportFastLoggerReportsSkipped(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "GLOBAL_CONFIG.JSON")
	body := `{"PORT": 514, "ENGINE_CLASSES": {
	  "fw": {"src_ip": "src=(\\S+)", "action": "action=(\\w+)"},
	  "looky": {"user": "(?<=user=)\\w+"}}}`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"import-fastlogger", "--data", dir, cfg}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "imported fw") || !strings.Contains(out.String(), "skipped looky") {
		t.Fatalf("unexpected output %q", out.String())
	}
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cs, _ := db.Classes()
	if len(cs) != 1 || cs[0].Name != "fw" || cs[0].Patterns != `{"src_ip":"src=(\\S+)","action":"action=(\\w+)"}` {
		t.Fatalf("unexpected classes %+v", cs)
	}
	out.Reset()
	run([]string{"import-fastlogger", "--data", dir, cfg}, &out, &errb)
	if !strings.Contains(out.String(), "skipped fw") {
		t.Fatalf("re-import must skip the existing class: %q", out.String())
	}
}

func TestUnknownCommandFails(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "frobnicate") {
		t.Fatalf("got %d %q", code, errb.String())
	}
	if code := run([]string{"version"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "logsieve") {
		t.Fatalf("version: %d %q", code, out.String())
	}
}
