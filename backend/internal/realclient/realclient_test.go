package realclient

import (
	"os"
	"strings"
	"testing"
)

func TestTargetRewritesTheDocsHostAndPort(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := Target(in, 40123); got != want {
			t.Fatalf("unexpected target; got %q; want %q", got, want)
		}
	}
	f(RsyslogUDP, `*.* action(type="omfwd" target="127.0.0.1" port="40123" protocol="udp")`)
	f(SyslogNGTCPLF, `destination d_logsieve { network("127.0.0.1" port(40123) transport("tcp")); };`)
	f(`port="15140"`, `port="15140"`)
}

// The snippets the real-client tests run are the ones the docs show, verbatim.
func TestDocsShowTheTestedSnippets(t *testing.T) {
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	senders := read("../../../docs/senders.md")
	for name, s := range map[string]string{
		"RsyslogTCPOctet": RsyslogTCPOctet, "RsyslogTCPLF": RsyslogTCPLF, "RsyslogUDP": RsyslogUDP,
		"SyslogNGTCPOctet": SyslogNGTCPOctet, "SyslogNGTCPLF": SyslogNGTCPLF, "SyslogNGUDP": SyslogNGUDP,
		"RsyslogTLSGlobal": RsyslogTLSGlobal, "RsyslogTLSClientGlobal": RsyslogTLSClientGlobal,
		"RsyslogTLS": RsyslogTLS, "RsyslogTLSPinned": RsyslogTLSPinned,
		"SyslogNGTLS": SyslogNGTLS, "SyslogNGTLSClient": SyslogNGTLSClient,
	} {
		if !strings.Contains(senders, s) {
			t.Errorf("docs/senders.md does not show %s verbatim:\n%s", name, s)
		}
	}
	readme := read("../../../README.md")
	for _, s := range []string{"## Pointing rsyslog / syslog-ng at logsieve", "docs/senders.md", RsyslogTCPOctet, SyslogNGTCPOctet} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.md does not show %q", s)
		}
	}
}
