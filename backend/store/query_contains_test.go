package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFindFoldIsAPlainCaseFoldedSearch compares containsFunc's search with
// strings.Contains on ASCII-lowercased text, by AVX2 and by SSE2, on texts
// of every length around the 32- and 16-byte steps, with the needle at every offset, in either
// case, and with the bytes a case fold could confuse ('@' and '`', '[' and
// '{', NUL, bytes >= 0x80).
func TestFindFoldIsAPlainCaseFoldedSearch(t *testing.T) {
	if !hasAVX2() {
		t.Log("this CPU has no AVX2: both searches are SSE2's")
	}
	f := func(s, needle string) {
		t.Helper()
		want := strings.Contains(asciiLower(s), asciiLower(needle))
		for _, avx2 := range []bool{false, true} {
			if got := findFold(s, asciiLower(needle), avx2); got != want {
				t.Fatalf("findFold(%q, %q, avx2 %v) = %v; want %v", s, needle, avx2, got, want)
			}
		}
	}
	f("", "")
	f("abc", "")
	f("", "a")
	f("ab", "abc")
	f("a@b", "a`b") // '@' | 0x20 is '`': only letters fold
	f("a`b", "A@B")
	f("[x]", "{x}")
	f("Needle4", "needle4")
	f("NEEDLE4", "needle4")
	f("needlE", "needle4")
	f("x\x00needle4", "needle4") // LIKE stopped at a NUL; the search reads the whole text
	f("a\x00b", "a\x00b")
	f("a\x00b", "a\x00c")
	f("héllo", "HÉLLO") // É is not ASCII: no fold
	f("héllo", "hÉllo")
	f("HÉLLO", "hÉllo")

	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("aAbBzZ@`[{09 \x00\x80\xc3\xa9_-.:")
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for n := 1; n <= 40; n++ {
		needle := word(n%9 + 1)
		for hn := 0; hn <= 110; hn++ {
			s := word(hn)
			f(s, needle)
			for at := 0; at+len(needle) <= hn; at++ {
				// The needle planted at offset at, its letters' case flipped at random.
				nb := []byte(needle)
				for i, c := range nb {
					if r.IntN(2) == 0 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
						nb[i] = c ^ 0x20
					}
				}
				f(s[:at]+string(nb)+s[at+len(nb):], needle)
				// One byte of it changed: found only where the text holds it elsewhere.
				nb[r.IntN(len(nb))] = alphabet[r.IntN(len(alphabet))]
				f(s[:at]+string(nb)+s[at+len(nb):], needle)
			}
		}
	}
}

// TestSubstringSearchMatchesAPlainScan compares the rows a substring search
// (q and filter=col:text) finds in a day file with a scan in Go over the
// same texts, for needles in either case, with NUL bytes, wildcards of
// LIKE and bytes a case fold could confuse.
func TestSubstringSearchMatchesAPlainScan(t *testing.T) {
	texts := []string{"User=Alice, peer 10.0.0.1", "malice@home", "a`b", "A@B", "50%off", "a_b", "c:\\x",
		"x\x00needle4 after a NUL", "NEEDLE4 upper", "needl4", "héllo wörld", "HÉLLO", "",
		strings.Repeat("y", 300) + "needle4", strings.Repeat("needle", 60)}
	dir := matchFixture(t, texts...)
	for _, needle := range []string{"alice", "ALICE", "a@b", "a`b", "%", "_", "\\", "needle4", "\x00", "x\x00n",
		"héllo", "HÉLLO", "llo", "e", "needleneedle", "zzz"} {
		var want []string
		for i, x := range texts {
			if strings.Contains(asciiLower(x), asciiLower(needle)) {
				want = append(want, fmt.Sprint(i+1))
			}
		}
		for _, q := range []Query{{Q: needle}, {Filters: []Filter{{Column: "msg", Text: needle}}}} {
			q.Date, q.Order, q.Limit = queryDate, []string{"msg"}, MaxLimit
			p, err := QueryDay(t.Context(), dir, q)
			if err != nil {
				t.Fatal(err)
			}
			got := pageIDs(p)
			if len(want) == 0 {
				want = []string{}
			}
			checkEqual(t, fmt.Sprintf("ids of %+v", q), got, want)
		}
	}
}
