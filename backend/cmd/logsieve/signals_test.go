package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/meta"
)

// TestServeHelperProcess is `logsieve serve` for the signal tests: the test binary
// re-executes itself with LOGSIEVE_SERVE_DATA set and runs the serve command there, with
// its own signal handling, exactly as the installed binary does.
func TestServeHelperProcess(t *testing.T) {
	dir := os.Getenv("LOGSIEVE_SERVE_DATA")
	if dir == "" {
		return
	}
	os.Exit(run([]string{"serve", "--data", dir, "--http", "127.0.0.1:0"}, io.Discard, os.Stderr))
}

// proc is one `logsieve serve` child process.
type proc struct {
	child
	log  *syncBuffer   // its stderr
	done chan struct{} // closed when it has exited
	err  error         // its exit status, once done
}

var servingRE = regexp.MustCompile(`http=http://(\S+)`)

// startServe starts `logsieve serve` on dir and logs in as admin.
func startServe(t *testing.T, dir string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LOGSIEVE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "LOGSIEVE_SERVE_DATA="+dir, "LOGSIEVE_DEMO=0", "LOGSIEVE_ADMIN_PASSWORD="+crashAdminPW)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = cmd
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			_, _ = p.log.Write(append(sc.Bytes(), '\n'))
		}
	}()
	go func() { <-copied; p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	p.waitLog(t, 60*time.Second, "http=http://")
	p.base = "http://" + servingRE.FindStringSubmatch(p.log.String())[1]
	var login struct {
		Token string `json:"token"`
	}
	p.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": crashAdminPW}, 200, &login)
	p.token = login.Token
	return p
}

// waitLog waits until the process's log holds text.
func (p *proc) waitLog(t *testing.T, within time.Duration, text string) {
	t.Helper()
	p.waitLogN(t, within, text, 1)
}

// waitLogN waits until the process's log holds text n times.
func (p *proc) waitLogN(t *testing.T, within time.Duration, text string, n int) {
	t.Helper()
	deadline := time.Now().Add(within)
	for strings.Count(p.log.String(), text) < n {
		select {
		case <-p.done:
			t.Fatalf("the server exited (%v) before logging %q; log:\n%s", p.err, text, p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not log %q within %v; log:\n%s", text, within, p.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signal sends sig and, unless it is SIGHUP, waits up to 10 s for a clean exit.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if sig == syscall.SIGHUP {
		return
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the server did not stop within 10s of %v; log:\n%s", sig, p.log.String())
	}
	if p.err != nil {
		t.Fatalf("after %v; got exit %v; want 0; log:\n%s", sig, p.err, p.log.String())
	}
}

// engineOn creates class seq and engine name on a free UDP port of the process.
func (p *proc) engineOn(t *testing.T, name string) int {
	t.Helper()
	s := &server{child: p.child, ports: map[string]int{}}
	return s.addEngine(t, name)
}

// TestStopSignalsWriteEveryAcceptedLog: SIGINT, SIGTERM and SIGQUIT each stop serve
// cleanly (exit 0) with every log accepted before the signal in the day file. SIGQUIT
// also writes the goroutine stacks to the log first (Go's own SIGQUIT exits 2 unflushed).
func TestStopSignalsWriteEveryAcceptedLog(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server three times")
	}
	for name, sig := range map[string]syscall.Signal{"SIGINT": syscall.SIGINT, "SIGTERM": syscall.SIGTERM, "SIGQUIT": syscall.SIGQUIT} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := startServe(t, dir)
			port := p.engineOn(t, "sig")
			const n = 5000
			sendSeq(t, &p.child, "sig", port, 0, n)
			t.Logf("%d of %d stored when the signal is sent", p.engineStats(t, "sig").Stored, n)
			p.signal(t, sig)
			checkSeq(t, dayRows(t, dir, "sig"), n)
			if !strings.Contains(p.log.String(), "every accepted log is written") {
				t.Errorf("no stop message in the log:\n%s", p.log.String())
			}
			if sig == syscall.SIGQUIT && !strings.Contains(p.log.String(), "goroutine ") {
				t.Errorf("SIGQUIT wrote no goroutine stacks; log:\n%s", p.log.String())
			}
		})
	}
}

// TestSIGHUPReloadsSettingsAndIngestGoesOn: SIGHUP does not stop serve; it logs the
// reload, applies settings changed in the metadata DB meanwhile (here log_level, changed
// behind the API's back), and the engine keeps storing logs.
func TestSIGHUPReloadsSettingsAndIngestGoesOn(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir)
	port := p.engineOn(t, "hup")
	sendSeq(t, &p.child, "hup", port, 0, 1000)

	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PatchSettings([]byte(`{"log_level":"debug"}`)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	p.signal(t, syscall.SIGHUP)
	p.waitLog(t, 10*time.Second, "SIGHUP: settings reloaded")
	p.waitLog(t, 10*time.Second, "log_level=debug")
	_ = dialWS(t, p.base, p.token, 0)
	p.waitLog(t, 10*time.Second, `level=DEBUG msg="websocket opened"`)

	sendSeq(t, &p.child, "hup", port, 1000, 2000)
	p.signal(t, syscall.SIGHUP) // twice: still serving
	p.waitLogN(t, 10*time.Second, "SIGHUP: settings reloaded", 2)
	sendSeq(t, &p.child, "hup", port, 2000, 3000)
	p.signal(t, syscall.SIGTERM)
	checkSeq(t, dayRows(t, dir, "hup"), 3000)
}

// TestLogLevelSettingTakesEffectAtOnce: PUT /settings log_level=debug makes debug lines
// appear without a restart, and log_level=info hides them again.
func TestLogLevelSettingTakesEffectAtOnce(t *testing.T) {
	s := startServer(t)
	debugLines := func() int { return strings.Count(s.stderr.String(), `level=DEBUG msg="websocket opened"`) }
	// openWS opens a websocket and reads its first message: the handler has logged
	// "websocket opened" (at debug) before it sends that.
	openWS := func() {
		t.Helper()
		c := dialWS(t, s.base, s.token, 0)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	openWS()
	if n := debugLines(); n != 0 {
		t.Fatalf("debug lines at level info; got %d; want 0", n)
	}
	s.call(t, "PUT", "/api/v1/settings", map[string]string{"log_level": "debug"}, 200, nil)
	openWS()
	if n := debugLines(); n != 1 {
		t.Fatalf("debug lines after PUT /settings log_level=debug; got %d; want 1; log:\n%s", n, s.stderr.String())
	}
	s.call(t, "PUT", "/api/v1/settings", map[string]string{"log_level": "info"}, 200, nil)
	openWS()
	if n := debugLines(); n != 1 {
		t.Fatalf("debug lines after log_level=info; got %d; want still 1", n)
	}
}
