package realclient

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Snippets of docs/senders.md for syslog-ng (3.x): a destination to add to
// the log paths that should reach logsieve.
const (
	// SyslogNGTCPOctet sends over TCP, octet counted, in RFC 5424 format: the syslog() driver.
	SyslogNGTCPOctet = `destination d_logsieve { syslog("logsieve.example.net" port(1514) transport("tcp")); };`
	// SyslogNGTCPLF sends over TCP, one LF-terminated line per message, in
	// the BSD (RFC 3164) format: the network() driver.
	SyslogNGTCPLF = `destination d_logsieve { network("logsieve.example.net" port(1514) transport("tcp")); };`
	// SyslogNGUDP sends one datagram per message, in the BSD format.
	SyslogNGUDP = `destination d_logsieve { network("logsieve.example.net" port(5514) transport("udp")); };`
	// SyslogNGTLS sends over TLS (RFC 5425), RFC 5424 format, trusting the
	// CA file (the CA that signed logsieve's certificate, or logsieve's
	// self-signed server.crt) and checking the name.
	SyslogNGTLS = `destination d_logsieve { syslog("logsieve.example.net" port(6514) transport("tls")
    tls(ca-file("/etc/syslog-ng/logsieve-ca.pem") peer-verify(required-trusted))); };`
	// SyslogNGTLSClient is SyslogNGTLS with the sender's own certificate and
	// key, for an engine with tls_client_ca (mutual TLS).
	SyslogNGTLSClient = `destination d_logsieve { syslog("logsieve.example.net" port(6514) transport("tls")
    tls(ca-file("/etc/syslog-ng/logsieve-ca.pem") peer-verify(required-trusted)
        cert-file("/etc/syslog-ng/sender.crt") key-file("/etc/syslog-ng/sender.key"))); };`
)

// SyslogNGRootEnv names the directory that holds an unpacked syslog-ng-core
// package (usr/sbin/syslog-ng, usr/lib/syslog-ng/...), for machines where
// the package cannot be installed beside rsyslog (Debian's two conflict);
// make deps-system unpacks it into /opt/syslog-ng-core, the default.
const SyslogNGRootEnv = "LOGSIEVE_SYSLOG_NG_ROOT"

// SyslogNGConfig is what a test puts into the harness's syslog-ng.conf.
// Global and Destination may name the daemon's dir as {{.Dir}}.
type SyslogNGConfig struct {
	// Global holds statements placed before the destination (templates,
	// options).
	Global string
	// Destination defines the destination d_logsieve: a snippet rewritten
	// by Target, e.g. with tls(ca-file("{{.Dir}}/ca.pem")).
	Destination string
	// Files are written into the daemon's dir (name -> content), readable
	// by the daemon only: a CA certificate, a client key.
	Files map[string][]byte
}

const syslogNGConf = `@version: 3.38
# written by logsieve's realclient test harness
options { keep-hostname(yes); stats-freq(0); time-reopen(1); };
source s_test { network(ip("127.0.0.1") port({{.InPort}}) transport("tcp") flags(syslog-protocol)); };
{{.Global}}
{{.Destination}}
log { source(s_test); destination(d_logsieve); };
`

// RequireSyslogNG returns how to run syslog-ng: the program (on PATH, in
// /usr/sbin, or unpacked under $LOGSIEVE_SYSLOG_NG_ROOT, default
// /opt/syslog-ng-core) and, for an unpacked one, the arguments and
// environment that find its modules and libraries. Missing: see Require.
func RequireSyslogNG(t testing.TB) (path string, args, env []string) {
	t.Helper()
	root := os.Getenv(SyslogNGRootEnv)
	if root == "" {
		root = "/opt/syslog-ng-core"
	}
	path = Require(t, "syslog-ng", "/usr/sbin/syslog-ng", filepath.Join(root, "usr/sbin/syslog-ng"))
	if rel, err := filepath.Rel(root, path); err == nil && rel == "usr/sbin/syslog-ng" {
		mods, _ := filepath.Glob(filepath.Join(root, "usr/lib/syslog-ng/3.*"))
		if len(mods) != 1 {
			t.Fatalf("want one module dir usr/lib/syslog-ng/3.* under %s; got %q", root, mods)
		}
		args = []string{"--module-path=" + mods[0]}
		env = []string{"LD_LIBRARY_PATH=" + filepath.Join(root, "usr/lib/syslog-ng")}
	}
	return path, args, env
}

// StartSyslogNG runs syslog-ng -F (foreground) from a config in its own temp
// dir, with its persist file, pid file and control socket there: a network()
// source on a free 127.0.0.1 port (Daemon.InPort) that takes RFC 5424 lines,
// logged to d_logsieve only. It stops with the test. A port taken between
// the choice and syslog-ng's bind makes it exit: it is tried again on another.
func StartSyslogNG(t testing.TB, c SyslogNGConfig) *Daemon {
	t.Helper()
	path, modArgs, env := RequireSyslogNG(t)
	for attempt := 1; ; attempt++ {
		dir, cred := daemonDir(t, "syslog-ng")
		d := &Daemon{Name: "syslog-ng", Dir: dir}
		port := freePort(t)
		conf := writeFiles(t, dir, "syslog-ng.conf", syslogNGConf, struct {
			SyslogNGConfig
			Dir    string
			InPort int
		}{c, dir, port}, c.Files, cred)
		args := append(slices.Clone(modArgs), "-F", "-e", "--no-caps", "-f", conf,
			"--persist-file="+filepath.Join(dir, "syslog-ng.persist"),
			"--pidfile="+filepath.Join(dir, "syslog-ng.pid"),
			"--control="+filepath.Join(dir, "syslog-ng.ctl"))
		err := start(t, d, path, args, env, cred, func() int { return port })
		if err == nil {
			return d
		}
		if attempt == 3 {
			t.Fatalf("%s: %v, 3 times", d.Name, err)
		}
	}
}
