package alert

import (
	"regexp"
	"strings"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/store"
)

// column reads one column of a row: a value index (>= 0) or a fixed column.
type column int

const (
	colMissing column = -1 - iota // the schema has no such column: never matches
	colSenderIP
	colClient
	colTimeZone
	colOriginal
)

func resolve(s *store.Schema, name string) column {
	switch name {
	case class.ColSenderIP:
		return colSenderIP
	case class.ColClient:
		return colClient
	case class.ColTimeZone:
		return colTimeZone
	case class.ColOriginal:
		return colOriginal
	}
	for i, c := range s.Columns {
		if c == name {
			return column(i)
		}
	}
	return colMissing
}

// get returns the column's value of r; false for NULL or a missing column.
func (c column) get(r *store.Row, tz string) (string, bool) {
	switch {
	case c >= 0:
		if int(c) >= len(r.Values) {
			return "", false
		}
		v := r.Values[c]
		return v.String, v.Valid
	case c == colSenderIP:
		return r.SenderIP, true
	case c == colClient:
		return r.Client.String, r.Client.Valid
	case c == colTimeZone:
		return tz, true
	case c == colOriginal:
		return r.Original, true
	}
	return "", false
}

// matcher is a compiled log rule.
type matcher struct {
	conds []cond
	word  string // lower case; "" none
}

type cond struct {
	column string
	op     string
	one    string
	set    map[string]struct{}
	re     *regexp.Regexp
}

func compileMatcher(s *RuleSpec) *matcher {
	m := &matcher{word: strings.ToLower(s.Word)}
	for _, c := range s.When {
		k := cond{column: c.Column, op: c.Op, one: c.Value.One()}
		switch c.Op {
		case OpMatches:
			k.re = regexp.MustCompile(k.one) // validated
		case OpIn:
			k.set = make(map[string]struct{}, len(c.Value.List))
			for _, v := range c.Value.List {
				k.set[v] = struct{}{}
			}
		}
		m.conds = append(m.conds, k)
	}
	return m
}

// bound is a matcher with its columns resolved for one schema.
type bound struct {
	m     *matcher
	cols  []column
	group column // colMissing when the rule has no group_by
}

func (m *matcher) bind(s *store.Schema, groupBy string) bound {
	b := bound{m: m, cols: make([]column, len(m.conds)), group: colMissing}
	for i, c := range m.conds {
		b.cols[i] = resolve(s, c.column)
	}
	if groupBy != "" {
		b.group = resolve(s, groupBy)
	}
	return b
}

// matchExcept reports whether r satisfies every condition but the skip-th
// (-1: all) and the word.
func (b *bound) matchExcept(r *store.Row, tz string, skip int) bool {
	for i := range b.m.conds {
		if i == skip {
			continue
		}
		c := &b.m.conds[i]
		v, ok := b.cols[i].get(r, tz)
		if !ok {
			return false
		}
		switch c.op {
		case OpEquals:
			ok = v == c.one
		case OpContains:
			ok = strings.Contains(v, c.one)
		case OpMatches:
			ok = c.re.MatchString(v)
		case OpIn:
			_, ok = c.set[v]
		}
		if !ok {
			return false
		}
	}
	return b.m.word == "" || containsWordFold(r.Original, b.m.word)
}

// containsWordFold reports whether s holds w (lower case ASCII or not) as a
// whole word, ignoring ASCII case: the characters around it are not letters,
// digits or '_'.
func containsWordFold(s, w string) bool {
	n := len(w)
	for i := 0; i+n <= len(s); i++ {
		if lower(s[i]) != w[0] || !strings.EqualFold(s[i:i+n], w) {
			continue
		}
		if (i == 0 || !wordByte(s[i-1])) && (i+n == len(s) || !wordByte(s[i+n])) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func wordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}
