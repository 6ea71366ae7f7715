//go:build linux

package api

import (
	"os"

	"golang.org/x/sys/unix"
)

// ntpSynchronized reports whether the kernel clock is synchronised: systemd-timesyncd's
// flag file, else the kernel's STA_UNSYNC status bit (read-only adjtimex; nothing is
// changed and no command is run).
func ntpSynchronized() bool {
	if _, err := os.Stat("/run/systemd/timesync/synchronized"); err == nil {
		return true
	}
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0
}
