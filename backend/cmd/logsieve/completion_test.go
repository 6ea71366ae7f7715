package main

import (
	"bytes"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestBashCompletionKnowsEveryFlag compares completions/logsieve.bash with each command's
// flag definitions (what `logsieve CMD -h` lists), both ways.
func TestBashCompletionKnowsEveryFlag(t *testing.T) {
	script, err := os.ReadFile("../../../completions/logsieve.bash")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string][]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*([a-z-]+)\) flags="([^"]*)"`).FindAllStringSubmatch(string(script), -1) {
		listed[m[1]] = strings.Fields(m[2])
	}
	flagRE := regexp.MustCompile(`(?m)^\s+-([a-z][a-z-]*)`)
	for _, cmd := range []string{"serve", "loadgen", "bench", "bench-query", "import-fastlogger"} {
		var out, errb bytes.Buffer
		run([]string{cmd, "-h"}, &out, &errb)
		var defined []string
		for _, m := range flagRE.FindAllStringSubmatch(errb.String(), -1) {
			defined = append(defined, "--"+m[1])
		}
		sort.Strings(defined)
		got := append([]string(nil), listed[cmd]...)
		sort.Strings(got)
		if len(defined) == 0 || strings.Join(got, " ") != strings.Join(defined, " ") {
			t.Errorf("completion of %s; got %q; want the defined flags %q", cmd, got, defined)
		}
		if !strings.Contains(string(script), " "+cmd+" ") && !strings.Contains(string(script), "\""+cmd+" ") {
			t.Errorf("command %s is not among the completed commands", cmd)
		}
	}
}
