package class

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// analyze inspects a pattern that regexp.Compile accepted. It returns the
// longest literal every match must contain ("" when none is known) and, when the
// pattern is a simple deterministic sequence, a fastMatcher that finds the same
// match as the regexp without running it.
func analyze(pattern string) (lit string, fast *fastMatcher) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", nil
	}
	for _, l := range requiredLiterals(re) {
		if len(l) > len(lit) {
			lit = l
		}
	}
	fast = newFastMatcher(re)
	if fast != nil && fast.items[0].lit != "" {
		// The fast matcher searches for its leading literal itself.
		lit = ""
	}
	return lit, fast
}

// requiredLiterals returns literals (case-sensitive) that every match of re
// contains.
func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil
		}
		return []string{string(re.Rune)}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var out []string
		var run []rune
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0 {
				run = append(run, sub.Rune...)
				continue
			}
			if len(run) > 0 {
				out = append(out, string(run))
				run = nil
			}
			out = append(out, requiredLiterals(sub)...)
		}
		if len(run) > 0 {
			out = append(out, string(run))
		}
		return out
	}
	return nil
}

// asciiSet is a set of bytes; only ASCII bytes are ever added, so a byte >=
// 0x80 (part of a non-ASCII rune or invalid UTF-8) is never in it.
type asciiSet [4]uint64

func (a *asciiSet) add(c byte)               { a[c>>6] |= 1 << (c & 63) }
func (a *asciiSet) has(c byte) bool          { return a[c>>6]&(1<<(c&63)) != 0 }
func (a *asciiSet) overlaps(b asciiSet) bool { return a[0]&b[0] != 0 || a[1]&b[1] != 0 }

// seqItem is one element of a fast sequence: a literal, or a greedy repeat of
// an ASCII class between min and max (-1: unbounded) times.
type seqItem struct {
	lit      string
	set      asciiSet
	min, max int
}

// fastMatcher matches a concatenation of literals and greedy ASCII class
// repeats where each repeat cannot take the first byte of what follows it, so
// the greedy choice is the only one and no backtracking is needed. It reports
// the leftmost match exactly as the regexp does (leftmost-first, greedy).
type fastMatcher struct {
	items []seqItem
	// first capture group as items[capStart:capEnd]; capStart < 0 without group
	capStart, capEnd int
}

// newFastMatcher returns a fastMatcher for re, or nil when re is not a simple
// deterministic sequence.
func newFastMatcher(re *syntax.Regexp) *fastMatcher {
	f := &fastMatcher{capStart: -1, capEnd: -1}
	if !f.flatten(re) || len(f.items) == 0 {
		return nil
	}
	for i, it := range f.items {
		if it.lit != "" || it.max == it.min {
			continue
		}
		// A variable repeat must be followed by the end or by something that
		// needs at least one byte outside its set.
		if i+1 == len(f.items) {
			continue
		}
		next := f.items[i+1]
		if next.lit != "" {
			if it.set.has(next.lit[0]) {
				return nil
			}
			continue
		}
		if next.min < 1 || it.set.overlaps(next.set) {
			return nil
		}
	}
	// The leading item must need a byte, or the search could match empty text
	// at every position; keep those for the regexp.
	if f.items[0].lit == "" && f.items[0].min < 1 {
		return nil
	}
	return f
}

// flatten appends the items of re; false when re is not supported.
func (f *fastMatcher) flatten(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return false
		}
		s := string(re.Rune)
		if !utf8.ValidString(s) {
			return false
		}
		f.items = append(f.items, seqItem{lit: s})
		return true
	case syntax.OpCharClass:
		set, ok := classSet(re)
		if !ok {
			return false
		}
		f.items = append(f.items, seqItem{set: set, min: 1, max: 1})
		return true
	case syntax.OpPlus, syntax.OpStar, syntax.OpQuest, syntax.OpRepeat:
		if re.Flags&syntax.NonGreedy != 0 {
			return false
		}
		set, ok := classSet(re.Sub[0])
		if !ok {
			return false
		}
		it := seqItem{set: set}
		switch re.Op {
		case syntax.OpPlus:
			it.min, it.max = 1, -1
		case syntax.OpStar:
			it.min, it.max = 0, -1
		case syntax.OpQuest:
			it.min, it.max = 0, 1
		default:
			it.min, it.max = re.Min, re.Max
		}
		f.items = append(f.items, it)
		return true
	case syntax.OpCapture:
		first := f.capStart < 0
		start := len(f.items)
		if !f.flatten(re.Sub[0]) {
			return false
		}
		if first {
			f.capStart, f.capEnd = start, len(f.items)
		}
		return true
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !f.flatten(sub) {
				return false
			}
		}
		return true
	case syntax.OpEmptyMatch:
		return true
	}
	return false
}

// classSet converts a class or single-rune literal of ASCII runes to a set.
func classSet(re *syntax.Regexp) (asciiSet, bool) {
	var set asciiSet
	switch {
	case re.Op == syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= utf8.RuneSelf {
				return set, false
			}
			for c := lo; c <= hi; c++ {
				set.add(byte(c))
			}
		}
	case re.Op == syntax.OpLiteral && len(re.Rune) == 1 && re.Flags&syntax.FoldCase == 0 && re.Rune[0] < utf8.RuneSelf:
		set.add(byte(re.Rune[0]))
	default:
		return set, false
	}
	return set, set != asciiSet{}
}

// find returns the value span of the leftmost match in s: the first group, or
// the whole match without group; start < 0 when there is no match. ok is
// false when the search ran over its work budget (linear in len(s)); the
// caller then asks the regexp.
func (f *fastMatcher) find(s string) (start, end int, ok bool) {
	budget := 4*len(s) + 64
	first := &f.items[0]
	for p := 0; p <= len(s); p++ {
		if first.lit != "" {
			i := indexFrom(s, first.lit, p)
			if i < 0 {
				return -1, -1, true
			}
			p = i
		} else if p == len(s) || !first.set.has(s[p]) {
			continue
		}
		cs, ce, n, matched := f.matchAt(s, p, first.lit != "")
		budget -= n
		if matched {
			return cs, ce, true
		}
		if budget < 0 {
			return 0, 0, false
		}
	}
	return -1, -1, true
}

func indexFrom(s, sub string, from int) int {
	if from > len(s) {
		return -1
	}
	i := strings.Index(s[from:], sub)
	if i < 0 {
		return -1
	}
	return from + i
}

// matchAt matches the sequence at p. It returns the value span, the number of
// bytes examined and whether it matched. litFound says that the leading
// literal is known to be at p.
func (f *fastMatcher) matchAt(s string, p int, litFound bool) (cs, ce, work int, ok bool) {
	pos := p
	cs, ce = p, p
	i0 := 0
	if litFound && f.capStart != 0 {
		pos += len(f.items[0].lit)
		i0 = 1
	}
	for i := i0; i < len(f.items); i++ {
		if i == f.capStart {
			cs = pos
		}
		if i == f.capEnd {
			ce = pos
		}
		it := &f.items[i]
		if len(it.lit) == 1 { // a separator: compared without a call
			if pos == len(s) || s[pos] != it.lit[0] {
				return 0, 0, pos - p + 1, false
			}
			pos++
			continue
		}
		if it.lit != "" {
			if len(s)-pos < len(it.lit) || s[pos:pos+len(it.lit)] != it.lit {
				return 0, 0, pos - p + 1, false
			}
			pos += len(it.lit)
			continue
		}
		n := 0
		for pos < len(s) && n != it.max && it.set.has(s[pos]) {
			pos++
			n++
		}
		if n < it.min {
			return 0, 0, pos - p + 1, false
		}
	}
	if f.capStart < 0 {
		return p, pos, pos - p + 1, true
	}
	if f.capEnd == len(f.items) {
		ce = pos
	}
	if f.capStart == len(f.items) {
		cs = pos
	}
	return cs, ce, pos - p + 1, true
}
