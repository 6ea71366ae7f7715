package syslog

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParse: Parse never panics; every field is empty or valid: facility and
// severity are keywords (both or neither), host, app, procid, msgid and
// structured_data are substrings of the line (the first four without
// spaces), header_time is RFC 3339 in the parser's zone; a line auto reads as
// RFC 5424 reads the same in rfc5424 mode.
func FuzzParse(f *testing.F) {
	for _, c := range handCases() {
		f.Add(c.line, diffRecv.Unix())
	}
	for _, c := range genCases(50, 7) {
		f.Add(c.line, diffRecv.Unix())
	}
	f.Add("<13>Dec 31 23:59:59 h a: x", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	f.Add("<13>1 9999-12-31T23:59:59-14:00 h a - - -", int64(0))
	ber, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	type parser struct {
		p   *Parser
		loc *time.Location
	}
	var ps []parser
	for _, loc := range []*time.Location{time.UTC, ber} {
		for _, m := range []Mode{ModeAuto, ModeRFC3164, ModeRFC5424} {
			ps = append(ps, parser{NewParser(m, loc), loc})
		}
	}
	f.Fuzz(func(t *testing.T, line string, recvSec int64) {
		// receive times from 1900 to 2200
		recv := time.Unix(-2208988800+int64(uint64(recvSec)%(300*365*86400)), 0)
		var got [4]Header // by mode, of the zone in turn
		for _, x := range ps {
			h := x.p.Parse(line, recv)
			got[x.p.Mode()] = h
			if (h.Facility == "") != (h.Severity == "") ||
				(h.Facility != "" && !slices.Contains(FacilityNames(), h.Facility)) ||
				(h.Severity != "" && !slices.Contains(SeverityNames(), h.Severity)) {
				t.Fatalf("bad facility/severity %q/%q of %q", h.Facility, h.Severity, line)
			}
			for _, v := range []string{h.Host, h.App, h.ProcID, h.MsgID} {
				if !strings.Contains(line, v) || strings.Contains(v, " ") {
					t.Fatalf("field %q is no word of %q", v, line)
				}
			}
			if !strings.Contains(line, h.StructuredData) {
				t.Fatalf("structured_data %q is not in %q", h.StructuredData, line)
			}
			if h.Time != "" {
				tm, err := time.Parse(time.RFC3339Nano, h.Time)
				if err != nil {
					t.Fatalf("header_time %q of %q: %v", h.Time, line, err)
				}
				// (RFC 3339 drops the seconds of a local mean time's offset)
				if _, off := tm.In(x.loc).Zone(); off%60 == 0 && tm.In(x.loc).Format(time.RFC3339Nano) != h.Time {
					t.Fatalf("header_time %q of %q is not in zone %s", h.Time, line, x.loc)
				}
			}
			if x.p.Mode() != ModeRFC5424 {
				continue
			}
			if r := got[ModeRFC5424]; (r.Host != "" || r.App != "" || r.Time != "" || r.MsgID != "") && got[ModeAuto] != r {
				t.Fatalf("auto reads %q as %+v, rfc5424 as %+v", line, got[ModeAuto], r)
			}
		}
	})
}
