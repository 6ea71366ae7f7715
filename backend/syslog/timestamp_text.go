package syslog

// The text forms of a timestamp. Each reader takes the text at s[i:] and
// returns the index after it; ok is false when the text is not of its form.
// Ranges (month 1-12, hour 0-23, ...) are checked later, by the caller's
// validClock / headerTime: a timestamp of the right form but an impossible
// value gives a NULL header_time, not another reading of the header.

// readRFC3339 reads `YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm]`. The offset is
// optional (a local time of the parser's zone when absent).
func readRFC3339(s string, i int, st *stamp) (end int, ok bool) {
	if len(s) < i+19 || s[i+4] != '-' || s[i+7] != '-' || (s[i+10] != 'T' && s[i+10] != 't') {
		return 0, false
	}
	var y, mo, d int
	if y, ok = digits(s, i, 4); !ok {
		return 0, false
	}
	if mo, ok = digits(s, i+5, 2); !ok {
		return 0, false
	}
	if d, ok = digits(s, i+8, 2); !ok {
		return 0, false
	}
	if i, ok = readClock(s, i+11, st); !ok {
		return 0, false
	}
	st.year, st.month, st.day = y, mo, d
	st.hasOffset, st.offset = false, 0
	if i >= len(s) {
		return i, true
	}
	switch s[i] {
	case 'Z', 'z':
		st.hasOffset = true
		return i + 1, true
	case '+', '-':
		if len(s) < i+6 || s[i+3] != ':' {
			return 0, false
		}
		h, ok1 := digits(s, i+1, 2)
		m, ok2 := digits(s, i+4, 2)
		if !ok1 || !ok2 || h > 23 || m > 59 {
			return 0, false
		}
		st.hasOffset, st.offset = true, h*3600+m*60
		if s[i] == '-' {
			st.offset = -st.offset
		}
		return i + 6, true
	}
	return i, true
}

// readClock reads `hh:mm:ss[.frac]` (1-9 fraction digits).
func readClock(s string, i int, st *stamp) (end int, ok bool) {
	if len(s) < i+8 || s[i+2] != ':' || s[i+5] != ':' {
		return 0, false
	}
	var h, m, sec int
	if h, ok = digits(s, i, 2); !ok {
		return 0, false
	}
	if m, ok = digits(s, i+3, 2); !ok {
		return 0, false
	}
	if sec, ok = digits(s, i+6, 2); !ok {
		return 0, false
	}
	st.hour, st.min, st.sec, st.frac = h, m, sec, ""
	i += 8
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && j-i <= 9 && isDigit(s[j]) {
			j++
		}
		if j == i+1 || (j < len(s) && isDigit(s[j])) {
			return 0, false
		}
		st.frac = s[i+1 : j]
		i = j
	}
	return i, true
}

// readBSDStamp reads `Mmm dd hh:mm:ss[.frac]`: the day space- or zero-padded
// or bare ("Mar  1", "Mar 01", "Mar 1"), and Cisco's `Mmm dd yyyy hh:mm:ss`
// (then hasYear).
func readBSDStamp(s string, i int, st *stamp) (end int, hasYear, ok bool) {
	if len(s) < i+14 || s[i+3] != ' ' {
		return 0, false, false
	}
	mo := monthOf(s[i], s[i+1], s[i+2])
	if mo == 0 {
		return 0, false, false
	}
	i += 4
	if s[i] == ' ' {
		i++
	}
	d := 0
	switch {
	case i+1 < len(s) && isDigit(s[i]) && isDigit(s[i+1]):
		d = int(s[i]-'0')*10 + int(s[i+1]-'0')
		i += 2
	case isDigit(s[i]):
		d = int(s[i] - '0')
		i++
	default:
		return 0, false, false
	}
	if i >= len(s) || s[i] != ' ' {
		return 0, false, false
	}
	i++
	if y, ok := digits(s, i, 4); ok && i+4 < len(s) && s[i+4] == ' ' {
		st.year, hasYear = y, true
		i += 5
	}
	if i, ok = readClock(s, i, st); !ok {
		return 0, false, false
	}
	st.month, st.day = mo, d
	st.hasOffset, st.offset = false, 0
	return i, hasYear, true
}

// monthOf returns 1-12 for an English month abbreviation (any case), else 0.
func monthOf(a, b, c byte) int {
	switch uint32(a|0x20)<<16 | uint32(b|0x20)<<8 | uint32(c|0x20) {
	case 'j'<<16 | 'a'<<8 | 'n':
		return 1
	case 'f'<<16 | 'e'<<8 | 'b':
		return 2
	case 'm'<<16 | 'a'<<8 | 'r':
		return 3
	case 'a'<<16 | 'p'<<8 | 'r':
		return 4
	case 'm'<<16 | 'a'<<8 | 'y':
		return 5
	case 'j'<<16 | 'u'<<8 | 'n':
		return 6
	case 'j'<<16 | 'u'<<8 | 'l':
		return 7
	case 'a'<<16 | 'u'<<8 | 'g':
		return 8
	case 's'<<16 | 'e'<<8 | 'p':
		return 9
	case 'o'<<16 | 'c'<<8 | 't':
		return 10
	case 'n'<<16 | 'o'<<8 | 'v':
		return 11
	case 'd'<<16 | 'e'<<8 | 'c':
		return 12
	}
	return 0
}

// digits reads n decimal digits at s[i:].
func digits(s string, i, n int) (v int, ok bool) {
	if len(s) < i+n {
		return 0, false
	}
	for _, c := range []byte(s[i : i+n]) {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
