package main

import (
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestServeNotifiesSystemd runs `logsieve serve` as systemd runs a Type=notify unit with
// WatchdogSec=: NOTIFY_SOCKET names a real unixgram socket, WATCHDOG_USEC asks for
// keep-alives. The first datagram is READY=1 (engines booted, port bound), then
// WATCHDOG=1 keeps coming from the main loop, and a stop says STOPPING=1.
func TestServeNotifiesSystemd(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "100000") // a keep-alive every 50 ms
	t.Setenv("WATCHDOG_PID", "")
	next := func() string {
		t.Helper()
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notify datagram: %v", err)
		}
		return string(buf[:n])
	}

	p := startServe(t, t.TempDir())
	if got := next(); got != "READY=1" {
		t.Fatalf("first datagram %q, want READY=1", got)
	}
	// Ready means serving: the engine API answers.
	p.call(t, "GET", "/api/v1/engines", nil, 200, nil)
	for i := 0; i < 3; i++ {
		if got := next(); got != "WATCHDOG=1" {
			t.Fatalf("datagram %d after READY=1 is %q, want WATCHDOG=1", i+1, got)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		got := next()
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("datagram %q while stopping, want WATCHDOG=1 or STOPPING=1", got)
		}
	}
	<-p.done
	if p.err != nil {
		t.Fatalf("exit %v; log:\n%s", p.err, p.log.String())
	}
}
