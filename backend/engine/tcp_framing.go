package engine

import (
	"bytes"
	"fmt"
)

// framer splits a syslog byte stream into messages per RFC 6587, the framing
// detected per message: a frame that starts with digits (the first 1-9) and a
// space is octet counted ("<len> <msg>"); any other is non-transparent, ended by LF (a CR before the
// LF is dropped; empty lines are skipped). It is pure: the TCP listener feeds it
// what it read and hands on what it framed, so tests feed it bytes.
type framer struct {
	max      int  // max_message_bytes
	skipping bool // discarding the rest of an LF message cut at max

	truncated uint64 // LF messages cut at max (the caller reads and resets it)
}

// frameError is a framing violation after which the connection is closed.
type frameError struct{ reason string }

func (e *frameError) Error() string { return e.reason }

// maxCountDigits bounds the digits of an octet count (a count of 10 digits is
// above any max_message_bytes the engine takes).
const maxCountDigits = 9

// maxLFDigits is the longest run of leading digits still read as a possible
// (oversize) octet count; a longer one starts an LF message.
const maxLFDigits = 20

// feed frames every complete message at the start of data into c (its bytes
// appended to c.buf, its end to c.ends; the caller adds the sender address)
// and returns how many bytes of data it consumed. The rest, data[consumed:],
// is the start of a frame: the caller feeds it again with more bytes behind
// it. A data of at least max+16 bytes always consumes something. err is a
// *frameError (an octet count that is malformed or above max); what was
// framed before it stays in c.
func (f *framer) feed(data []byte, c *chunk) (consumed int, err error) {
	p := 0
	for p < len(data) {
		rest := data[p:]
		if f.skipping {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				return len(data), nil
			}
			f.skipping = false
			p += i + 1
			continue
		}
		if b := rest[0]; b >= '1' && b <= '9' {
			n, hdr, lf, err := f.octetCount(rest)
			if err != nil {
				return p, err
			}
			if !lf {
				if hdr == 0 || len(rest) < hdr+n {
					return p, nil // incomplete
				}
				msg := rest[hdr : hdr+n]
				// A trailing LF inside the frame (some senders add one) is not part of the message.
				msg = bytes.TrimSuffix(msg, []byte{'\n'})
				msg = bytes.TrimSuffix(msg, []byte{'\r'})
				f.emit(c, msg)
				p += hdr + n
				continue
			}
		}
		i := bytes.IndexByte(rest, '\n')
		switch {
		case i < 0 && len(rest) <= f.max+1:
			return p, nil // incomplete (the next byte may be the LF of a max-long line with a CR)
		case i < 0:
			f.emit(c, rest[:f.max])
			f.truncated++
			f.skipping = true
			return len(data), nil
		}
		msg := rest[:i]
		msg = bytes.TrimSuffix(msg, []byte{'\r'})
		if len(msg) > f.max {
			msg = msg[:f.max]
			f.truncated++
		}
		if len(msg) > 0 {
			f.emit(c, msg)
		}
		p += i + 1
	}
	return p, nil
}

// octetCount parses the "<len> " header at the start of b: n is the count
// and hdr the header's length, or hdr 0 when b ends inside the header. A run
// of digits that does not end in a space (a line starting with a date such as
// "2026-12-02 ...", or a number) is no octet count: lf is true and the frame
// is an LF message, as rsyslog falls back to LF framing. A count above max
// (or longer than maxCountDigits) is an error: the frame cannot be skipped.
func (f *framer) octetCount(b []byte) (n, hdr int, lf bool, err error) {
	for i, ch := range b {
		switch {
		case ch == ' ':
			if i > maxCountDigits || n > f.max {
				return 0, 0, false, &frameError{fmt.Sprintf("octet count %s above max_message_bytes %d", b[:i], f.max)}
			}
			return n, i + 1, false, nil
		case ch < '0' || ch > '9':
			return 0, 0, true, nil
		case i >= maxLFDigits:
			return 0, 0, true, nil // too long for a count: a line of digits
		}
		if i < maxCountDigits {
			n = n*10 + int(ch-'0')
		}
	}
	return 0, 0, false, nil
}

func (f *framer) emit(c *chunk, msg []byte) {
	c.buf = append(c.buf, msg...)
	c.ends = append(c.ends, len(c.buf))
}

// pending reports whether rest (what feed left unconsumed) holds part of a
// frame that would be lost if the stream ended now.
func (f *framer) pending(rest []byte) bool {
	return len(rest) > 0 && !f.skipping
}
