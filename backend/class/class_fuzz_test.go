package class

import (
	"database/sql"
	"errors"
	"testing"
)

// checkExtract extracts line with c and checks the invariants of Extract: dst
// keeps its length, values are substrings of line, the fast path agrees with
// the regexp, a valid port is 1-5 digits and comes with a valid IP.
func checkExtract(t *testing.T, c *Class, line string) {
	t.Helper()
	dst := make([]sql.NullString, len(c.Columns()))
	matched := c.NewExtractor().Extract(line, dst)
	if len(dst) != len(c.Columns()) {
		t.Fatalf("dst length changed to %d; want %d", len(dst), len(c.Columns()))
	}
	anyValid := false
	for i := range c.matchers {
		m := &c.matchers[i]
		s, e := m.findRegexp(line)
		got := dst[m.col]
		switch {
		case s < 0 && got.Valid:
			t.Fatalf("key %q on %q: got %q; regexp says NULL", c.Keys[i].Name, line, got.String)
		case s >= 0 && !got.Valid:
			t.Fatalf("key %q on %q: got NULL; regexp says %q", c.Keys[i].Name, line, line[s:e])
		case s >= 0 && !m.ip && got.String != line[s:e]:
			t.Fatalf("key %q on %q: got %q; regexp says %q", c.Keys[i].Name, line, got.String, line[s:e])
		}
		anyValid = anyValid || got.Valid
		if !m.ip {
			continue
		}
		port := dst[m.col+1]
		if port.Valid {
			if !got.Valid || !validPort(port.String) {
				t.Fatalf("key %q on %q: port %q with ip %v", c.Keys[i].Name, line, port.String, got)
			}
			if got.String+":"+port.String != line[s:e] && "["+got.String+"]:"+port.String != line[s:e] {
				t.Fatalf("key %q on %q: ip %q and port %q do not make up %q", c.Keys[i].Name, line, got.String, port.String, line[s:e])
			}
		} else if got.Valid && got.String != line[s:e] {
			t.Fatalf("key %q on %q: value %q without port is not the whole %q", c.Keys[i].Name, line, got.String, line[s:e])
		}
	}
	if matched != anyValid {
		t.Fatalf("Extract(%q) = %v; want %v", line, matched, anyValid)
	}
}

func FuzzExtract(f *testing.F) {
	f.Add(mikrotikLine)
	f.Add("")
	f.Add("to [2001:db8::1]:8080 proto UDP len 12")
	for _, l := range benchLines()[:8] {
		f.Add(l)
	}
	c := benchClass(f)
	ipc, err := Compile("ipc", map[string]string{"a_ip": `a=(\S+)`, "b_ip": `b=([^ ]*)`, "n": `n(\d*)x`}, []string{"a_ip", "b_ip", "n"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		checkExtract(t, c, line)
		checkExtract(t, ipc, line)
	})
}

func FuzzCompile(f *testing.F) {
	f.Add(`len (\d+)`, "proto TCP, len 946")
	f.Add(`\d{1,2}:\d{1,2}:\d{1,2}\s+(\w+)`, mikrotikLine)
	f.Add(`->(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+)`, mikrotikLine)
	f.Add(`abc(def`, "abcdef")
	f.Add(`x[a-z]+!`, "xab xcd!")
	f.Add(`(a)(?:b(c))*`, "abcbc")
	f.Add(`[\q]`, "q")
	f.Fuzz(func(t *testing.T, pattern, line string) {
		for _, key := range []string{"v", "v_ip"} {
			c, err := Compile("fuzz", map[string]string{key: pattern}, []string{key})
			if err != nil {
				var ke *KeyError
				if !errors.As(err, &ke) || ke.Key != key || ke.Pos < -1 || ke.Pos > len(pattern) {
					t.Fatalf("Compile(%q): error %#v; want a *KeyError for key %q with a position in the pattern", pattern, err, key)
				}
				return
			}
			checkExtract(t, c, line)
		}
	})
}
