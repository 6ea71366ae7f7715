// Package syslog parses the header of one syslog message into the header
// columns of SPEC §9: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`),
// RFC 3164 / BSD (`<PRI>Mmm dd hh:mm:ss host tag[pid]: msg`) and the common
// devices' variants of it. It is pure: no I/O, no goroutines. A part that is
// absent or does not parse is left empty (stored as NULL); parsing never fails.
package syslog

import (
	"fmt"
	"time"
)

// Mode says which header formats an engine recognises.
type Mode uint8

// The modes of an engine's syslog_header field.
const (
	// ModeNone parses no header: the engine stores no header columns.
	ModeNone Mode = iota
	// ModeAuto tries RFC 5424 (`<PRI>1 `), then the RFC 3164 / BSD variants.
	ModeAuto
	// ModeRFC3164 parses only the RFC 3164 / BSD variants.
	ModeRFC3164
	// ModeRFC5424 parses only RFC 5424.
	ModeRFC5424
)

var modeNames = [...]string{ModeNone: "none", ModeAuto: "auto", ModeRFC3164: "rfc3164", ModeRFC5424: "rfc5424"}

// String returns the mode's name as the API spells it.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ModeNames returns the valid mode names in order: none, auto, rfc3164, rfc5424.
func ModeNames() []string { return modeNames[:] }

// ParseMode returns the mode called name; "" is ModeNone. Any other name is an
// error.
func ParseMode(name string) (Mode, error) {
	if name == "" {
		return ModeNone, nil
	}
	for m, n := range modeNames {
		if n == name {
			return Mode(m), nil
		}
	}
	return ModeNone, fmt.Errorf("unknown syslog header mode %q: use none, auto, rfc3164 or rfc5424", name)
}

// The header columns of a day file, in the order they are stored (SPEC §9).
const (
	ColFacility       = "facility"
	ColSeverity       = "severity"
	ColHost           = "host"
	ColApp            = "app"
	ColProcID         = "procid"
	ColMsgID          = "msgid"
	ColHeaderTime     = "header_time"
	ColStructuredData = "structured_data"
)

// NumColumns is the number of header columns.
const NumColumns = 8

var columns = [NumColumns]string{ColFacility, ColSeverity, ColHost, ColApp, ColProcID, ColMsgID, ColHeaderTime, ColStructuredData}

// Columns returns the header column names in order. The slice is new on each
// call.
func Columns() []string {
	c := columns
	return c[:]
}

// IsColumn reports whether name is one of the header columns.
func IsColumn(name string) bool {
	for _, c := range columns {
		if c == name {
			return true
		}
	}
	return false
}

// Header is the parsed header of one message, one field per header column
// (Values gives them in column order). An empty field is absent (NULL). Every
// field but Facility, Severity and Time is a substring of the parsed line.
type Header struct {
	Facility       string // keyword: kern, user, ... local7
	Severity       string // keyword: emerg, alert, crit, err, warning, notice, info, debug
	Host           string
	App            string // RFC 5424 APP-NAME, RFC 3164 TAG
	ProcID         string
	MsgID          string
	Time           string // RFC 3339 with offset in the parser's zone (time.RFC3339Nano)
	StructuredData string // RFC 5424 SD as sent
}

// Values returns the fields in column order.
func (h *Header) Values() [NumColumns]string {
	return [NumColumns]string{h.Facility, h.Severity, h.Host, h.App, h.ProcID, h.MsgID, h.Time, h.StructuredData}
}

// Parser parses headers for one engine: its mode and its timezone. It keeps
// small caches (the zone's current offset, the last receive date, the last
// formatted time), so one Parser must not be used by two goroutines at once;
// give each worker its own.
type Parser struct {
	mode  Mode
	zone  zoneCache
	dates dateCache
	// the receive time of the previous call, as unix seconds, and its local date
	recvSec             int64
	recvY, recvM, recvD int
	recvOK              bool
	fmt                 timeFormatter
}

// NewParser returns a Parser for mode whose header_time is given in loc (UTC
// when nil).
func NewParser(mode Mode, loc *time.Location) *Parser {
	if loc == nil {
		loc = time.UTC
	}
	return &Parser{mode: mode, zone: zoneCache{loc: loc}}
}

// Mode returns the parser's mode.
func (p *Parser) Mode() Mode { return p.mode }

// Parse returns the header of line, a message received at received (which
// gives the year of an RFC 3164 time, see below). It never fails: what is
// absent or unparsable stays empty. A line without a `<PRI>` gives an empty
// header; a PRI above 191 gives no facility and severity, but the rest of the
// header is still parsed.
//
// RFC 3164 times carry no year: the year is the receive date's, except that a
// time more than a day after the receive time belongs to the year before (a
// December log received in January) and one more than 364 days before it to
// the year after (a sender whose clock is ahead at New Year). A time without a
// date (`hh:mm:ss`) takes the receive date, the day before or the day after,
// whichever puts it nearest the receive time (within 12 hours).
func (p *Parser) Parse(line string, received time.Time) Header {
	var h Header
	if p.mode == ModeNone {
		return h
	}
	i, pri, ok := parsePRI(line)
	if !ok {
		return h
	}
	if pri >= 0 {
		h.Facility, h.Severity = facilityNames[pri>>3], severityNames[pri&7]
	}
	if p.mode != ModeRFC3164 && len(line) >= i+2 && line[i] == '1' && line[i+1] == ' ' {
		p.parse5424(line, i+2, &h)
		return h
	}
	if p.mode == ModeRFC5424 {
		return h
	}
	p.parse3164(line, i, received, &h)
	return h
}

// facilityNames are the facility keywords by code (SPEC §9).
var facilityNames = [24]string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

// severityNames are the severity keywords by code (SPEC §9).
var severityNames = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// FacilityNames returns the facility keywords, indexed by facility code.
func FacilityNames() []string { f := facilityNames; return f[:] }

// SeverityNames returns the severity keywords, indexed by severity code.
func SeverityNames() []string { s := severityNames; return s[:] }

// parsePRI reads `<N>` at the start of line, N of 1-3 digits. It returns the
// index after '>', the priority (-1 when above 191: no facility or severity)
// and whether a PRI was there.
func parsePRI(line string) (next, pri int, ok bool) {
	if len(line) < 3 || line[0] != '<' {
		return 0, 0, false
	}
	n, i := 0, 1
	for ; i < len(line); i++ {
		c := line[i]
		if c == '>' {
			break
		}
		if c < '0' || c > '9' || i > 3 {
			return 0, 0, false
		}
		n = n*10 + int(c-'0')
	}
	if i == 1 || i >= len(line) || line[i] != '>' {
		return 0, 0, false
	}
	if n > 191 {
		n = -1
	}
	return i + 1, n, true
}
