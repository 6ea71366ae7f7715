package factory

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HostTimezone returns the host's IANA zone name: TZ, then /etc/timezone, then the
// /etc/localtime link, else "UTC" (never Go's "Local").
func HostTimezone() string {
	return hostTimezone(os.Getenv("TZ"), "/etc/timezone", "/etc/localtime")
}

func hostTimezone(tz, etcTimezone, etcLocaltime string) string {
	valid := func(name string) bool {
		if name == "" || name == "Local" {
			return false
		}
		_, err := time.LoadLocation(name)
		return err == nil
	}
	if tz = strings.TrimPrefix(tz, ":"); valid(tz) {
		return tz
	}
	if b, err := os.ReadFile(etcTimezone); err == nil {
		if name := strings.TrimSpace(string(b)); valid(name) {
			return name
		}
	}
	if link, err := os.Readlink(etcLocaltime); err == nil {
		link = filepath.ToSlash(link)
		if i := strings.Index(link, "zoneinfo/"); i >= 0 {
			if name := link[i+len("zoneinfo/"):]; valid(name) {
				return name
			}
		}
	}
	return "UTC"
}
