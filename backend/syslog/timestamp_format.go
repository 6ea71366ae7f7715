package syslog

import "unsafe"

// timeFormatter writes header_time strings (time.RFC3339Nano's form) for one
// Parser. A stream's times share few days and zone offsets and often the
// second, so it keeps the last day's date text, the last offset's text and
// the last result; new strings are cut from a small arena it owns, not
// allocated one by one.
type timeFormatter struct {
	// the last result and its instant
	last     string
	lastUnix int64
	lastOff  int
	lastFrac string
	// the date text `YYYY-MM-DDT` of local day number day
	day   int64
	date  [11]byte
	dayOK bool
	// the offset text `Z` or `±hh:mm` of off (seconds east of UTC)
	off    int
	zone   [6]byte
	zoneN  int
	zoneOK bool
	// arena holds the bytes of the strings handed out; they are never
	// written again (a full arena is left to the strings that use it)
	arena []byte
}

// maxTimeLen is the longest header_time: `YYYY-MM-DDThh:mm:ss.fffffffff+hh:mm`.
const maxTimeLen = 35

// arenaSize is the size of each new arena: about 40 header times, so the
// allocation of one is shared by that many lines; a string that outlives its
// row keeps at most this much alive (a row already keeps its whole read
// chunk, up to 128 KiB).
const arenaSize = 1024

// format writes the instant unix (+ frac) with offset off the way
// time.RFC3339Nano does and returns it: the previous result when it is the
// same instant, src when it reads the same, else a new string; "" when the
// local year is outside 0-9999.
func (f *timeFormatter) format(unix int64, off int, frac, src string) string {
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if f.last != "" && unix == f.lastUnix && off == f.lastOff && frac == f.lastFrac {
		return f.last // the same second as the previous line's: no formatting
	}
	local := unix + int64(off)
	days := floorDiv(local, 86400)
	if !f.dayOK || days != f.day {
		y, m, d := civil(days)
		if y < 0 || y > 9999 {
			return ""
		}
		b := append4(f.date[:0], y)
		b = append(b, '-')
		b = append2(b, m)
		b = append(b, '-')
		b = append2(b, d)
		_ = append(b, 'T')
		f.day, f.dayOK = days, true
	}
	if !f.zoneOK || off != f.off {
		f.zoneN = len(appendZone(f.zone[:0], off))
		f.off, f.zoneOK = off, true
	}
	// Written straight into the arena (at most 11+9+10+6 bytes); it is
	// handed out only when it is new, so the next call may overwrite it.
	if cap(f.arena)-len(f.arena) < maxTimeLen {
		f.arena = make([]byte, 0, arenaSize)
	}
	n := len(f.arena)
	s := int(local - days*86400)
	b := append(f.arena, f.date[:]...)
	b = append2(b, s/3600)
	b = append(b, ':')
	b = append2(b, s/60%60)
	b = append(b, ':')
	b = append2(b, s%60)
	if frac != "" {
		b = append(b, '.')
		b = append(b, frac...)
	}
	b = append(b, f.zone[:f.zoneN]...)
	if string(b[n:]) == src {
		return src
	}
	f.arena = b // within cap: the bytes before n stay where they are
	f.last, f.lastUnix, f.lastOff, f.lastFrac = unsafe.String(&b[n], len(b)-n), unix, off, frac
	return f.last
}

// appendZone appends the RFC 3339 offset of off seconds east of UTC: `Z`,
// or `±hh:mm`.
func appendZone(b []byte, off int) []byte {
	if off == 0 {
		return append(b, 'Z')
	}
	zone := off / 60
	if zone < 0 {
		b = append(b, '-')
		zone = -zone
	} else {
		b = append(b, '+')
	}
	b = append2(b, zone/60)
	b = append(b, ':')
	return append2(b, zone%60)
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}
