package class

import (
	"database/sql"
	"strings"
)

// Extractor extracts the values of log lines for one class. It holds no state
// of its own (only the compiled class, which is read-only), so one Extractor
// is safe for concurrent use by any number of goroutines.
type Extractor struct {
	c *Class
}

// NewExtractor returns an Extractor for c.
func (c *Class) NewExtractor() *Extractor {
	return &Extractor{c: c}
}

// Extract fills dst, which must have len(c.Columns()) elements, with the values
// of line and reports whether at least one key produced a value (false: the
// log counts as unmatched). The value of a key is the first capture group that
// took part in the match, the whole match when the pattern has no group, and
// NULL when the pattern does not match or none of its groups took part. An _ip
// key's value "IP:Port" (IPv4 "1.2.3.4:80", IPv6 "[2001:db8::1]:80") fills the
// IP and port columns; any other value is kept whole in the IP column with a
// NULL port. Values are substrings of line (no copy). Extract panics when dst
// has the wrong length.
func (x *Extractor) Extract(line string, dst []sql.NullString) (matched bool) {
	c := x.c
	if len(dst) != len(c.columns) {
		panic("class: Extract of class " + quote(c.Name) + " needs a dst with one element per column")
	}
	for i := range c.matchers {
		m := &c.matchers[i]
		start, end := m.find(line)
		if start < 0 {
			dst[m.col] = sql.NullString{}
			if m.ip {
				dst[m.col+1] = sql.NullString{}
			}
			continue
		}
		matched = true
		v := line[start:end]
		if !m.ip {
			dst[m.col] = sql.NullString{String: v, Valid: true}
			continue
		}
		if ip, port, ok := splitIPPort(v); ok {
			dst[m.col] = sql.NullString{String: ip, Valid: true}
			dst[m.col+1] = sql.NullString{String: port, Valid: true}
		} else {
			dst[m.col] = sql.NullString{String: v, Valid: true}
			dst[m.col+1] = sql.NullString{}
		}
	}
	return matched
}

// find returns the span of the key's value in s, or start < 0 for NULL.
func (m *matcher) find(s string) (start, end int) {
	if m.lit != "" && !strings.Contains(s, m.lit) {
		return -1, -1
	}
	if m.fast != nil {
		if start, end, ok := m.fast.find(s); ok {
			return start, end
		}
	}
	return m.findRegexp(s)
}

// findRegexp is find without the fast matcher.
func (m *matcher) findRegexp(s string) (start, end int) {
	if !m.groups {
		loc := m.re.FindStringIndex(s)
		if loc == nil {
			return -1, -1
		}
		return loc[0], loc[1]
	}
	loc := m.re.FindStringSubmatchIndex(s)
	for g := 2; g+1 < len(loc); g += 2 {
		if loc[g] >= 0 {
			return loc[g], loc[g+1]
		}
	}
	return -1, -1
}
