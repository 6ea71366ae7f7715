package class

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/logsieve/logsieve/backend/syslog"
)

var (
	nameSpec = regexp.MustCompile(`^[a-z0-9_]+$`)
	keySpec  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// FuzzClassNames checks class and key name validation against the naming rules (docs/api.md)
// rules written as regular expressions (keys also not syslog header columns):
// Compile accepts exactly the valid names, refuses the others with a typed error, and never yields duplicate or
// reserved columns.
func FuzzClassNames(f *testing.F) {
	f.Add("fw", "src_ip", "src_port")
	f.Add("fw", "a_ip", "b_ip")
	f.Add("Fw", "a", "b")
	f.Add("fw", "time", "a")
	f.Add("fw", "client_ip", "x")
	f.Add("fw", "received_ip", "x")
	f.Add("0", "app", "a") // a syslog header column (a run of the fuzzer found it)
	f.Add("x'; drop table logs;--", "a\x00", "b")
	f.Add("", "a", "a")
	f.Add("fw", strings.Repeat("a", 63), strings.Repeat("b", 64))
	f.Fuzz(func(t *testing.T, name, k1, k2 string) {
		c, err := Compile(name, map[string]string{k1: "a", k2: "b"}, []string{k1, k2})
		want := nameSpec.MatchString(name) && k1 != k2
		cols := []string{}
		for _, k := range []string{k1, k2} {
			want = want && keySpec.MatchString(k) && !slices.Contains(Reserved, k) && !syslog.IsColumn(k)
			cols = append(cols, k)
			if p, ok := strings.CutSuffix(k, "_ip"); ok {
				cols = append(cols, p+"_port")
			}
		}
		for i, col := range cols {
			want = want && !slices.Contains(Reserved, col) && !slices.Contains(cols[i+1:], col)
		}
		if err != nil {
			var ne *NameError
			var ke *KeyError
			if !errors.As(err, &ne) && !errors.As(err, &ke) {
				t.Fatalf("Compile(%q, %q, %q): untyped error %v", name, k1, k2, err)
			}
			if want {
				t.Fatalf("Compile(%q, %q, %q) refused valid names: %v", name, k1, k2, err)
			}
			return
		}
		if !want {
			t.Fatalf("Compile(%q, %q, %q) accepted invalid names; columns %q", name, k1, k2, c.Columns())
		}
		if got := c.Columns(); !slices.Equal(got, cols) {
			t.Fatalf("Compile(%q, %q, %q) columns; got %q; want %q", name, k1, k2, got, cols)
		}
	})
}
