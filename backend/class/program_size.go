package class

import "regexp/syntax"

// ProgramSize parses the RE2 pattern of key k and returns an upper estimate of the
// instructions of its compiled program and its number of capture groups, without
// compiling it: a repeat such as (\w+\s?){1000} is counted as its expansion, so a
// caller can refuse a pattern whose program would be huge before building it. The
// estimate follows the one Go's regexp/syntax parser uses for its own size limit. A
// pattern that does not parse is a *KeyError, as from Compile.
func ProgramSize(k, pattern string) (insts, captures int, err error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return 0, 0, patternError(k, pattern, err)
	}
	return int(min(progSize(re), 1<<40)) + 2, re.MaxCap(), nil // + fail and match
}

// progSize estimates the instructions of re, pessimistically.
func progSize(re *syntax.Regexp) int64 {
	var size int64
	switch re.Op {
	case syntax.OpLiteral:
		size = int64(len(re.Rune))
	case syntax.OpCapture, syntax.OpStar:
		size = 2 + progSize(re.Sub[0])
	case syntax.OpPlus, syntax.OpQuest:
		size = 1 + progSize(re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			size += progSize(sub)
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			size += progSize(sub)
		}
		size += int64(len(re.Sub)) - 1
	case syntax.OpRepeat:
		sub := progSize(re.Sub[0])
		switch {
		case re.Max == -1 && re.Min == 0:
			size = 2 + sub // x*
		case re.Max == -1:
			size = 1 + int64(re.Min)*sub // xxx+
		default:
			size = int64(re.Max)*sub + int64(re.Max-re.Min) // x{2,5} = xx(x(x(x)?)?)?
		}
	}
	return max(1, size)
}
