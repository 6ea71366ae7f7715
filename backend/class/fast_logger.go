package class

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Skipped names a class of an import that was not imported and why.
type Skipped struct{ Name, Reason string }

// ParseFastLogger reads a Fast Logger GLOBAL_CONFIG.JSON, a JSON object whose
// "ENGINE_CLASSES" maps class names to {key: Python regex}. It compiles each
// class with the key order of the JSON text and returns them in text order. A
// class is skipped, with the reason, when its name or a key is invalid, a value
// is not a string, or a pattern uses Python-only syntax (lookarounds,
// backreferences, ...) or anything else RE2 rejects; patterns are never
// rewritten. err is set only when data is not such a JSON document.
func ParseFastLogger(data []byte) (classes []*Class, skipped []Skipped, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, nil, fmt.Errorf("cannot read fast logger config: %w", err)
	}
	raw, ok := top["ENGINE_CLASSES"]
	if !ok {
		return nil, nil, errors.New(`cannot read fast logger config: no "ENGINE_CLASSES"`)
	}
	names, err := OrderedKeys(raw)
	if err != nil {
		return nil, nil, fmt.Errorf(`cannot read "ENGINE_CLASSES" of fast logger config: %w`, err)
	}
	var byName map[string]json.RawMessage
	if err := json.Unmarshal(raw, &byName); err != nil {
		return nil, nil, fmt.Errorf(`cannot read "ENGINE_CLASSES" of fast logger config: %w`, err)
	}
	for _, name := range names {
		c, reason := importClass(name, byName[name])
		if reason != "" {
			skipped = append(skipped, Skipped{Name: name, Reason: reason})
			continue
		}
		classes = append(classes, c)
	}
	return classes, skipped, nil
}

// importClass compiles one Fast Logger class or returns why it cannot.
func importClass(name string, raw json.RawMessage) (*Class, string) {
	if err := ValidateName(name); err != nil {
		return nil, err.Error()
	}
	keys, err := OrderedKeys(raw)
	if err != nil {
		return nil, err.Error()
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err.Error()
	}
	patterns := make(map[string]string, len(fields))
	for _, k := range keys {
		p, ok := fields[k].(string)
		if !ok {
			return nil, fmt.Sprintf("key %q: pattern is not a string", k)
		}
		if reason := pythonOnly(p); reason != "" {
			return nil, fmt.Sprintf("key %q: %s", k, reason)
		}
		patterns[k] = p
	}
	c, err := Compile(name, patterns, keys)
	if err != nil {
		return nil, err.Error()
	}
	return c, ""
}

// pythonGroups are the group openers of Python's re that RE2 does not support.
var pythonGroups = []struct{ prefix, what string }{
	{"(?=", "lookahead (?=...)"},
	{"(?!", "negative lookahead (?!...)"},
	{"(?<=", "lookbehind (?<=...)"},
	{"(?<!", "negative lookbehind (?<!...)"},
	{"(?P=", "named backreference (?P=name)"},
	{"(?>", "atomic group (?>...)"},
	{"(?(", "conditional group (?(...)...)"},
	{"(?#", "comment group (?#...)"},
}

// pythonOnly names the first Python re construct in p that RE2 does not
// support or reads differently, or returns "".
func pythonOnly(p string) string {
	sc := scan(p)
	for i := 0; i < len(p); i++ {
		if sc.inEscape[i] || sc.inClass[i] {
			continue
		}
		var what string
		for _, g := range pythonGroups {
			if strings.HasPrefix(p[i:], g.prefix) {
				what = g.what
				break
			}
		}
		switch {
		case what != "":
		case p[i] == '\\' && i+1 < len(p) && p[i+1] >= '1' && p[i+1] <= '9' && !isOctal3(p[i+1:]):
			what = "backreference \\" + p[i+1:i+1+digits(p[i+1:])]
		case (p[i] == '+' || p[i] == '*' || p[i] == '?' || p[i] == '}') && i+1 < len(p) && p[i+1] == '+' && !sc.inEscape[i+1]:
			what = "possessive quantifier " + p[i:i+2]
		case p[i] == '{' && i+1 < len(p) && p[i+1] == ',':
			if j := i + 2 + digits(p[i+2:]); j > i+2 && j < len(p) && p[j] == '}' {
				what = "repetition " + p[i:j+1] + " (RE2 reads it as literal text)"
			}
		}
		if what != "" {
			return fmt.Sprintf("Python-only syntax at position %d: %s is not supported by RE2", i, what)
		}
	}
	return ""
}

// digits returns how many ASCII digits s starts with.
func digits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// isOctal3 reports whether s starts with three octal digits (an octal escape
// in both Python and RE2).
func isOctal3(s string) bool {
	return len(s) >= 3 && s[0] >= '0' && s[0] <= '7' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7'
}
