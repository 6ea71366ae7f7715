package class

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// NameError reports an invalid class name.
type NameError struct{ Name, Reason string }

// Error returns `invalid class name "x": reason`.
func (e *NameError) Error() string {
	return fmt.Sprintf("invalid class name %q: %s", e.Name, e.Reason)
}

// KeyError reports an invalid key or pattern of a class. Pos is the byte offset
// of the error in the pattern, -1 when the error is not about a position.
type KeyError struct {
	Key    string
	Reason string
	Pos    int
}

// Error returns `key "k": pattern error at position 3: missing closing )` for a
// pattern error with a position and `key "k": reason` otherwise.
func (e *KeyError) Error() string {
	if e.Pos >= 0 {
		return fmt.Sprintf("key %q: pattern error at position %d: %s", e.Key, e.Pos, e.Reason)
	}
	return fmt.Sprintf("key %q: %s", e.Key, e.Reason)
}

// ValidateName checks a class name against ^[a-z0-9_]+$ and returns a
// *NameError when it does not match.
func ValidateName(name string) error {
	if name == "" {
		return &NameError{Name: name, Reason: "name is empty"}
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLower(c) && !isDigit(c) && c != '_' {
			return &NameError{Name: name, Reason: "only lowercase letters, digits and _ are allowed"}
		}
	}
	return nil
}

// validateKey checks a key name: ^[a-z][a-z0-9_]{0,62}$ and not reserved.
func validateKey(k string) error {
	switch {
	case k == "":
		return &KeyError{Key: k, Reason: "key name is empty", Pos: -1}
	case len(k) > 63:
		return &KeyError{Key: k, Reason: "key name is longer than 63 characters", Pos: -1}
	case !isLower(k[0]):
		return &KeyError{Key: k, Reason: "key name must start with a lowercase letter", Pos: -1}
	}
	for i := 1; i < len(k); i++ {
		if c := k[i]; !isLower(c) && !isDigit(c) && c != '_' {
			return &KeyError{Key: k, Reason: "key name may only hold lowercase letters, digits and _", Pos: -1}
		}
	}
	for _, r := range Reserved {
		if k == r {
			return &KeyError{Key: k, Reason: "key name is a reserved column", Pos: -1}
		}
	}
	return nil
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func quote(s string) string { return strconv.Quote(s) }

// patternError turns a regexp compile error into a *KeyError with the reason
// (the syntax error code) and the byte position of the error in pattern.
func patternError(key, pattern string, err error) *KeyError {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return &KeyError{Key: key, Reason: err.Error(), Pos: -1}
	}
	reason := se.Code.String()
	if se.Expr != "" && se.Expr != pattern {
		reason += ": `" + se.Expr + "`"
	}
	return &KeyError{Key: key, Reason: reason, Pos: errorPos(pattern, se)}
}

// errorPos finds the byte offset in pattern of the syntax error se.
func errorPos(pattern string, se *syntax.Error) int {
	sc := scan(pattern)
	switch se.Code {
	case syntax.ErrMissingParen:
		if n := len(sc.unclosed); n > 0 {
			return sc.unclosed[n-1]
		}
		return len(pattern)
	case syntax.ErrUnexpectedParen:
		if sc.unexpected >= 0 {
			return sc.unexpected
		}
		return 0
	case syntax.ErrTrailingBackslash:
		return len(pattern) - 1
	case syntax.ErrInvalidUTF8:
		for i := 0; i < len(pattern); {
			r, size := utf8.DecodeRuneInString(pattern[i:])
			if r == utf8.RuneError && size == 1 {
				return i
			}
			i += size
		}
		return 0
	case syntax.ErrLarge, syntax.ErrNestingDepth:
		return -1
	}
	if se.Expr == "" || se.Expr == pattern {
		return 0
	}
	// The parser reports the text at the point of the error: take its first
	// occurrence that starts a token (not the second byte of an escape).
	for off := 0; ; {
		i := strings.Index(pattern[off:], se.Expr)
		if i < 0 {
			break
		}
		if !sc.inEscape[off+i] {
			return off + i
		}
		off += i + 1
	}
	if i := strings.Index(pattern, se.Expr); i >= 0 {
		return i
	}
	return 0
}

// scanResult is a light lexical view of a pattern, enough to place errors.
type scanResult struct {
	inEscape   []bool // byte i is inside an escape (after its backslash) or \Q...\E
	inClass    []bool // byte i is inside a [...] class
	unclosed   []int  // offsets of '(' never closed
	unexpected int    // offset of the first ')' without '(' or -1
}

// scan walks pattern the way RE2 lexes it: escapes, \Q...\E, classes (with
// [:name:]) and parentheses.
func scan(p string) scanResult {
	r := scanResult{inEscape: make([]bool, len(p)), inClass: make([]bool, len(p)), unexpected: -1}
	class := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		r.inClass[i] = class
		switch {
		case c == '\\' && i+1 < len(p) && p[i+1] == 'Q' && !class:
			end := strings.Index(p[i+2:], `\E`)
			stop := len(p)
			if end >= 0 {
				stop = i + 2 + end + 2
			}
			for j := i + 1; j < stop; j++ {
				r.inEscape[j] = true
			}
			i = stop - 1
		case c == '\\':
			if i+1 < len(p) {
				r.inEscape[i+1] = true
				r.inClass[i+1] = class
			}
			i++
		case class:
			if c == '[' && i+1 < len(p) && p[i+1] == ':' {
				if end := strings.Index(p[i+2:], ":]"); end >= 0 {
					for j := i + 1; j < i+2+end+2; j++ {
						r.inClass[j] = true
					}
					i += 2 + end + 1
				}
			} else if c == ']' {
				class = false
			}
		case c == '[':
			class = true
			// A ']' right after '[' or '[^' is a literal.
			if i+1 < len(p) && p[i+1] == '^' {
				i++
				r.inClass[i] = true
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++
				r.inClass[i] = true
			}
		case c == '(':
			r.unclosed = append(r.unclosed, i)
		case c == ')':
			if n := len(r.unclosed); n > 0 {
				r.unclosed = r.unclosed[:n-1]
			} else if r.unexpected < 0 {
				r.unexpected = i
			}
		}
	}
	return r
}
