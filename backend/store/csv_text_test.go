package store

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeCSVText reverses csvText as docs/api.md tells an operator to: a cell holding
// `\x` was escaped; read it left to right, `\\` -> `\`, `\xNN` -> byte NN.
func decodeCSVText(t *testing.T, s string) string {
	t.Helper()
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			b.WriteByte('\\')
			i++
		case i+3 < len(s) && s[i+1] == 'x':
			n, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			b.WriteByte(byte(n))
			i += 3
		default:
			t.Fatalf("lone backslash in escaped cell %q", s)
		}
	}
	return b.String()
}

// TestCSVTextIsUTF8AndReversible: every cell is written as valid UTF-8; cells that are
// valid UTF-8 without `\x` are unchanged; escaped ones decode back to the stored bytes.
func TestCSVTextIsUTF8AndReversible(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got := csvText(in)
		if got != want {
			t.Errorf("unexpected text of %q; got %q; want %q", in, got, want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("text of %q is not UTF-8: %q", in, got)
		}
		if back := decodeCSVText(t, got); back != in {
			t.Errorf("unexpected decoding of %q; got %q; want %q", got, back, in)
		}
	}
	f("", "")
	f("plain ascii", "plain ascii")
	f(`C:\Windows\dir`, `C:\Windows\dir`)
	f("ümlaut \u00e9 \uFFFD", "ümlaut \u00e9 \uFFFD")
	f("ok \xff\xfe end", `ok \xFF\xFE end`)
	f("\xc3", `\xC3`)
	f("\xc3(", `\xC3(`)
	f("\xed\xa0\x80", `\xED\xA0\x80`) // a UTF-16 surrogate is not UTF-8
	f(`literal \x41`, `literal \\x41`)
	f("\\\xff", `\\\xFF`)
	f(`\\x`, `\\\\x`)
	f("a\\b\x80", `a\\b\x80`)
}

// FuzzCSVText: any bytes come out as valid UTF-8 that decodes back to them.
func FuzzCSVText(f *testing.F) {
	for _, s := range []string{"", "a\xffb", `\x`, `\\`, "\xc3", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := csvText(in)
		if !utf8.ValidString(got) {
			t.Fatalf("text of %q is not UTF-8: %q", in, got)
		}
		if back := decodeCSVText(t, got); back != in {
			t.Fatalf("unexpected decoding of %q; got %q; want %q", got, back, in)
		}
	})
}
