package api_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
	"github.com/logsieve/logsieve/backend/internal/realclient"
	"github.com/logsieve/logsieve/backend/internal/tlstest"
)

// The examples of RFC 5424 §6.5 (with their BOMs) and lines that the test
// class extracts from: what the real clients are fed.
var (
	rfc5424Examples = []string{
		"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff'su root' failed for lonvick on /dev/pts/8",
		"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
		`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ` + "\ufeffAn application event log entry...",
		`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`,
		"<13>1 2026-12-02T14:00:00Z router1 fw 4242 - - msg=first ->10.0.0.1:53",
		"<13>1 2026-12-02T14:00:01Z router1 fw 4242 - - msg=second ->[2001:db8::1]:443",
	}
	// The examples of RFC 3164 §5.4 and lines the test class extracts from.
	rfc3164Examples = []string{
		"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
		"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
		"<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jam=OK Use=OK",
		"<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
		"<13>Dec  2 14:00:00 router1 fw[4242]: msg=first ->10.0.0.1:53",
		"<13>Dec  2 14:00:01 router1 fw[4242]: msg=second ->[2001:db8::1]:443",
	}

	// What arrives from each sender, byte for byte.
	// rsyslog's RFC 5424 template passes the header through; it adds the
	// space that separates an empty MSG.
	rsyslog5424 = replaced(rfc5424Examples, 3, rfc5424Examples[3]+" ")
	// rsyslog's traditional format rewrites the header it parsed: the year in
	// front of the RFC 3164 §5.4 example 4 is gone.
	rsyslog3164 = replaced(rfc3164Examples, 3, "<0>Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!")
	// syslog-ng's syslog() writes whole seconds (frac-digits(0)) and the
	// offset as +00:00 (TZ=UTC); like rsyslog it separates an empty MSG.
	syslogNG5424 = []string{
		"<34>1 2003-10-11T22:14:15+00:00 mymachine.example.com su - ID47 - \ufeff'su root' failed for lonvick on /dev/pts/8",
		"<165>1 2003-08-24T05:14:15-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
		`<165>1 2003-10-11T22:14:15+00:00 mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ` + "\ufeffAn application event log entry...",
		`<165>1 2003-10-11T22:14:15+00:00 mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] `,
		"<13>1 2026-12-02T14:00:00+00:00 router1 fw 4242 - - msg=first ->10.0.0.1:53",
		"<13>1 2026-12-02T14:00:01+00:00 router1 fw 4242 - - msg=second ->[2001:db8::1]:443",
	}
	// syslog-ng's network() writes the BSD format: no structured data, no
	// MSGID, no BOM, the PROCID in brackets after the program.
	syslogNG3164 = []string{
		"<34>Oct 11 22:14:15 mymachine.example.com su: 'su root' failed for lonvick on /dev/pts/8",
		"<165>Aug 24 05:14:15 192.0.2.1 myproc[8710]: %% It's time to make the do-nuts.",
		"<165>Oct 11 22:14:15 mymachine.example.com evntslog: An application event log entry...",
		"<165>Oct 11 22:14:15 mymachine.example.com evntslog: ",
		"<13>Dec  2 14:00:00 router1 fw[4242]: msg=first ->10.0.0.1:53",
		"<13>Dec  2 14:00:01 router1 fw[4242]: msg=second ->[2001:db8::1]:443",
	}
)

// replaced returns a copy of lines with line i replaced.
func replaced(lines []string, i int, line string) []string {
	out := append([]string(nil), lines...)
	out[i] = line
	return out
}

// realClientRun is one sender configuration against one new engine.
type realClientRun struct {
	name     string
	protocol string                                          // of the engine: tcp, tls or udp
	engine   map[string]any                                  // more fields of the engine (tls_client_ca)
	start    func(t *testing.T, port int) *realclient.Daemon // the sender, pointed at the engine's port
	send     []string                                        // lines fed to the sender
	want     []string                                        // original_log of the stored rows, in order
}

type streamStats struct {
	Received      uint64 `json:"received"`
	Stored        uint64 `json:"stored"`
	QueueDepth    int    `json:"queue_depth"`
	Connections   int64  `json:"connections"`
	FramingErrors uint64 `json:"framing_errors"`
	Truncated     uint64 `json:"truncated"`
}

// throughRealClient creates the engine, starts the sender, feeds it and
// checks that exactly the wanted logs arrived, in order, through /logs.
func (e *env) throughRealClient(t *testing.T, r realClientRun) {
	t.Helper()
	name := strings.NewReplacer(" ", "-", "_", "-").Replace(r.name)
	port := freeTCPPort(t)
	if r.protocol == "udp" {
		port = freeUDPPort(t)
	}
	body := map[string]any{"name": name, "class": "t1", "protocol": r.protocol, "bind": "127.0.0.1", "port": port, "timezone": "UTC"}
	maps.Copy(body, r.engine)
	resp := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin, Body: body})
	if resp.Status != 201 {
		t.Fatalf("create engine; got %d %s; want 201", resp.Status, resp.Body)
	}
	stats := func() streamStats {
		var st streamStats
		e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/" + name + "/stats", Token: e.viewer}).JSON(t, &st)
		return st
	}
	d := r.start(t, port)
	t.Cleanup(func() {
		if t.Failed() {
			var ev any
			e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/" + name + "/events", Token: e.viewer}).JSON(t, &ev)
			t.Logf("%s said:\n%s\nengine events: %v", d.Name, d.Output(), ev)
		}
	})
	d.Send(t, r.send...)
	want := uint64(len(r.want))
	apitest.Eventually(t, 20*time.Second, fmt.Sprintf("%d logs stored from %s", want, d.Name), func() bool { return stats().Stored >= want })
	d.Stop(t) // it flushes and closes its connection: nothing more can come
	apitest.Eventually(t, 10*time.Second, "the sender's connection to end", func() bool {
		st := stats()
		return st.Connections == 0 && st.QueueDepth == 0
	})
	if st := stats(); st.Received != want || st.Stored != want || st.FramingErrors != 0 || st.Truncated != 0 {
		t.Fatalf("unexpected stats %+v; want %d received and stored, no framing error; %s said:\n%s", st, want, d.Name, d.Output())
	}
	p := e.logs(t, name, "limit=1000&order=asc")
	orig, msg, dst := col(p, "original_log"), col(p, "msg"), col(p, "dst_ip")
	var got []string
	for _, row := range p.Rows {
		o := *row[orig] // syslog-ng's UDP datagrams end with a LF, which is not stored
		got = append(got, o)
		if strings.Contains(o, "msg=first") && (row[msg] == nil || *row[msg] != "first" || row[dst] == nil || *row[dst] != "10.0.0.1") {
			t.Errorf("unexpected class columns of %q; got msg=%v dst_ip=%v; want first, 10.0.0.1", o, row[msg], row[dst])
		}
	}
	// The engine's syslog_header is auto (the default): the first log, RFC
	// 5424 §6.5 example 1 or RFC 3164 §5.4 example 1 as each sender rewrote
	// it, has its header in columns.
	if len(p.Rows) > 0 {
		hdr := map[string]string{}
		for _, c := range []string{"facility", "severity", "host", "app"} {
			if v := p.Rows[0][col(p, c)]; v != nil {
				hdr[c] = *v
			}
		}
		if hdr["facility"] != "auth" || hdr["severity"] != "crit" || hdr["app"] != "su" || !strings.HasPrefix(hdr["host"], "mymachine") {
			t.Errorf("unexpected header columns of %q; got %v; want facility auth, severity crit, app su, host mymachine...", *p.Rows[0][orig], hdr)
		}
	}
	if strings.Join(got, "\n") != strings.Join(r.want, "\n") {
		t.Fatalf("unexpected original_log of %s's logs;\ngot  %q;\nwant %q", d.Name, got, r.want)
	}
}

func rsyslog(snippet string) func(t *testing.T, port int) *realclient.Daemon {
	return func(t *testing.T, port int) *realclient.Daemon {
		return realclient.StartRsyslog(t, realclient.RsyslogConfig{Forward: realclient.Target(snippet, port)})
	}
}

func syslogNG(snippet string) func(t *testing.T, port int) *realclient.Daemon {
	return func(t *testing.T, port int) *realclient.Daemon {
		return realclient.StartSyslogNG(t, realclient.SyslogNGConfig{Destination: realclient.Target(snippet, port)})
	}
}

func TestRsyslogForwardsToTCPAndUDPEngines(t *testing.T) {
	realclient.RequireRsyslog(t)
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	for _, r := range []realClientRun{
		{name: "rsyslog tcp octet", protocol: "tcp", start: rsyslog(realclient.RsyslogTCPOctet), send: rfc5424Examples, want: rsyslog5424},
		{name: "rsyslog tcp lf", protocol: "tcp", start: rsyslog(realclient.RsyslogTCPLF), send: rfc3164Examples, want: rsyslog3164},
		{name: "rsyslog udp", protocol: "udp", start: rsyslog(realclient.RsyslogUDP), send: rfc3164Examples, want: rsyslog3164},
	} {
		t.Run(r.name, func(t *testing.T) { e.throughRealClient(t, r) })
	}
}

func TestSyslogNGSendsToTCPAndUDPEngines(t *testing.T) {
	realclient.RequireSyslogNG(t)
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	for _, r := range []realClientRun{
		{name: "syslog-ng tcp octet", protocol: "tcp", start: syslogNG(realclient.SyslogNGTCPOctet), send: rfc5424Examples, want: syslogNG5424},
		{name: "syslog-ng tcp lf", protocol: "tcp", start: syslogNG(realclient.SyslogNGTCPLF), send: rfc5424Examples, want: syslogNG3164},
		{name: "syslog-ng udp", protocol: "udp", start: syslogNG(realclient.SyslogNGUDP), send: rfc5424Examples, want: syslogNG3164},
	} {
		t.Run(r.name, func(t *testing.T) { e.throughRealClient(t, r) })
	}
}

// tlsSenderFiles are the files the TLS snippets name: the CA file, and the
// sender's certificate and key when cert is set.
func tlsSenderFiles(t *testing.T, caFile, cert, key string) map[string][]byte {
	t.Helper()
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	files := map[string][]byte{"logsieve-ca.pem": read(caFile)}
	if cert != "" {
		files["sender.crt"], files["sender.key"] = read(cert), read(key)
	}
	return files
}

// TLS engines (RFC 5425) take rsyslog's gtls driver (rsyslog-gnutls) and
// syslog-ng's transport("tls") with the snippets of docs/senders.md: pinned
// to the self-signed certificate, with a certificate of the operator's CA
// checked by name, and with a sender certificate (tls_client_ca).
func TestRealClientsSendOverTLS(t *testing.T) {
	realclient.RequireRsyslog(t)
	realclient.RequireSyslogNG(t)
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	// The self-signed pair is made on first use; GET /tls makes it.
	if resp := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/tls", Token: e.viewer}); resp.Status != 200 {
		t.Fatalf("GET /tls; got %d %s", resp.Status, resp.Body)
	}
	selfSigned := tlsSenderFiles(t, filepath.Join(e.dir, "tls", "server.crt"), "", "")
	rsyslogTLS := func(global, forward string, files map[string][]byte) func(t *testing.T, port int) *realclient.Daemon {
		return func(t *testing.T, port int) *realclient.Daemon {
			return realclient.StartRsyslog(t, realclient.RsyslogConfig{Global: realclient.Target(global, port),
				Forward: realclient.Target(forward, port), Files: files})
		}
	}
	syslogNGTLS := func(dest string, files map[string][]byte) func(t *testing.T, port int) *realclient.Daemon {
		return func(t *testing.T, port int) *realclient.Daemon {
			return realclient.StartSyslogNG(t, realclient.SyslogNGConfig{Destination: realclient.Target(dest, port), Files: files})
		}
	}
	t.Run("rsyslog tls pinned self-signed", func(t *testing.T) {
		e.throughRealClient(t, realClientRun{name: "rsyslog tls pinned", protocol: "tls",
			start: rsyslogTLS(realclient.RsyslogTLSGlobal, realclient.RsyslogTLSPinned, selfSigned), send: rfc5424Examples, want: rsyslog5424})
	})

	// From here on the server presents a certificate of the operator's CA.
	pki := t.TempDir()
	ca := tlstest.NewCA(t, pki, "corp")
	certFile, keyFile := ca.Issue(t, "logsieve")
	senderCert, senderKey := ca.Issue(t, "sender")
	if resp := e.Do(apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin,
		Body: map[string]string{"tls_cert_file": certFile, "tls_key_file": keyFile}}); resp.Status != 200 {
		t.Fatalf("PUT /settings with the CA's pair; got %d %s", resp.Status, resp.Body)
	}
	byCA := tlsSenderFiles(t, ca.CertFile, "", "")
	withCert := tlsSenderFiles(t, ca.CertFile, senderCert, senderKey)
	mutual := map[string]any{"tls_client_ca": ca.CertFile}
	for _, r := range []realClientRun{
		{name: "rsyslog tls by name", protocol: "tls", start: rsyslogTLS(realclient.RsyslogTLSGlobal, realclient.RsyslogTLS, byCA),
			send: rfc5424Examples, want: rsyslog5424},
		{name: "rsyslog tls client cert", protocol: "tls", engine: mutual,
			start: rsyslogTLS(realclient.RsyslogTLSClientGlobal, realclient.RsyslogTLS, withCert), send: rfc5424Examples, want: rsyslog5424},
		{name: "syslog-ng tls", protocol: "tls", start: syslogNGTLS(realclient.SyslogNGTLS, byCA), send: rfc5424Examples, want: syslogNG5424},
		{name: "syslog-ng tls client cert", protocol: "tls", engine: mutual,
			start: syslogNGTLS(realclient.SyslogNGTLSClient, withCert), send: rfc5424Examples, want: syslogNG5424},
	} {
		t.Run(r.name, func(t *testing.T) { e.throughRealClient(t, r) })
	}
}
