package syslog

import (
	"strings"
	"testing"
	"time"
)

// recvDec2 is the receive time of most tests: 2026-12-02 14:00:00 UTC.
var recvDec2 = time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)

// cols renders h as "facility|severity|host|app|procid|msgid|header_time|structured_data"
// with "-" for an empty (NULL) field.
func cols(h Header) string {
	v := h.Values()
	for i := range v {
		if v[i] == "" {
			v[i] = "-"
		}
	}
	return strings.Join(v[:], "|")
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// The four examples of RFC 5424 §6.5 give exact column values, in UTC and in
// the sender's own zone (where header_time reads as sent).
func TestParseRFC5424Examples(t *testing.T) {
	bom := "\xEF\xBB\xBF"
	f := func(loc *time.Location, line, want string) {
		t.Helper()
		for _, m := range []Mode{ModeAuto, ModeRFC5424} {
			if got := cols(NewParser(m, loc).Parse(line, recvDec2)); got != want {
				t.Errorf("unexpected columns (%s, %s) of %q;\n got %q\nwant %q", m, loc, line, got, want)
			}
		}
	}
	utc := time.UTC
	f(utc, "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "+bom+"'su root' failed for lonvick on /dev/pts/8",
		"auth|crit|mymachine.example.com|su|-|ID47|2003-10-11T22:14:15.003Z|-")
	f(utc, "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
		"local4|notice|192.0.2.1|myproc|8710|-|2003-08-24T12:14:15.000003Z|-")
	f(mustLoc(t, "America/Los_Angeles"), "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
		"local4|notice|192.0.2.1|myproc|8710|-|2003-08-24T05:14:15.000003-07:00|-")
	f(utc, `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] `+bom+`An application event log entry...`,
		`local4|notice|mymachine.example.com|evntslog|-|ID47|2003-10-11T22:14:15.003Z|[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]`)
	f(mustLoc(t, "Europe/Berlin"), `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`,
		`local4|notice|mymachine.example.com|evntslog|-|ID47|2003-10-12T00:14:15.003+02:00|[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`)
}

// The four examples of RFC 3164 §5.4 give exact column values. Example 3's
// "CST" is its HOSTNAME and "1987" no TAG, as §5.4 says a relay reads it;
// example 4 has no valid TIMESTAMP, so only its PRI is known.
func TestParseRFC3164Examples(t *testing.T) {
	f := func(line, want string) {
		t.Helper()
		for _, m := range []Mode{ModeAuto, ModeRFC3164} {
			if got := cols(NewParser(m, time.UTC).Parse(line, recvDec2)); got != want {
				t.Errorf("unexpected columns (%s) of %q;\n got %q\nwant %q", m, line, got, want)
			}
		}
	}
	f("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
		"auth|crit|mymachine|su|-|-|2026-10-11T22:14:15Z|-")
	f("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
		"user|notice|10.0.0.99|-|-|-|2026-02-05T17:32:18Z|-")
	f("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, Frier=OK # Transport: Conveyer1=OK, Conveyer2=OK # %%",
		"local4|notice|CST|-|-|-|2026-08-24T05:34:00Z|-")
	f("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
		"kern|emerg|-|-|-|-|-|-")
}

// The devices' variants of the BSD header: no host, RFC 3339 time, Cisco IOS
// counters, clock flags, origin hostname and mnemonics, MikroTik's bare tag,
// the loadgen's bare clock.
func TestParseVariants(t *testing.T) {
	f := func(line, want string) {
		t.Helper()
		if got := cols(NewParser(ModeAuto, time.UTC).Parse(line, recvDec2)); got != want {
			t.Errorf("unexpected columns of %q;\n got %q\nwant %q", line, got, want)
		}
	}
	// no host
	f("<13>Mar  1 18:46:11 sshd[99]: hello", "user|notice|-|sshd|99|-|2026-03-01T18:46:11Z|-")
	f("<13>Mar 01 18:46:11 host sshd[]: hello", "user|notice|host|sshd|-|-|2026-03-01T18:46:11Z|-")
	f("<13>Mar 1 18:46:11 host postfix/smtpd[12]: x", "user|notice|host|postfix/smtpd|12|-|2026-03-01T18:46:11Z|-")
	f("<13>Mar  1 18:46:11 host app[12] x", "user|notice|host|app|12|-|2026-03-01T18:46:11Z|-")
	f("<13>Mar  1 18:46:11 host app x", "user|notice|host|-|-|-|2026-03-01T18:46:11Z|-")
	f("<13>Mar  1 18:46:11 2001:db8::1 sshd[12]: x", "user|notice|2001:db8::1|sshd|12|-|2026-03-01T18:46:11Z|-")
	f("<13>Mar  1 18:46:11 host", "user|notice|host|-|-|-|2026-03-01T18:46:11Z|-")
	f("<13>Mar  1 18:46:11", "user|notice|-|-|-|-|2026-03-01T18:46:11Z|-")
	// RFC 3339 time instead of the BSD one (rsyslog's high-precision forward format)
	f("<13>2024-03-01T18:46:11.5+01:00 host1 sshd[99]: hello", "user|notice|host1|sshd|99|-|2024-03-01T17:46:11.5Z|-")
	f("<13>2024-03-01T18:46:11 host1 sshd: hello", "user|notice|host1|sshd|-|-|2024-03-01T18:46:11Z|-")
	// Cisco IOS
	f("<189>123: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured from console by vty0",
		"local7|notice|-|%SYS-5-CONFIG_I|-|-|2026-03-01T18:46:11.123Z|-")
	f("<189>34: router1: Mar 1 18:46:11: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
		"local7|notice|router1|%LINK-3-UPDOWN|-|-|2026-03-01T18:46:11Z|-")
	f("<189>237: 000485: router1: .Jan  8 19:46:03.295: %SYS-5-CONFIG_I: x",
		"local7|notice|router1|%SYS-5-CONFIG_I|-|-|2026-01-08T19:46:03.295Z|-")
	f("<189>12: Mar  1 2025 18:46:11: %SYS-5-CONFIG_I: x", "local7|notice|-|%SYS-5-CONFIG_I|-|-|2025-03-01T18:46:11Z|-")
	// MikroTik without a timestamp, and the loadgen's bare clock
	f("<30>prerouting: in:ether1 out:(unknown 0)", "daemon|info|-|prerouting|-|-|-|-")
	f("<30>system,info,account user admin logged in", "daemon|info|-|-|-|-|-|-")
	f("<13> 10:02:05 T8Y45jGZY prerouting: in:<pppoe-RRWLkNYEZ> out:(unknown 0)",
		"user|notice|T8Y45jGZY|prerouting|-|-|2026-12-02T10:02:05Z|-")
	// a PRI above 191 has no facility or severity; the rest still parses
	f("<869> 10:02:05 T8Y45jGZY prerouting: in:<pppoe-RRWLkNYEZ>", "-|-|T8Y45jGZY|prerouting|-|-|2026-12-02T10:02:05Z|-")
	// no PRI, a broken PRI: no header
	f("Mar  1 18:46:11 host sshd: x", "-|-|-|-|-|-|-|-")
	f("<13 Mar  1 18:46:11 host sshd: x", "-|-|-|-|-|-|-|-")
	f("<1234>Mar  1 18:46:11 host sshd: x", "-|-|-|-|-|-|-|-")
	f("<>x", "-|-|-|-|-|-|-|-")
	f("", "-|-|-|-|-|-|-|-")
	// impossible dates and clocks: the time is NULL, the rest stays
	f("<13>Feb 30 18:46:11 host sshd: x", "user|notice|host|sshd|-|-|-|-")
	f("<13>Mar  1 25:46:11 host sshd: x", "user|notice|host|sshd|-|-|-|-")
	f("<13>2024-13-01T18:46:11Z host sshd: x", "user|notice|host|sshd|-|-|-|-")
}

// RFC 5424 lines that are partly broken keep what parses.
func TestParseRFC5424Partial(t *testing.T) {
	f := func(line, want string) {
		t.Helper()
		if got := cols(NewParser(ModeAuto, time.UTC).Parse(line, recvDec2)); got != want {
			t.Errorf("unexpected columns of %q;\n got %q\nwant %q", line, got, want)
		}
	}
	f("<14>1 - - - - - -", "user|info|-|-|-|-|-|-")
	f("<14>1 - host app 1 - -", "user|info|host|app|1|-|-|-")
	f("<14>1 2026-12-02T13:00:00+01:00 host", "user|info|host|-|-|-|2026-12-02T12:00:00Z|-")
	f("<14>1 2026-12-02T13:00:00 host app - - - x", "user|info|host|app|-|-|-|-") // no offset: not RFC 5424
	f("<14>1 yesterday host app - - - x", "user|info|host|app|-|-|-|-")
	f("<14>1 - host  app - - - x", "user|info|host|-|-|-|-|-") // two spaces end the header
	f(`<14>1 - h a p m [id@1 k="v\"]"] msg`, `user|info|h|a|p|m|-|[id@1 k="v\"]"]`)
	f(`<14>1 - h a p m [id@1 k="v"][b] msg`, `user|info|h|a|p|m|-|[id@1 k="v"][b]`)
	f(`<14>1 - h a p m [id@1 k="v"]msg`, "user|info|h|a|p|m|-|-")
	f(`<14>1 - h a p m [id@1 k="v`, "user|info|h|a|p|m|-|-")
	f(`<14>1 - h a p m [id@1 k=v] x`, "user|info|h|a|p|m|-|-")
	f(`<14>1 - h a p m [] x`, "user|info|h|a|p|m|-|-")
	f(`<14>1 - h a p m oops x`, "user|info|h|a|p|m|-|-")
	// rfc5424 mode: a BSD line has only its PRI
	if got := cols(NewParser(ModeRFC5424, time.UTC).Parse("<13>Mar  1 18:46:11 host sshd: x", recvDec2)); got != "user|notice|-|-|-|-|-|-" {
		t.Errorf("unexpected columns of a BSD line in rfc5424 mode: %q", got)
	}
	// rfc3164 mode: an RFC 5424 line has only its PRI
	if got := cols(NewParser(ModeRFC3164, time.UTC).Parse("<13>1 2026-12-02T13:00:00Z host app - - - x", recvDec2)); got != "user|notice|-|-|-|-|-|-" {
		t.Errorf("unexpected columns of an RFC 5424 line in rfc3164 mode: %q", got)
	}
	if got := cols(NewParser(ModeNone, time.UTC).Parse("<13>1 2026-12-02T13:00:00Z host app - - - x", recvDec2)); got != "-|-|-|-|-|-|-|-" {
		t.Errorf("unexpected columns in mode none: %q", got)
	}
}

// An RFC 3164 time takes the receive date's year, except across New Year:
// more than a day ahead is last year's, more than 364 days back next year's.
func TestParseRFC3164YearRollover(t *testing.T) {
	f := func(recv time.Time, stamp, want string) {
		t.Helper()
		h := NewParser(ModeAuto, time.UTC).Parse("<13>"+stamp+" host app: x", recv)
		if h.Time != want {
			t.Errorf("unexpected header_time of %q received %s; got %q; want %q", stamp, recv.Format(time.RFC3339), h.Time, want)
		}
	}
	at := func(y, mo, d, h, mi, s int) time.Time { return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC) }
	f(at(2027, 1, 1, 0, 0, 30), "Dec 31 23:59:50", "2026-12-31T23:59:50Z")
	f(at(2027, 1, 3, 0, 0, 0), "Dec 31 23:59:50", "2026-12-31T23:59:50Z")
	f(at(2026, 12, 31, 23, 59, 50), "Jan  1 00:00:05", "2027-01-01T00:00:05Z")
	f(at(2026, 12, 31, 23, 59, 50), "Dec 31 23:59:40", "2026-12-31T23:59:40Z")
	f(at(2026, 3, 1, 12, 0, 0), "Mar  2 11:00:00", "2026-03-02T11:00:00Z") // < 1 day ahead: this year
	f(at(2026, 3, 1, 12, 0, 0), "Mar  5 11:00:00", "2025-03-05T11:00:00Z") // > 1 day ahead: last year
	f(at(2028, 3, 1, 12, 0, 0), "Feb 29 11:00:00", "2028-02-29T11:00:00Z")
	f(at(2027, 3, 1, 12, 0, 0), "Feb 29 11:00:00", "") // no Feb 29 in 2027
}

// A bare clock takes the receive date, or the day next to it when that is
// within 12 hours of the receive time.
func TestParseClockOnlyDate(t *testing.T) {
	f := func(recv time.Time, clock, want string) {
		t.Helper()
		h := NewParser(ModeAuto, time.UTC).Parse("<13> "+clock+" host app: x", recv)
		if h.Time != want {
			t.Errorf("unexpected header_time of %q received %s; got %q; want %q", clock, recv.Format(time.RFC3339), h.Time, want)
		}
	}
	f(time.Date(2026, 12, 2, 0, 0, 30, 0, time.UTC), "23:59:50", "2026-12-01T23:59:50Z")
	f(time.Date(2026, 12, 31, 23, 59, 50, 0, time.UTC), "00:00:10", "2027-01-01T00:00:10Z")
	f(time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC), "13:59:00.25", "2026-12-02T13:59:00.25Z")
}

// header_time is RFC 3339 with the offset of the engine's zone at that
// instant, as time.Format(time.RFC3339Nano) writes it, across DST changes.
func TestParseHeaderTimeZones(t *testing.T) {
	ber := mustLoc(t, "Europe/Berlin")
	ny := mustLoc(t, "America/New_York")
	kol := mustLoc(t, "Asia/Kolkata")
	f := func(loc *time.Location, recv time.Time, line, want string) {
		t.Helper()
		if got := NewParser(ModeAuto, loc).Parse(line, recv).Time; got != want {
			t.Errorf("unexpected header_time (%s) of %q; got %q; want %q", loc, line, got, want)
		}
	}
	summer := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	f(ber, summer, "<13>Jul  1 12:00:00 h a: x", "2026-07-01T12:00:00+02:00")
	f(ber, summer, "<13>Jan  1 12:00:00 h a: x", "2026-01-01T12:00:00+01:00")
	f(ber, summer, "<13>1 2026-07-01T10:00:00Z h a - - -", "2026-07-01T12:00:00+02:00")
	f(ber, summer, "<13>1 2026-07-01T12:00:00+02:00 h a - - -", "2026-07-01T12:00:00+02:00")
	f(ny, summer, "<13>1 2026-07-01T10:00:00.120Z h a - - -", "2026-07-01T06:00:00.12-04:00")
	f(kol, summer, "<13>1 2026-07-01T10:00:00Z h a - - -", "2026-07-01T15:30:00+05:30")
	f(kol, summer, "<13>1 2026-07-01T10:00:00.000Z h a - - -", "2026-07-01T15:30:00+05:30")
	// 2026-03-29 02:30 does not exist in Berlin; 2026-10-25 02:30 exists twice.
	spring := time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC)
	f(ber, spring, "<13>Mar 29 02:30:00 h a: x", time.Date(2026, 3, 29, 2, 30, 0, 0, ber).Format(time.RFC3339Nano))
	f(ber, spring, "<13>Mar 29 01:59:59 h a: x", "2026-03-29T01:59:59+01:00")
	f(ber, spring, "<13>Mar 29 03:00:00 h a: x", "2026-03-29T03:00:00+02:00")
	autumn := time.Date(2026, 10, 25, 12, 0, 0, 0, time.UTC)
	f(ber, autumn, "<13>Oct 25 02:30:00 h a: x", time.Date(2026, 10, 25, 2, 30, 0, 0, ber).Format(time.RFC3339Nano))
	f(ber, autumn, "<13>1 2026-10-25T00:30:00Z h a - - -", "2026-10-25T02:30:00+02:00")
	f(ber, autumn, "<13>1 2026-10-25T01:30:00Z h a - - -", "2026-10-25T02:30:00+01:00")
}

// Fields of the header are substrings of the line; a repeated header_time is
// one string, not a new one per line.
func TestParseAllocations(t *testing.T) {
	p := NewParser(ModeAuto, time.UTC)
	lines := []string{
		"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - msg",
		"<34>Oct 11 22:14:15 mymachine su[12]: msg",
		"<189>123: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured",
	}
	for _, l := range lines {
		p.Parse(l, recvDec2)
		if n := testing.AllocsPerRun(100, func() { p.Parse(l, recvDec2) }); n != 0 {
			t.Errorf("Parse of %q allocates %v times per line; want 0 once its time is cached", l, n)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, name := range []string{"none", "auto", "rfc3164", "rfc5424"} {
		m, err := ParseMode(name)
		if err != nil || m.String() != name {
			t.Errorf("ParseMode(%q) = %v, %v", name, m, err)
		}
	}
	if m, err := ParseMode(""); err != nil || m != ModeNone {
		t.Errorf("ParseMode(\"\") = %v, %v; want none", m, err)
	}
	for _, bad := range []string{"Auto", "rfc3339", "bsd", " none"} {
		if _, err := ParseMode(bad); err == nil {
			t.Errorf("ParseMode(%q) succeeded; want an error", bad)
		}
	}
	if got := strings.Join(Columns(), ","); got != "facility,severity,host,app,procid,msgid,header_time,structured_data" {
		t.Errorf("unexpected columns %q", got)
	}
	if !IsColumn("host") || IsColumn("hostname") {
		t.Error("IsColumn is wrong")
	}
}

// One parser's caches (the day's date text, the offset's text, the last
// time) and the arena its header times are cut from change nothing: a header
// kept from every line of a long run with times over 30 years reads the same
// as a fresh parser's for that line alone, after the run.
func TestParseKeptHeadersMatchAFreshParserPerLine(t *testing.T) {
	ber, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cases := append(genCases(3000, 11), streamCases(1000, 12)...)
	for _, mode := range []Mode{ModeAuto, ModeRFC3164, ModeRFC5424} {
		p := NewParser(mode, ber)
		kept := make([]Header, len(cases))
		times := 0
		for i, c := range cases {
			kept[i] = p.Parse(c.line, diffRecv)
			if kept[i].Time != "" {
				times++
			}
		}
		if times < len(cases)/5 {
			t.Fatalf("%s: %d header times of %d lines; want a run that formats many", mode, times, len(cases))
		}
		for i, c := range cases {
			if want := NewParser(mode, ber).Parse(c.line, diffRecv); kept[i] != want {
				t.Fatalf("%s: line %d %q kept %+v; want %+v", mode, i, c.line, kept[i], want)
			}
		}
	}
}
