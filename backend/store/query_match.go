package store

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/syslog"
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
// ASCII case, and its argument: containsFunc(col, lowered needle), which
// reads the whole text (NUL bytes included) and runs faster than the LIKE
// '%needle%' it replaced (which stopped at a NUL) and instr(lower(col),
// needle).
func containsCond(col, needle string) (string, any) {
	return containsFunc + "(" + quoteIdent(col) + ", ?)", asciiLower(needle)
}

// substringTerms returns the terms (to be ORed) of "some shown column of a
// file with columns has and facts f holds needle", ignoring ASCII case, and
// their arguments; "0" when no column can. Five shortcuts give the same
// rows while comparing less on each row (a search in every column compared
// all of a mikrotik row's 11 columns: 1.25M rows/s):
//   - the class's values and the header columns other than facility,
//     severity and header_time are cut out of the line (class.Extract,
//     syslog.Parse), which original_log holds: where the file knows that
//     (f.valuesInLine) and original_log is shown, they are compared only on
//     rows without it;
//   - time holds only digits and ':' (TimeLayout): a needle with any other
//     byte is not in it;
//   - time_zone holds one of f.zones (when known): it is compared only when
//     one of them holds the needle;
//   - log_sender_ip, where the file knows no sender IP has a zone
//     (f.plainIPs), holds only hex digits, '.' and ':';
//   - client holds one of f.clients (when known): it is compared only when
//     one of them holds the needle.
func substringTerms(shown []string, has map[string]bool, needle string, f *fileFacts) ([]string, []any) {
	if f == nil {
		f = &fileFacts{}
	}
	zones := f.zones
	original := f.valuesInLine && has[class.ColOriginal] && slices.Contains(shown, class.ColOriginal)
	var ors, inLine []string
	var args, inLineArgs []any
	for _, c := range shown {
		switch {
		case !has[c]:
		case c == class.ColTime && strings.Trim(needle, "0123456789:") != "":
		case c == class.ColSenderIP && f.plainIPs && strings.Trim(needle, "0123456789abcdefABCDEF.:") != "":
		case c == class.ColTimeZone && zones != nil && !anyContains(zones, needle):
		case c == class.ColClient && f.clients != nil && !anyContains(f.clients, needle):
		case original && cutFromLine(c):
			cond, arg := containsCond(c, needle)
			inLine = append(inLine, cond)
			inLineArgs = append(inLineArgs, arg)
		default:
			cond, arg := containsCond(c, needle)
			ors = append(ors, cond)
			args = append(args, arg)
		}
	}
	if len(inLine) > 0 {
		ors = append(ors, "("+quoteIdent(class.ColOriginal)+" IS NULL AND "+balanced(inLine, " OR ")+")")
		args = append(args, inLineArgs...)
	}
	if len(ors) == 0 {
		return []string{"0"}, nil
	}
	return ors, args
}

// cutFromLine reports whether column c's values are substrings of their
// row's line: a class value column or a header column other than facility,
// severity and header_time.
func cutFromLine(c string) bool {
	switch c {
	case syslog.ColFacility, syslog.ColSeverity, syslog.ColHeaderTime:
		return false
	}
	return !slices.Contains(class.Reserved, c)
}

// anyContains reports whether some of vals holds needle, ignoring ASCII
// case (as containsFunc compares).
func anyContains(vals []string, needle string) bool {
	n := asciiLower(needle)
	for _, v := range vals {
		if strings.Contains(asciiLower(v), n) {
			return true
		}
	}
	return false
}
