package realclient

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Snippets of docs/senders.md for rsyslog (8.x, RainerScript): a rule for
// /etc/rsyslog.d/ that forwards everything to logsieve.
const (
	// RsyslogTCPOctet forwards over TCP, octet counted (RFC 6587), in RFC
	// 5424 format; its own queue and endless retries keep what logsieve
	// cannot take while it restarts.
	RsyslogTCPOctet = `*.* action(type="omfwd" target="logsieve.example.net" port="1514" protocol="tcp"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
           queue.type="LinkedList" action.resumeRetryCount="-1")`
	// RsyslogTCPLF forwards over TCP, one LF-terminated line per message, in
	// the traditional (RFC 3164) format: omfwd's framing and format.
	RsyslogTCPLF = `*.* action(type="omfwd" target="logsieve.example.net" port="1514" protocol="tcp"
           queue.type="LinkedList" action.resumeRetryCount="-1")`
	// RsyslogUDP forwards one datagram per message, in the traditional format.
	RsyslogUDP = `*.* action(type="omfwd" target="logsieve.example.net" port="5514" protocol="udp")`

	// RsyslogTLSGlobal names the CA file of the gtls driver (rsyslog-gnutls):
	// the CA that signed logsieve's certificate, or with the self-signed one
	// logsieve's server.crt itself.
	RsyslogTLSGlobal = `global(DefaultNetstreamDriverCAFile="/etc/rsyslog.d/logsieve-ca.pem")`
	// RsyslogTLSClientGlobal is RsyslogTLSGlobal with the sender's own
	// certificate and key, for an engine with tls_client_ca (mutual TLS).
	RsyslogTLSClientGlobal = `global(DefaultNetstreamDriverCAFile="/etc/rsyslog.d/logsieve-ca.pem"
       DefaultNetstreamDriverCertFile="/etc/rsyslog.d/sender.crt"
       DefaultNetstreamDriverKeyFile="/etc/rsyslog.d/sender.key")`
	// RsyslogTLS forwards over TLS (RFC 5425: octet counted, RFC 5424
	// format) to a logsieve whose certificate the CA signed for the name it
	// is reached by.
	RsyslogTLS = `*.* action(type="omfwd" target="logsieve.example.net" port="6514" protocol="tcp"
           StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
           StreamDriverPermittedPeers="logsieve.example.net"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
           queue.type="LinkedList" action.resumeRetryCount="-1")`
	// RsyslogTLSPinned forwards over TLS to a logsieve with its self-signed
	// certificate: the CA file is that certificate, so it is the only one
	// trusted, and x509/certvalid skips the name check (the self-signed
	// certificate names the host, localhost and the loopback addresses only).
	RsyslogTLSPinned = `*.* action(type="omfwd" target="logsieve.example.net" port="6514" protocol="tcp"
           StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
           queue.type="LinkedList" action.resumeRetryCount="-1")`
)

// RsyslogConfig is what a test puts into the harness's rsyslog.conf.
// Global and Forward may name the daemon's dir as {{.Dir}}.
type RsyslogConfig struct {
	// Global holds statements placed before the input, e.g. the
	// global(DefaultNetstreamDriverCAFile="{{.Dir}}/ca.pem") of a TLS sender.
	Global string
	// Forward holds the rules that receive every message of the input: a
	// snippet rewritten by Target.
	Forward string
	// Files are written into the daemon's dir (name -> content), readable
	// by the daemon only: a CA certificate, a client key.
	Files map[string][]byte
}

const rsyslogConf = `# written by logsieve's realclient test harness
global(workDirectory="{{.Dir}}")
{{.Global}}
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="{{.Dir}}/imtcp.port" ruleset="to_logsieve")
ruleset(name="to_logsieve") {
{{.Forward}}
}
`

// RequireRsyslog returns the path of rsyslogd. Missing: see Require.
func RequireRsyslog(t testing.TB) string {
	t.Helper()
	return Require(t, "rsyslogd", "/usr/sbin/rsyslogd")
}

// StartRsyslog runs rsyslogd -n (foreground) from a config in its own temp
// dir: an imtcp input on a 127.0.0.1 port the kernel picks (Daemon.InPort)
// whose messages go to c.Forward, and nothing else (no local log socket,
// rsyslog's own messages go nowhere). It stops with the test.
func StartRsyslog(t testing.TB, c RsyslogConfig) *Daemon {
	t.Helper()
	path := RequireRsyslog(t)
	dir, cred := daemonDir(t, "rsyslog")
	d := &Daemon{Name: "rsyslogd", Dir: dir}
	conf := writeFiles(t, dir, "rsyslog.conf", rsyslogConf, struct {
		RsyslogConfig
		Dir string
	}{c, dir}, c.Files, cred)
	portFile := filepath.Join(dir, "imtcp.port")
	port := func() int {
		b, _ := os.ReadFile(portFile)
		p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return p
	}
	if err := start(t, d, path, []string{"-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid")}, nil, cred, port); err != nil {
		t.Fatalf("%s: %v", d.Name, err)
	}
	return d
}
