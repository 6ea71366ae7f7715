package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// The syslog_header field: auto for a new engine, validated with 400 naming
// the field, changeable by PATCH; class keys may not take the header names.
func TestEngineSyslogHeaderField(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	post := func(name string, m map[string]any) apitest.Request {
		b := map[string]any{"name": name, "class": "t1", "bind": "127.0.0.1", "port": freeUDPPort(t), "timezone": "UTC"}
		for k, v := range m {
			b[k] = v
		}
		return apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin, Body: b}
	}
	patch := func(m map[string]any) apitest.Request {
		return apitest.Request{Method: "PATCH", Path: "/api/v1/engines/h1", Token: e.admin, Body: m}
	}
	e.Run(t, []apitest.Scenario{
		{Name: "unknown mode", Request: post("bad", map[string]any{"syslog_header": "rfc3339"}), Status: 400, Field: "syslog_header"},
		{Name: "empty mode", Request: post("bad", map[string]any{"syslog_header": ""}), Status: 400, Field: "syslog_header"},
		{Name: "mode of the wrong type", Request: post("bad", map[string]any{"syslog_header": true}), Status: 400, Field: "syslog_header"},
		{Name: "viewer cannot create", Request: func() apitest.Request { r := post("v", nil); r.Token = e.viewer; return r }(), Status: 403},
		{Name: "default auto", Request: post("h1", nil), Status: 201, Contains: []string{`"syslog_header":"auto"`}},
		{Name: "explicit none", Request: post("h2", map[string]any{"syslog_header": "none"}), Status: 201, Contains: []string{`"syslog_header":"none"`}},
		{Name: "listed", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines", Token: e.viewer}, Status: 200,
			Contains: []string{`"syslog_header":"auto"`, `"syslog_header":"none"`}},
		{Name: "patch to rfc5424", Request: patch(map[string]any{"syslog_header": "rfc5424"}), Status: 200,
			Contains: []string{`"syslog_header":"rfc5424"`, `"state":"running"`}},
		{Name: "patch nonsense", Request: patch(map[string]any{"syslog_header": "bsd"}), Status: 400, Field: "syslog_header"},
		{Name: "kept", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/h1", Token: e.viewer}, Status: 200,
			Contains: []string{`"syslog_header":"rfc5424"`}},
		{Name: "class key host", Request: apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin,
			Body: map[string]any{"name": "hk", "patterns": map[string]string{"host": `h=(\S+)`}}}, Status: 400, Field: "patterns.host",
			Contains: []string{"syslog header column"}},
		{Name: "class edit to key severity", Request: apitest.Request{Method: "PUT", Path: "/api/v1/classes/t1", Token: e.admin,
			Body: map[string]any{"patterns": map[string]string{"severity": `s=(\S+)`}}}, Status: 400, Field: "patterns.severity"},
	})
}

// Header columns are ordinary columns in browse: over a real UDP socket into
// a real day file, filter=host=router1 and filter=severity=err find exactly
// their rows, substring filters and the histogram work on them, and the
// CSV carries them after time_zone.
func TestBrowseFiltersHeaderColumns(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	port := e.createEngine(t, "edge") // syslog_header auto (the default)
	now := time.Now().UTC()
	stamp := now.Add(-time.Minute).Format(time.Stamp)
	lines := []string{
		fmt.Sprintf("<11>%s router1 sshd[100]: msg=one ->10.0.0.1:22", stamp),                 // user.err
		fmt.Sprintf("<14>%s router1 sshd[101]: msg=two ->10.0.0.2:22", stamp),                 // user.info
		fmt.Sprintf("<11>%s router2 kernel: msg=three", stamp),                                // user.err
		fmt.Sprintf("<189>%s router10 %%LINK-3-UPDOWN: msg=four", stamp),                      // local7.notice
		`<165>1 2003-10-11T22:14:15.003Z router1 evntslog - ID47 [ex@32473 iut="3"] msg=five`, // local4.notice
		"no header msg=six",
	}
	sendUDP(t, port, lines...)
	apitest.Eventually(t, 10*time.Second, "six rows in /logs", func() bool { return len(e.logs(t, "edge", "").Rows) == 6 })
	msgs := func(query string) string {
		t.Helper()
		p := e.logs(t, "edge", query+"&order=asc")
		var got []string
		for _, r := range p.Rows {
			got = append(got, *r[col(p, "msg")])
		}
		return strings.Join(got, ",")
	}
	f := func(query, want string) {
		t.Helper()
		if got := msgs(query); got != want {
			t.Errorf("logs?%s; got %q; want %q", query, got, want)
		}
	}
	f("filter=host=router1", "one,two,five")
	f("filter=host:router1", "one,two,four,five") // substring: router10 too
	f("filter=severity=err", "one,three")
	f("filter=severity=err&filter=host=router1", "one")
	f("filter=facility=local4&filter=structured_data:iut", "five")
	f("filter=app=sshd&filter=procid=101", "two")
	f("filter=app=%25LINK-3-UPDOWN", "four")
	f("q=router2", "three")

	p := e.logs(t, "edge", "filter=host=router1&order=asc")
	if got := *p.Rows[2][col(p, "header_time")]; got != "2003-10-11T22:14:15.003Z" {
		t.Errorf("header_time of the RFC 5424 row; got %q", got)
	}
	if got := p.Rows[0][col(p, "msgid")]; got != nil {
		t.Errorf("msgid of a BSD row; got %q; want null", *got)
	}

	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/histogram?filter=severity=err", Token: e.viewer})
	var h histogram
	r.JSON(t, &h)
	if r.Status != 200 || h.Total != 2 {
		t.Errorf("histogram?filter=severity=err; got %d %s; want a total of 2", r.Status, r.Body)
	}
	r = e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/export.csv?filter=host=router1", Token: e.viewer})
	header, _, _ := strings.Cut(string(r.Body), "\n")
	if r.Status != 200 || !strings.HasPrefix(header, "log_sender_ip,client,time,time_zone,facility,severity,host,app,procid,msgid,header_time,structured_data,msg,") ||
		strings.Count(string(r.Body), "\n") != 4 {
		t.Errorf("export?filter=host=router1; got %d %q", r.Status, r.Body)
	}
	e.Run(t, []apitest.Scenario{
		{Name: "unknown column", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/logs?filter=hostname=x", Token: e.viewer},
			Status: 400, Field: "filter"},
	})
}
