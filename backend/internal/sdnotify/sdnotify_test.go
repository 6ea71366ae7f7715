package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// listen binds a unixgram socket in a temp dir and names it in $NOTIFY_SOCKET.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func read(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotifySendsEachStateAsOneDatagram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	conn := listen(t, path)
	t.Setenv("NOTIFY_SOCKET", path)
	for _, state := range []string{Ready, Watchdog, "STATUS=serving 3 engines", Stopping} {
		sent, err := Notify(state)
		if err != nil || !sent {
			t.Fatalf("Notify(%q) = %v, %v", state, sent, err)
		}
		if got := read(t, conn); got != state {
			t.Errorf("datagram %q, want %q", got, state)
		}
	}
}

func TestNotifyAbstractSocket(t *testing.T) {
	name := "logsieve-sdnotify-test-" + strconv.Itoa(os.Getpid())
	conn := listen(t, "@"+name) // Go maps a leading @ to the abstract namespace too
	t.Setenv("NOTIFY_SOCKET", "@"+name)
	if sent, err := Notify(Ready); err != nil || !sent {
		t.Fatalf("Notify = %v, %v", sent, err)
	}
	if got := read(t, conn); got != Ready {
		t.Errorf("datagram %q, want %q", got, Ready)
	}
}

func TestNotifyWithoutSystemdDoesNothing(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Notify(Ready); sent || err != nil {
		t.Errorf("Notify without NOTIFY_SOCKET = %v, %v; want false, nil", sent, err)
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "absent"))
	if sent, err := Notify(Ready); sent || err == nil {
		t.Errorf("Notify to a missing socket = %v, %v; want false and an error", sent, err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	for _, c := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"junk", "", 0},
		{"0", "", 0},
		{"30000000", "", 15 * time.Second},
		{"30000000", pid, 15 * time.Second},
		{"30000000", "1", 0}, // meant for another process
	} {
		t.Setenv("WATCHDOG_USEC", c.usec)
		t.Setenv("WATCHDOG_PID", c.pid)
		if got := WatchdogInterval(); got != c.want {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, want %v", c.usec, c.pid, got, c.want)
		}
	}
}
