package main

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The man page (packaging/deb/logsieve.1, installed by the .deb and the tarball) is
// what `logsieve man` generates from the flag definitions: a flag added without
// `make man` fails here.
func TestManPageIsGeneratedFromTheFlags(t *testing.T) {
	b, err := os.ReadFile("../../../packaging/deb/logsieve.1")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := run([]string{"man"}, &out, io.Discard); code != 0 {
		t.Fatalf("logsieve man: exit %d", code)
	}
	if out.String() != string(b) {
		t.Fatalf("packaging/deb/logsieve.1 differs from `logsieve man`; run make man")
	}
}

// The man page (packaging/deb/logsieve.1, installed by the .deb and the tarball) names
// every command of the usage text and every flag that serve defines, so a new flag
// cannot ship undocumented.
func TestManPageNamesEveryCommandAndServeFlag(t *testing.T) {
	b, err := os.ReadFile("../../../packaging/deb/logsieve.1")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	roff := func(s string) string { return strings.ReplaceAll(s, "-", `\-`) }

	var help bytes.Buffer
	if code := run([]string{"serve", "-h"}, io.Discard, &help); code != 2 {
		t.Fatalf("serve -h: exit %d, want 2", code)
	}
	flags := regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`).FindAllStringSubmatch(help.String(), -1)
	if len(flags) < 3 {
		t.Fatalf("serve -h lists %d flags:\n%s", len(flags), help.String())
	}
	for _, f := range flags {
		if !strings.Contains(page, roff("--"+f[1])) {
			t.Errorf("logsieve.1 does not document serve's flag --%s", f[1])
		}
	}
	for _, cmd := range regexp.MustCompile(`(?m)^  ([a-z][a-z-]+)`).FindAllStringSubmatch(usage, -1) {
		if !strings.Contains(page, roff(cmd[1])) {
			t.Errorf("logsieve.1 does not name the command %s", cmd[1])
		}
	}
}
