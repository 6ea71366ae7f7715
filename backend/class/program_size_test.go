package class

import (
	"regexp/syntax"
	"strings"
	"testing"
)

// TestProgramSizeIsAnUpperBoundOfTheCompiledProgram compares the estimate with the
// program regexp/syntax compiles.
func TestProgramSizeIsAnUpperBoundOfTheCompiledProgram(t *testing.T) {
	f := func(pattern string, atLeast int) {
		t.Helper()
		insts, caps, err := ProgramSize("k", pattern)
		if err != nil {
			t.Fatalf("%s: %v", pattern, err)
		}
		re, err := syntax.Parse(pattern, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := syntax.Compile(re.Simplify())
		if err != nil {
			t.Fatal(err)
		}
		if insts < len(prog.Inst) || insts < atLeast {
			t.Errorf("%s: unexpected estimate; got %d; want >= %d (compiled) and >= %d", pattern, insts, len(prog.Inst), atLeast)
		}
		if insts > 3*len(prog.Inst)+8 {
			t.Errorf("%s: estimate too loose; got %d for %d compiled instructions", pattern, insts, len(prog.Inst))
		}
		if caps != re.MaxCap() {
			t.Errorf("%s: unexpected captures; got %d; want %d", pattern, caps, re.MaxCap())
		}
	}
	f(`src=(\S+)`, 0)
	f(`(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})`, 0)
	f(`(\w+\s?){1000}[0-9]`, 6000)
	f(`(?:\w*){1000}x{2,}y{3,7}z*`, 2000)
	f(`a|b|(c|d)+|e?`, 0)
	f(strings.Repeat(`(\w?)`, 300), 0)
	f(`(?i)user=(\w+)`, 0)
	if _, _, err := ProgramSize("bad", "a)"); err == nil {
		t.Errorf("a) parsed")
	} else if ke, ok := err.(*KeyError); !ok || ke.Key != "bad" {
		t.Errorf("unexpected error; got %v; want a *KeyError of key bad", err)
	}
}
