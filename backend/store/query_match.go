package store

import (
	"database/sql"
	"fmt"
	"strings"
)

// How Query.Q matches (Query.Match).
const (
	MatchSubstring = "substring" // q occurs anywhere in a shown column (the default)
	MatchWord      = "word"      // q occurs with no word character right before or after it
)

// validMatch checks Query.Match.
func validMatch(m string) error {
	switch m {
	case "", MatchSubstring, MatchWord:
		return nil
	}
	return &FieldError{Field: "match", Reason: fmt.Sprintf("%q is not %q or %q", m, MatchSubstring, MatchWord)}
}

// wordByte maps a word character (ASCII letter, digit, `_`, any byte >=
// 0x80) to itself ASCII-lowercased, and every other byte to 0.
var wordByte = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'A' && c <= 'Z':
			t[c] = byte(c) + ('a' - 'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c >= 0x80:
			t[c] = byte(c)
		}
	}
	return t
}()

// hasWord reports whether needle (ASCII-lowercased) occurs in s, ignoring
// ASCII case, with no word character immediately before or after it.
func hasWord(s, needle string) bool {
	if needle == "" {
		return false
	}
	l := asciiLower(s)
	for off := 0; ; {
		i := strings.Index(l[off:], needle)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(needle)
		if (i == 0 || wordByte[l[i-1]] == 0) && (end == len(l) || wordByte[l[end]] == 0) {
			return true
		}
		off = i + 1
	}
}

// wordMatcher returns the row check of q with match=word: true when some
// cell holds q as a word (hasWord). nil when q needs no check in Go.
func wordMatcher(q Query) func(cells []*string) bool {
	if q.Match != MatchWord || q.Q == "" {
		return nil
	}
	needle := asciiLower(q.Q)
	return func(cells []*string) bool {
		for _, c := range cells {
			if c != nil && hasWord(*c, needle) {
				return true
			}
		}
		return false
	}
}

// valuesHaveWord is wordMatcher's check on scanned values.
func valuesHaveWord(vals []sql.NullString, needle string) bool {
	for _, v := range vals {
		if v.Valid && hasWord(v.String, needle) {
			return true
		}
	}
	return false
}

// containsCond returns the SQL condition "col contains needle", ignoring
// ASCII case, and its argument: col LIKE '%needle%' ESCAPE '\' (with %, _
// and \ escaped), which SQLite runs faster than instr(lower(col), needle).
// LIKE reads its text up to a NUL: a needle holding one keeps instr.
func containsCond(col, needle string) (string, any) {
	if strings.IndexByte(needle, 0) >= 0 {
		return "instr(lower(" + quoteIdent(col) + "), ?) > 0", asciiLower(needle)
	}
	return quoteIdent(col) + ` LIKE ? ESCAPE '\'`, likePattern(needle)
}

// likePattern returns the LIKE pattern (with ESCAPE '\') of a literal
// substring: %needle% with %, _ and \ escaped.
func likePattern(needle string) string {
	var b strings.Builder
	b.Grow(len(needle) + 4)
	b.WriteByte('%')
	for i := 0; i < len(needle); i++ {
		switch c := needle[i]; c {
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('%')
	return b.String()
}
