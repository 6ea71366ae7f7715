// Package realclient runs real syslog senders, rsyslog and syslog-ng, as
// foreground processes from configs it writes into a temp dir, as user nobody
// when the test runs as root. A test points the daemon at an engine with one of
// the snippets of docs/senders.md (Target rewrites its address), feeds the
// daemon lines on its TCP input and reads what arrived at the engine. It
// imports no domain package.
package realclient

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// EnvRequire names the environment variable that turns a missing client
// program into a test failure (make test-go sets it: make deps-system installs
// the programs). Without it a test whose program is missing is skipped.
const EnvRequire = "LOGSIEVE_REAL_CLIENTS"

// Require returns the first of paths that is an executable file (a bare name
// is looked up on PATH). When there is none the test is skipped, or fails
// when EnvRequire is set.
func Require(t testing.TB, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
	}
	if os.Getenv(EnvRequire) != "" {
		t.Fatalf("%s is set but none of %q is installed (make deps-system installs it)", EnvRequire, paths)
	}
	t.Skipf("none of %q is installed (make deps-system installs it; %s=1 makes this a failure)", paths, EnvRequire)
	return ""
}

// docHost and the doc ports are the target of the snippets in docs/senders.md.
const docHost = "logsieve.example.net"

var docPorts = []string{"1514", "5514", "6514"}

// Target rewrites a snippet of docs/senders.md to send to 127.0.0.1:port, with
// the files it names in the daemon's dir ({{.Dir}}).
func Target(snippet string, port int) string {
	p := strconv.Itoa(port)
	// The files of the TLS snippets are in the daemon's dir.
	pairs := []string{docHost, "127.0.0.1", "/etc/rsyslog.d/", "{{.Dir}}/", "/etc/syslog-ng/", "{{.Dir}}/"}
	for _, d := range docPorts {
		pairs = append(pairs, `port="`+d+`"`, `port="`+p+`"`, "port("+d+")", "port("+p+")")
	}
	return strings.NewReplacer(pairs...).Replace(snippet)
}

// Daemon is a running syslog daemon.
type Daemon struct {
	Name   string // rsyslogd or syslog-ng
	Dir    string // config and state; the daemon's user owns it
	InPort int    // its TCP input on 127.0.0.1 (LF framed), once it listens

	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
	err    error // the exit status, once exited is closed
}

// syncBuffer collects the daemon's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Output is what the daemon printed so far.
func (d *Daemon) Output() string { return d.out.String() }

// daemonDir makes a directory the daemon's user may write. It is not under
// t.TempDir(), whose parent only this process's user may enter.
func daemonDir(t testing.TB, name string) (dir string, cred *syscall.Credential) {
	t.Helper()
	dir, err := os.MkdirTemp("", "logsieve-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return dir, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("cannot run %s unprivileged: %v", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return dir, &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
}

// writeFiles writes the config and the files a config names into dir, owned
// by the daemon's user. text is a template of data (whose Dir is dir); what
// the test put into it (a snippet, Global) may use {{.Dir}} in turn.
func writeFiles(t testing.TB, dir, name, text string, data any, files map[string][]byte, cred *syscall.Credential) string {
	t.Helper()
	render := func(text string) string {
		var b bytes.Buffer
		if err := template.Must(template.New(name).Parse(text)).Execute(&b, data); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	files = maps.Clone(files)
	if files == nil {
		files = map[string][]byte{}
	}
	files[name] = []byte(render(render(text)))
	for n, b := range files {
		path := filepath.Join(dir, n)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if cred != nil {
			if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return filepath.Join(dir, name)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// errExited is start's answer when the daemon ended before it listened
// (a port taken meanwhile: the caller tries again with another).
var errExited = errors.New("exited before it listened")

// start runs the daemon (as cred's user when set), waits until its input
// accepts connections on the port that port() tells (0: not known yet) and
// registers its stop as a cleanup.
func start(t testing.TB, d *Daemon, path string, args, env []string, cred *syscall.Credential, port func() int) error {
	t.Helper()
	d.out = &syncBuffer{}
	d.exited = make(chan struct{})
	d.cmd = exec.Command(path, args...)
	d.cmd.Dir = d.Dir
	d.cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}, env...)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("cannot start %s: %v", d.Name, err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() { _ = d.stop() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		if p := port(); p != 0 {
			c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), time.Second)
			if err == nil {
				c.Close()
				d.InPort = p
				return nil
			}
		}
		select {
		case <-d.exited:
			t.Logf("%s %v (%v); output:\n%s", d.Name, errExited, d.err, d.Output())
			return errExited
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen after 15s; output:\n%s", d.Name, d.Output())
		}
	}
}

// Send writes each line, LF terminated, to the daemon's input on one connection.
func (d *Daemon) Send(t testing.TB, lines ...string) {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(d.InPort)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
}

// Stop terminates the daemon (SIGTERM: it flushes and closes its
// connections) and waits for it to exit; it fails the test when the daemon
// does not end cleanly.
func (d *Daemon) Stop(t testing.TB) {
	t.Helper()
	if err := d.stop(); err != nil {
		t.Fatalf("%s: %v; output:\n%s", d.Name, err, d.Output())
	}
}

func (d *Daemon) stop() error {
	select {
	case <-d.exited:
		return nil // stopped before (a cleanup after Stop)
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(15 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return errors.New("did not exit within 15s of SIGTERM")
	}
	var ee *exec.ExitError
	if errors.As(d.err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
		return nil // ended by the SIGTERM itself
	}
	if d.err != nil {
		return fmt.Errorf("exited with %v", d.err)
	}
	return nil
}
