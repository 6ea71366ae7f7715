package syslog

import "strings"

// sdNameChar marks the bytes of an SD-NAME: printable US-ASCII but '=', ' ',
// ']' and '"'.
var sdNameChar = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = c != '=' && c != ']' && c != '"'
	}
	return t
}()

// parse5424 fills h from an RFC 5424 header whose TIMESTAMP starts at
// line[i] (after `<PRI>1 `). The fields are separated by single spaces; "-"
// is the nil value. A field that is not of its form (a timestamp that does
// not parse, a malformed STRUCTURED-DATA) stays empty; when the line ends or
// two spaces meet, the fields from there on stay empty.
func (p *Parser) parse5424(line string, i int, h *Header) {
	ts, i, ok := token(line, i)
	if !ok {
		return
	}
	if ts != "-" {
		var st stamp
		if end, ok := readRFC3339(ts, 0, &st); ok && end == len(ts) && st.hasOffset {
			h.Time = p.headerTime(&st, ts)
		}
	}
	var f [4]string // HOSTNAME APP-NAME PROCID MSGID
	for k := range f {
		if f[k], i, ok = token(line, i); !ok {
			break
		}
	}
	h.Host, h.App, h.ProcID, h.MsgID = nilValue(f[0]), nilValue(f[1]), nilValue(f[2]), nilValue(f[3])
	if !ok || i >= len(line) {
		return
	}
	if end, ok := structuredData(line, i); ok {
		h.StructuredData = line[i:end]
	}
}

// token returns the text from line[i] to the next space or the end, and the
// index after that space. ok is false when the token is empty (the line
// ended, or two spaces meet).
func token(line string, i int) (tok string, next int, ok bool) {
	if i >= len(line) || line[i] == ' ' {
		return "", i, false
	}
	// A plain loop: header tokens are short, shorter than what pays for
	// strings.IndexByte's call and vector setup.
	for j := i + 1; j < len(line); j++ {
		if line[j] == ' ' {
			return line[i:j], j + 1, true
		}
	}
	return line[i:], len(line), true
}

// nilValue maps RFC 5424's NILVALUE "-" to "".
func nilValue(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// structuredData returns the end of the STRUCTURED-DATA at line[i:]: one or
// more `[SD-ID *(SP PARAM-NAME="PARAM-VALUE")]` elements, followed by a space
// or the end of the line (`\"`, `\\` and `\]` escape inside a value). ok is
// false for the NILVALUE and for anything malformed.
func structuredData(line string, i int) (end int, ok bool) {
	n := len(line)
	if i >= n || line[i] != '[' {
		return 0, false
	}
	for i < n && line[i] == '[' {
		i++
		if i = sdName(line, i); i < 0 {
			return 0, false
		}
		for {
			if i >= n {
				return 0, false
			}
			if line[i] == ']' {
				i++
				break
			}
			if line[i] != ' ' {
				return 0, false
			}
			if i = sdName(line, i+1); i < 0 || i+1 >= n || line[i] != '=' || line[i+1] != '"' {
				return 0, false
			}
			if i = closingQuote(line, i+2); i < 0 {
				return 0, false
			}
		}
	}
	if i < n && line[i] != ' ' {
		return 0, false
	}
	return i, true
}

// closingQuote returns the index after the '"' that closes a PARAM-VALUE
// starting at line[i], or -1 when none does. A '"' after an odd number of
// backslashes is escaped.
func closingQuote(line string, i int) int {
	for {
		j := strings.IndexByte(line[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		k := j
		for k > i && line[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return j + 1
		}
		i = j + 1
	}
}

// sdName returns the index after the SD-NAME at line[i:] (1-32 printable
// US-ASCII characters but '=', ' ', ']' and '"'), or -1 when there is none.
func sdName(line string, i int) int {
	j, end := i, min(len(line), i+32)
	for j < end && sdNameChar[line[j]] {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
