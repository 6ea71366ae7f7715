package store

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// csvRef writes cells as the export did with encoding/csv.
func csvRef(t testing.TB, cells []string) string {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	rec := make([]string, len(cells))
	for i, c := range cells {
		rec[i] = csvCell(c)
	}
	if err := cw.Write(rec); err != nil {
		t.Fatal(err)
	}
	cw.Flush()
	return b.String()
}

// csvOurs writes cells with appendCSVField.
func csvOurs(cells []string) string {
	var b []byte
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, c)
	}
	return string(append(b, '\n'))
}

func TestAppendCSVFieldMatchesEncodingCSV(t *testing.T) {
	f := func(cells ...string) {
		t.Helper()
		if got, want := csvOurs(cells), csvRef(t, cells); got != want {
			t.Fatalf("cells %q: got %q; want %q", cells, got, want)
		}
	}
	f("")
	f("", "")
	f("plain", "with space", "a,b", `say "hi"`, "line\nbreak", "cr\rx", "tab\tin")
	f(" lead", "\tlead", "\vlead", "\flead", "\nlead", "\rlead", "=1+2", "+1", "-1", "@x", "'q")
	f(`\.`, `\x41`, `back\slash`, "caf\xc3\xa9", "bad\xffbyte", "\xc2\xa0nbsp lead", "\u2028sep")
	f(`=a,"b"`, "-\n", `\`, `"`, ",", "x\x00y", "\x7f")
	f("<134> 01:02:05 R1 prerouting: in:<pppoe-user1> proto TCP (ACK,FIN,PSH), 1.2.3.4:5->6.7.8.9:80, len 52")
}

func FuzzAppendCSVField(f *testing.F) {
	for _, s := range []string{"", "a,b", ` "x"`, `\x`, "=1", "\xff", "\u00a0x"} {
		f.Add(s, "b")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := csvOurs([]string{a, b}), csvRef(t, []string{a, b}); got != want {
			t.Fatalf("cells %q, %q: got %q; want %q", a, b, got, want)
		}
	})
}
