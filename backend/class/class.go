// Package class compiles and validates classes (named sets of regex keys) and
// extracts the values of one log line into the class's columns. It is pure: no
// I/O, no goroutines; a compiled Class is immutable and safe for concurrent use.
package class

import (
	"regexp"
	"slices"
	"strings"

	"github.com/logsieve/logsieve/backend/syslog"
)

// Class is a compiled, validated class. It is immutable once compiled and safe
// for concurrent use, and so is its Extractor.
type Class struct {
	Name string
	Keys []Key

	columns  []string
	matchers []matcher
}

// Key is one regex key of a class.
type Key struct {
	Name    string
	Pattern string
	// IP is true when Name ends in "_ip": the value is split into an IP and a
	// port column.
	IP bool
	// Columns are the value columns of the key: ["k"], or for an _ip key
	// ["dst_ip", "dst_port"].
	Columns []string
}

// matcher is the compiled form of one key.
type matcher struct {
	re     *regexp.Regexp
	groups bool   // the pattern has at least one capture group
	lit    string // a literal every match contains; "" when none is known
	ip     bool
	col    int // index of the key's first column
	fast   *fastMatcher
}

// Compile validates and compiles a class. It checks the class name
// (ValidateName), every key name (^[a-z][a-z0-9_]{0,62}$, not in Reserved,
// not a syslog header column (syslog.Columns), unique), compiles every pattern as RE2 and rejects a class where an _ip key's
// port column collides with another key or a reserved column. keys gives the
// column order and must name exactly the keys of patterns; a nil keys takes the
// keys of patterns in sorted order. Errors are *NameError or *KeyError.
func Compile(name string, patterns map[string]string, keys []string) (*Class, error) {
	return compile(name, patterns, keys, false)
}

// Load compiles a class read back from storage. It is Compile, except that a
// key may be named like a syslog header column: classes saved before those
// names were reserved keep loading (an engine that parses headers refuses
// such a class, see HeaderKeys).
func Load(name string, patterns map[string]string, keys []string) (*Class, error) {
	return compile(name, patterns, keys, true)
}

func compile(name string, patterns map[string]string, keys []string, stored bool) (*Class, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if keys == nil {
		keys = make([]string, 0, len(patterns))
		for k := range patterns {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if err := validateKey(k); err != nil {
			return nil, err
		}
		if !stored && syslog.IsColumn(k) {
			return nil, &KeyError{Key: k, Reason: "key name is a syslog header column", Pos: -1}
		}
		if seen[k] {
			return nil, &KeyError{Key: k, Reason: "duplicate key", Pos: -1}
		}
		seen[k] = true
		if _, ok := patterns[k]; !ok {
			return nil, &KeyError{Key: k, Reason: "key has no pattern", Pos: -1}
		}
	}
	if len(patterns) != len(keys) {
		missing := make([]string, 0, len(patterns))
		for k := range patterns {
			if !seen[k] {
				missing = append(missing, k)
			}
		}
		slices.Sort(missing)
		return nil, &KeyError{Key: missing[0], Reason: "key is missing from the key order", Pos: -1}
	}

	c := &Class{Name: name, Keys: make([]Key, 0, len(keys)), matchers: make([]matcher, 0, len(keys))}
	for _, k := range keys {
		key := Key{Name: k, Pattern: patterns[k], Columns: []string{k}}
		if strings.HasSuffix(k, "_ip") {
			port := strings.TrimSuffix(k, "_ip") + "_port"
			if seen[port] {
				return nil, &KeyError{Key: k, Reason: "its port column " + quote(port) + " collides with key " + quote(port), Pos: -1}
			}
			if slices.Contains(Reserved, port) {
				return nil, &KeyError{Key: k, Reason: "its port column " + quote(port) + " is a reserved column", Pos: -1}
			}
			key.IP = true
			key.Columns = append(key.Columns, port)
		}
		m, err := compileKey(k, key.Pattern)
		if err != nil {
			return nil, err
		}
		m.ip = key.IP
		m.col = len(c.columns)
		c.columns = append(c.columns, key.Columns...)
		c.Keys = append(c.Keys, key)
		c.matchers = append(c.matchers, m)
	}
	return c, nil
}

// compileKey compiles the RE2 pattern of key k and prepares its prefilter.
func compileKey(k, pattern string) (matcher, error) {
	if pattern == "" {
		return matcher{}, &KeyError{Key: k, Reason: "pattern is empty", Pos: -1}
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return matcher{}, patternError(k, pattern, err)
	}
	m := matcher{re: re, groups: re.NumSubexp() > 0}
	m.lit, m.fast = analyze(pattern)
	return m, nil
}

// Columns returns the value columns in class order (each key's Columns). The
// slice is a copy the caller may keep or change.
func (c *Class) Columns() []string {
	return slices.Clone(c.columns)
}

// Patterns returns a new map of key name to pattern.
func (c *Class) Patterns() map[string]string {
	p := make(map[string]string, len(c.Keys))
	for _, k := range c.Keys {
		p[k.Name] = k.Pattern
	}
	return p
}

// HeaderKeys returns the keys (in class order) named like a syslog header
// column: none for a class Compile accepted, maybe some for one Load read.
func (c *Class) HeaderKeys() []string {
	var out []string
	for _, k := range c.Keys {
		if syslog.IsColumn(k.Name) {
			out = append(out, k.Name)
		}
	}
	return out
}

// KeyNames returns the key names in class order.
func (c *Class) KeyNames() []string {
	n := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		n[i] = k.Name
	}
	return n
}
