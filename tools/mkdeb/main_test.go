package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDebVersion(t *testing.T) {
	for _, c := range []struct {
		describe string
		commits  int
		want     string
	}{
		{"v1.2.3-0-gabc1234", 10, "1.2.3"},
		{"v1.2.3-4-gabc1234", 10, "1.2.3+git4.abc1234"},
		{"v1.2.3-4-gabc1234-dirty", 10, "1.2.3+git4.abc1234+dirty"},
		{"1.0-0-gabc1234-dirty", 10, "1.0+dirty"},
		{"d1a625e", 812, "0.0.0+git812.d1a625e"},
		{"d1a625e-dirty", 812, "0.0.0+git812.d1a625e.dirty"},
		{"weird tag_x-y", 1, "0.0.0+weird.tag.x.y"},
	} {
		got := debVersion(c.describe, c.commits)
		if got != c.want {
			t.Errorf("debVersion(%q, %d) = %q, want %q", c.describe, c.commits, got, c.want)
		}
		if !validDebVersion(got) {
			t.Errorf("debVersion(%q) = %q is not a valid Debian version", c.describe, got)
		}
	}
	for _, bad := range []string{"", "v1.0", "1.0 2", "1.0_2", "-1"} {
		if validDebVersion(bad) {
			t.Errorf("validDebVersion(%q) = true", bad)
		}
	}
}

// The deb's unit is the repository's with /usr/bin in ExecStart and nothing of /opt left.
func TestDebUnit(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join("..", "..", "systemd", "logsieve.service"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := debUnit(unit)
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	if !strings.Contains(s, "\nExecStart=/usr/bin/logsieve serve ") || strings.Contains(s, "/opt/") {
		t.Errorf("unit not moved to /usr/bin:\n%s", s)
	}
	if _, err := debUnit([]byte("[Service]\nExecStart=/usr/local/bin/x\n")); err == nil {
		t.Error("debUnit accepted a unit without the /opt ExecStart")
	}
}

// libcDepends reads the GLIBC_ versions of a dynamic binary: /bin/sh is one on any Debian.
func TestLibcDepends(t *testing.T) {
	got, err := libcDepends("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "libc6 (>= 2.") {
		t.Errorf("libcDepends(/bin/sh) = %q", got)
	}
}
