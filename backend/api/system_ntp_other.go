//go:build !linux

package api

// ntpSynchronized is unknown (false) off Linux.
func ntpSynchronized() bool { return false }
