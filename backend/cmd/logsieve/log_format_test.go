package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/meta"
)

// TestLogFormatJSONWritesOneObjectALine serves with log_format json: every line of the
// service log is a JSON object, the serving line among them.
func TestLogFormatJSONWritesOneObjectALine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	errb := &syncBuffer{}
	go func() {
		done <- runServer(ctx, serveOptions{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", LogFormat: "json",
			Settings: meta.DefaultSettings(), AdminPW: "correct-horse-battery", Ready: func(a string) { ready <- a }}, &out, errb)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("server stopped early: %v\n%s", err, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not become ready")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	serving := false
	for _, line := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == "logsieve serving" && m["http"] != nil && m["level"] == "INFO" {
			serving = true
		}
	}
	if !serving {
		t.Fatalf("no serving line in the JSON log:\n%s", errb.String())
	}
}

func TestLogFormatFromFlagEnvAndFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "logsieve.toml")
	if err := os.WriteFile(cfg, []byte("log_format = \"json\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := loadConfig(cfg); err != nil || c.LogFormat != "json" {
		t.Fatalf("config log_format; got %q %v; want json", c.LogFormat, err)
	}
	if err := os.WriteFile(cfg, []byte("log_format = \"yaml\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(cfg); err == nil || !strings.Contains(err.Error(), "log_format") {
		t.Fatalf("config log_format yaml; got %v; want an error naming log_format", err)
	}
	var out, errb bytes.Buffer
	if rc := run([]string{"serve", "--data", dir, "--log-format", "xml"}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), `log_format "xml"`) {
		t.Fatalf("--log-format xml; got %d %q; want 2 naming log_format", rc, errb.String())
	}
	t.Setenv("LOGSIEVE_LOG_FORMAT", "csv")
	errb.Reset()
	if rc := run([]string{"serve", "--data", dir}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), `log_format "csv"`) {
		t.Fatalf("LOGSIEVE_LOG_FORMAT=csv; got %d %q; want 2 naming log_format", rc, errb.String())
	}
}
