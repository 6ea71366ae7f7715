// Package sdnotify speaks systemd's notify protocol (sd_notify(3)): one datagram of
// "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET. A unit with Type=notify
// is started once READY=1 arrives; with WatchdogSec= it is killed and restarted when
// WATCHDOG=1 stops coming. Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
//
// The protocol is these few lines, so they are written here instead of importing
// github.com/coreos/go-systemd (its daemon package is the same code plus D-Bus-free
// helpers we do not use).
package sdnotify

import (
	"net"
	"os"
	"strconv"
	"time"
)

// Common states (sd_notify(3)).
const (
	Ready     = "READY=1"
	Stopping  = "STOPPING=1"
	Watchdog  = "WATCHDOG=1"
	Reloading = "RELOADING=1"
)

// Notify sends state to the service manager. It reports false with a nil error when
// $NOTIFY_SOCKET is unset (not started by systemd, or not Type=notify).
func Notify(state string) (bool, error) {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return false, nil
	}
	// A leading @ names a socket in the abstract namespace (a leading NUL byte).
	if name[0] == '@' {
		name = "\x00" + name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, err
	}
	return true, nil
}

// WatchdogInterval returns how often to send WATCHDOG=1: half of $WATCHDOG_USEC (what
// sd_watchdog_enabled(3) advises), or 0 when systemd asks for no keep-alive (unset, or
// $WATCHDOG_PID names another process).
func WatchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if p := os.Getenv("WATCHDOG_PID"); p != "" {
		if pid, err := strconv.Atoi(p); err != nil || pid != os.Getpid() {
			return 0
		}
	}
	return time.Duration(usec) * time.Microsecond / 2
}
