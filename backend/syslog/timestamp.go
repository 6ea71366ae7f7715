package syslog

import "time"

// stamp is a parsed timestamp: the wall clock fields as sent, the fraction
// digits as sent, and the offset when the text carries one.
type stamp struct {
	year, month, day int
	hour, min, sec   int
	frac             string // digits after the '.', as sent ("" when none)
	hasOffset        bool
	offset           int // seconds east of UTC, when hasOffset
}

// zoneCache answers the UTC offset of the parser's zone at an instant. It
// remembers the spans of its last few answers (zone transitions are rare, and
// a stream of logs alternates between few of them).
type zoneCache struct {
	loc   *time.Location
	spans [4]zoneSpan
	n     int // spans filled
	last  int // the span of the last answer
	next  int // the span the next miss replaces
}

// zoneSpan is a span [start, end) of unix seconds where the offset holds.
type zoneSpan struct {
	start, end int64
	offset     int
}

// offsetAt returns the zone's offset at unix.
func (z *zoneCache) offsetAt(unix int64) int { return z.spanAt(unix).offset }

// spanAt returns the span of the zone's offsets that holds unix.
func (z *zoneCache) spanAt(unix int64) *zoneSpan {
	if s := &z.spans[z.last]; z.n > 0 && unix >= s.start && unix < s.end {
		return s
	}
	for i := 0; i < z.n; i++ {
		if s := &z.spans[i]; unix >= s.start && unix < s.end {
			z.last = i
			return s
		}
	}
	t := time.Unix(unix, 0).In(z.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	s := zoneSpan{start: -1 << 62, end: 1 << 62, offset: off} // (no overflow in unix-start)
	if !start.IsZero() {
		s.start = start.Unix()
	}
	if !end.IsZero() {
		s.end = end.Unix()
	}
	i := z.next
	z.spans[i], z.last, z.next = s, i, (i+1)%len(z.spans)
	z.n = max(z.n, i+1)
	return &z.spans[i]
}

// wallToUnix returns the instant of a wall clock time of the zone (given as
// seconds since 1970-01-01 00:00 of that wall clock) and the zone's offset
// there. Within a day of a transition (where a wall clock may be skipped or
// repeated) time.Date decides, so the answer is always time.Date's.
func (z *zoneCache) wallToUnix(wall int64) (unix int64, off int) {
	guess := 0
	if z.n > 0 {
		guess = z.spans[z.last].offset
	}
	s := z.spanAt(wall - int64(guess))
	unix = wall - int64(s.offset)
	if unix-s.start >= 86400 && s.end-unix > 86400 {
		return unix, s.offset
	}
	days := floorDiv(wall, 86400)
	y, m, d := civil(days)
	sec := int(wall - days*86400)
	t := time.Date(y, time.Month(m), d, sec/3600, sec/60%60, sec%60, 0, z.loc)
	_, off = t.Zone()
	return t.Unix(), off
}

// receiveDate sets the parser's receive date (in its zone) for received and
// returns received in unix seconds.
func (p *Parser) receiveDate(received time.Time) int64 {
	sec := received.Unix()
	if p.recvOK && sec == p.recvSec {
		return sec
	}
	local := sec + int64(p.zone.offsetAt(sec))
	p.recvY, p.recvM, p.recvD = civil(floorDiv(local, 86400))
	p.recvSec, p.recvOK = sec, true
	return sec
}

// headerTime returns the header_time of st, a complete date and time, or ""
// when it is no valid time. src is the timestamp's text: when the result
// reads the same, src itself is returned (no copy).
func (p *Parser) headerTime(st *stamp, src string) string {
	if !st.valid() {
		return ""
	}
	if st.hasOffset {
		unix := p.wall(st) - int64(st.offset)
		return p.fmt.format(unix, p.zone.offsetAt(unix), st.frac, src)
	}
	unix, off := p.zone.wallToUnix(p.wall(st))
	return p.fmt.format(unix, off, st.frac, src)
}

// bsdTime returns the header_time of an RFC 3164 time without a year: it
// takes the receive date's year, the year before when that puts it more than
// a day after the receive time, the year after when more than 364 days before.
func (p *Parser) bsdTime(st *stamp, received time.Time) string {
	recv := p.receiveDate(received)
	st.year = p.recvY
	if !st.valid() {
		return ""
	}
	unix, off := p.zone.wallToUnix(p.wall(st))
	if unix > recv+86400 || unix < recv-364*86400 {
		if unix > recv {
			st.year--
		} else {
			st.year++
		}
		if !st.valid() {
			return ""
		}
		unix, off = p.zone.wallToUnix(p.wall(st))
	}
	return p.fmt.format(unix, off, st.frac, "")
}

// clockTime returns the header_time of a time of day without a date: on the
// receive date, the day before or the day after, whichever is nearest the
// receive time.
func (p *Parser) clockTime(st *stamp, received time.Time) string {
	recv := p.receiveDate(received)
	st.year, st.month, st.day = p.recvY, p.recvM, p.recvD
	if !st.valid() {
		return ""
	}
	unix, off := p.zone.wallToUnix(p.wall(st))
	if unix > recv+12*3600 || unix < recv-12*3600 {
		days := daysFromCivil(st.year, st.month, st.day) - 1
		if unix < recv {
			days += 2
		}
		st.year, st.month, st.day = civil(days)
		unix, off = p.zone.wallToUnix(p.wall(st))
	}
	return p.fmt.format(unix, off, st.frac, "")
}

// valid reports whether st's month and day exist in its year and its clock
// fields are in range.
func (st *stamp) valid() bool {
	return st.month >= 1 && st.month <= 12 && st.day >= 1 && st.day <= daysIn(st.year, st.month) &&
		st.hour <= 23 && st.min <= 59 && st.sec <= 59
}

// wall returns st's wall clock as seconds since 1970-01-01 00:00 of that clock.
func (p *Parser) wall(st *stamp) int64 {
	return p.dates.days(st.year, st.month, st.day)*86400 + int64(st.hour*3600+st.min*60+st.sec)
}

// dateCache remembers the last conversion of a date to its day number: the
// logs of a stream share few dates, and the conversion divides a lot.
type dateCache struct {
	y, m, d int
	n       int64 // day number of y-m-d
	ok      bool
}

// days returns daysFromCivil(y, m, d).
func (c *dateCache) days(y, m, d int) int64 {
	if !c.ok || y != c.y || m != c.m || d != c.d {
		c.y, c.m, c.d, c.n, c.ok = y, m, d, daysFromCivil(y, m, d), true
	}
	return c.n
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(int64(y), 400)
	yoe := int64(y) - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civil returns the date of days since 1970-01-01.
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if mp >= 10 {
		m = int(mp - 9)
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
