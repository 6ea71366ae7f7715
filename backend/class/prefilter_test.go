package class

import (
	"database/sql"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestFastMatcherTakesOnlyDeterministicSequences(t *testing.T) {
	f := func(pattern string, wantFast bool, wantLit string) {
		t.Helper()
		m, err := compileKey("k", pattern)
		if err != nil {
			t.Fatalf("compileKey(%q): %v", pattern, err)
		}
		if (m.fast != nil) != wantFast || m.lit != wantLit {
			t.Fatalf("pattern %q: got fast=%v lit=%q; want fast=%v lit=%q", pattern, m.fast != nil, m.lit, wantFast, wantLit)
		}
	}
	// The five keys of the bench class all take the fast path.
	f(`in:<pppoe-([A-Za-z\d]+)>`, true, "")
	f(`\d{1,2}:\d{1,2}:\d{1,2}\s+(\w+)`, true, ":")
	f(`->(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+)`, true, "")
	f(`proto (\w+)`, true, "")
	f(`len (\d+)`, true, "")
	// The regexp keeps what needs backtracking or non-ASCII classes; the
	// prefilter still checks a literal every match contains.
	f(`a\d+1`, false, "a")
	f(`(\d+?)x`, false, "x")
	f(`\bid=(\d+)`, false, "id=")
	f(`(?i)len (\d+)`, false, "")
	f(`user=(\w+)|uid=(\d+)`, false, "u")
	f(`(?:user|name)=(\w+)`, false, "=")
	f(`from (.+) port (\d+)`, false, " port ")
	f(`\d*x`, false, "x")
	f(`[^ ]+@example\.com`, false, "@example.com")
	f(`(?:ab)+c`, false, "ab")
}

func TestFastMatcherFallsBackOnQuadraticInput(t *testing.T) {
	m, err := compileKey("k", `a[a-z]+!`)
	if err != nil || m.fast == nil {
		t.Fatalf("compileKey: fast=%v err=%v; want a fast matcher", m.fast, err)
	}
	line := strings.Repeat("a", 1<<16)
	if _, _, ok := m.fast.find(line); ok {
		t.Fatalf("fast matcher scanned %d bytes of 'a' without giving up", len(line))
	}
	c := mustCompile(t, "q", map[string]string{"k": `a[a-z]+!`}, []string{"k"})
	dst := make([]sql.NullString, 1)
	if c.NewExtractor().Extract(line, dst) || dst[0].Valid {
		t.Fatalf("got %v; want NULL", dst[0])
	}
	if c.NewExtractor().Extract(line+"!", dst); !dst[0].Valid || len(dst[0].String) != len(line)+1 {
		t.Fatalf("got a value of %d bytes; want the whole line", len(dst[0].String))
	}
}

// TestFastMatcherAgreesWithRegexp compares the fast matcher with the regexp on
// random sequences of literals and ASCII class repeats over a small alphabet,
// where matches, near misses and overlaps are frequent.
func TestFastMatcherAgreesWithRegexp(t *testing.T) {
	atoms := []string{`a`, `b`, `ab`, `:`, `->`, `\d`, `\w`, `\s`, `[a-c]`, `[^\x00-\x60]`, `\.`, `é`}
	reps := []string{``, `+`, `*`, `?`, `{1,2}`, `{2}`, `{0,3}`, `{2,}`, `+?`}
	alphabet := []string{"a", "b", "c", "1", "2", ":", "-", ">", " ", ".", "é", "\xff", "_"}
	rng := rand.New(rand.NewPCG(1, 2))
	fast := 0
	for range 4000 {
		var p strings.Builder
		open := false
		for range 1 + rng.IntN(4) {
			if !open && rng.IntN(3) == 0 {
				p.WriteString("(")
				open = true
			}
			p.WriteString(atoms[rng.IntN(len(atoms))])
			p.WriteString(reps[rng.IntN(len(reps))])
			if open && rng.IntN(2) == 0 {
				p.WriteString(")")
				open = false
			}
		}
		if open {
			p.WriteString(")")
		}
		m, err := compileKey("k", p.String())
		if err != nil {
			t.Fatalf("compileKey(%q): %v", p.String(), err)
		}
		if m.fast == nil {
			continue
		}
		fast++
		for range 20 {
			var line strings.Builder
			for range rng.IntN(24) {
				line.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			s := line.String()
			fs, fe, ok := m.fast.find(s)
			if !ok {
				continue
			}
			rs, re := m.findRegexp(s)
			if fs != rs || (fs >= 0 && fe != re) {
				t.Fatalf("pattern %q on %q: fast [%d:%d]; regexp [%d:%d]", p.String(), s, fs, fe, rs, re)
			}
		}
	}
	if fast < 500 {
		t.Fatalf("only %d of 4000 random patterns took the fast path; the test checks too little", fast)
	}
}
