package syslog

import (
	"strings"
	"time"
)

// parse3164 fills h from an RFC 3164 / BSD header starting at line[i] (after
// the PRI). What it recognises, in order:
//
//   - spaces after the PRI (`<13> Mar  1 ...`);
//   - Cisco IOS's message counter and service sequence number, each `N: `
//     (`<189>123: 000045: *Mar  1 ...`; an empty counter `<189>: ` too);
//   - Cisco's origin hostname `host: ` when a timestamp follows
//     (`<189>34: router1: Mar  1 ...`): it is the host;
//   - the timestamp, optionally marked `*` or `.` (Cisco's clock flags):
//     `Mmm dd hh:mm:ss[.frac]`, Cisco's `Mmm dd yyyy hh:mm:ss`, an RFC 3339
//     time (with or without offset) or a bare `hh:mm:ss` (MikroTik-style, the
//     loadgen's); a timestamp followed by `:` (Cisco) has no host after it;
//   - the host: the token after the timestamp unless it looks like a tag;
//   - the tag `app[procid]:` or `app:` (also `app[procid]` without the colon),
//     after the host, or first when there is no timestamp
//     (`<30>prerouting: ...`).
//
// Without a timestamp, only a tag right after the PRI is taken: the first
// word of a free-form message is no host.
func (p *Parser) parse3164(line string, i int, received time.Time, h *Header) {
	n := len(line)
	i = skipSpaces(line, i)
	for k := 0; k < 2; k++ { // Cisco message counter, sequence number
		j := i
		for j < n && isDigit(line[j]) {
			j++
		}
		if j+1 >= n || line[j] != ':' || line[j+1] != ' ' {
			break
		}
		i = skipSpaces(line, j+2)
	}
	var st stamp
	end, kind := readStamp(line, i, &st)
	if kind == noStamp {
		// Cisco origin hostname: `host: ` and then a timestamp.
		if tok, next, ok := token(line, i); ok && len(tok) > 1 && tok[len(tok)-1] == ':' {
			if e, k := readStamp(line, next, &st); k != noStamp {
				h.Host = tok[:len(tok)-1]
				i, end, kind = next, e, k
			}
		}
	}
	cisco := false
	if kind != noStamp {
		switch kind {
		case bsdStamp:
			h.Time = p.bsdTime(&st, received)
		case bsdYearStamp, isoStamp:
			h.Time = p.headerTime(&st, "")
		case clockStamp:
			h.Time = p.clockTime(&st, received)
		}
		i = end
		if i < n && line[i] == ':' {
			cisco = true
			i++
		}
		i = skipSpaces(line, i)
	}
	tok, next, ok := token(line, i)
	if !ok {
		return
	}
	app, procid, isTag := tag(tok)
	if !isTag && kind != noStamp && !cisco && h.Host == "" {
		h.Host = tok
		if tok, _, ok = token(line, skipSpaces(line, next)); !ok {
			return
		}
		app, procid, isTag = tag(tok)
	}
	if isTag {
		h.App, h.ProcID = app, procid
	}
}

// Kinds of timestamp readStamp finds.
const (
	noStamp      = iota
	bsdStamp     // Mmm dd hh:mm:ss: the year is the receive date's
	bsdYearStamp // Mmm dd yyyy hh:mm:ss
	isoStamp     // RFC 3339
	clockStamp   // hh:mm:ss: the date is the receive date's
)

// readStamp reads a timestamp at line[i:] that ends the line or is followed by
// a space or ':' and returns the index after it and its kind (noStamp when
// there is none). A leading `*` or `.` (Cisco) is skipped.
func readStamp(line string, i int, st *stamp) (end, kind int) {
	if i < len(line) && (line[i] == '*' || line[i] == '.') {
		i++
	}
	if i >= len(line) {
		return 0, noStamp
	}
	var ok, hasYear bool
	switch c := line[i]; {
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		if end, hasYear, ok = readBSDStamp(line, i, st); ok {
			kind = bsdStamp
			if hasYear {
				kind = bsdYearStamp
			}
		}
	case isDigit(c):
		if len(line) > i+4 && line[i+4] == '-' {
			if end, ok = readRFC3339(line, i, st); ok {
				kind = isoStamp
			}
		} else if end, ok = readClock(line, i, st); ok {
			kind = clockStamp
		}
	}
	if !ok || (end < len(line) && line[end] != ' ' && line[end] != ':') {
		return 0, noStamp
	}
	return end, kind
}

// tagEnd marks the bytes that end a TAG's app part: one table look-up a byte
// rather than two compares (the loop is a hot spot of the BSD parse).
var tagEnd = [256]bool{'[': true, ':': true}

// tag splits an RFC 3164 TAG token `app[procid]:`, `app[procid]` or `app:`.
// ok is false for any other token.
func tag(tok string) (app, procid string, ok bool) {
	j := 0
	for j < len(tok) && !tagEnd[tok[j]] {
		j++
	}
	if j == 0 || j == len(tok) {
		return "", "", false
	}
	if tok[j] == ':' {
		return tok[:j], "", j == len(tok)-1
	}
	k := strings.IndexByte(tok[j+1:], ']')
	if k < 0 {
		return "", "", false
	}
	k += j + 1
	if rest := tok[k+1:]; rest != "" && rest != ":" {
		return "", "", false
	}
	return tok[:j], tok[j+1 : k], true
}

func skipSpaces(line string, i int) int {
	for i < len(line) && line[i] == ' ' {
		i++
	}
	return i
}
