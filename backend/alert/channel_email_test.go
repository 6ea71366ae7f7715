package alert_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/logsieve/logsieve/backend/alert"
	"github.com/logsieve/logsieve/backend/internal/tlstest"
)

// mailbox is a real SMTP server (go-smtp) on 127.0.0.1 that takes AUTH
// PLAIN for one user, only over TLS, and keeps each message.
type mailbox struct {
	mu    sync.Mutex
	msgs  []string
	tls   []bool // whether each message came over TLS
	rcpts [][]string
	port  int
}

type mailSession struct {
	box   *mailbox
	conn  *smtp.Conn
	authd bool
	rcpts []string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "pw-123" {
			return errors.New("invalid credentials")
		}
		s.authd = true
		return nil
	}), nil
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	if !s.authd {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.box.mu.Lock()
	s.box.msgs, s.box.tls, s.box.rcpts = append(s.box.msgs, string(b)), append(s.box.tls, isTLS), append(s.box.rcpts, s.rcpts)
	s.box.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.rcpts = nil }
func (s *mailSession) Logout() error { return nil }

// startMailbox serves SMTP with STARTTLS (implicit TLS when implicit) and
// returns the client TLS config that trusts its certificate.
func startMailbox(t *testing.T, implicit bool) (*mailbox, *tls.Config) {
	t.Helper()
	dir := t.TempDir()
	ca := tlstest.NewCA(t, dir, "mail-ca")
	cert := tlstest.KeyPair(t, ca, "mail")
	box := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{box: box, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	var ln net.Listener
	var err error
	if implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	box.port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	pem, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return box, &tls.Config{RootCAs: pool}
}

func (b *mailbox) all() ([]string, []bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.msgs...), append([]bool(nil), b.tls...)
}

func TestEmailChannelSendsOverSTARTTLSWithAuth(t *testing.T) {
	box, tc := startMailbox(t, false)
	c, fe := newClock(), &fakeEngines{}
	m := newManager(t, fe, c, func(cfg *alert.Config) { cfg.SMTPTLS = tc })
	mustChannel(t, m, alert.ChannelSpec{Name: "mail", Type: alert.TypeEmail, Host: "127.0.0.1", Port: box.port, TLS: alert.TLSStartTLS,
		Username: "alerts", Password: "pw-123", From: "logsieve <alerts@example.net>", To: []string{"ops@example.net", "Noc <noc@example.net>"}})
	if ch, _ := m.Channel("mail"); ch.PasswordSet == nil || !*ch.PasswordSet {
		t.Fatalf("password_set; got %+v", ch)
	}
	mustRule(t, m, func(s *alert.RuleSpec) { s.Channels, s.Count = []string{"mail"}, 2 })
	_, addr := startEngine(t, m)
	sendUDP(t, addr, "msg=deny user=alice", "msg=deny user=bob")
	waitFor(t, "a mail", func() bool { msgs, _ := box.all(); return len(msgs) == 1 })
	msgs, overTLS := box.all()
	if !overTLS[0] {
		t.Fatal("the mail was not sent over TLS")
	}
	for _, want := range []string{"Subject: [logsieve] deny on fw", "To: ops@example.net, Noc <noc@example.net>",
		"2 matching rows within 60 s", "> msg=deny user=alice", "> msg=deny user=bob", "/engines/fw/logs?"} {
		if !strings.Contains(msgs[0], want) {
			t.Errorf("mail lacks %q; got %q", want, msgs[0])
		}
	}
	box.mu.Lock()
	rcpts := strings.Join(box.rcpts[0], ",")
	box.mu.Unlock()
	if rcpts != "ops@example.net,noc@example.net" {
		t.Fatalf("recipients; got %q", rcpts)
	}
	waitFor(t, "the delivery record", func() bool { return joined(statuses(t, m, "mail")) == "sent" })

	// A wrong password fails the attempt with the server's answer.
	bad := alert.ChannelSpec{Name: "mail", Type: alert.TypeEmail, Host: "127.0.0.1", Port: box.port, Username: "alerts", Password: "wrong",
		From: "alerts@example.net", To: []string{"ops@example.net"}, Enabled: true}
	if _, err := m.UpdateChannel("mail", bad); err != nil {
		t.Fatal(err)
	}
	res, err := m.TestChannel(context.Background(), "mail")
	if err != nil || res.OK || !strings.Contains(res.Error, "AUTH") {
		t.Fatalf("test with a wrong password; got %+v %v", res, err)
	}
}

func TestEmailChannelSendsOverImplicitTLS(t *testing.T) {
	box, tc := startMailbox(t, true)
	c, fe := newClock(), &fakeEngines{}
	m := newManager(t, fe, c, func(cfg *alert.Config) { cfg.SMTPTLS = tc })
	mustChannel(t, m, alert.ChannelSpec{Name: "mail", Type: alert.TypeEmail, Host: "127.0.0.1", Port: box.port, TLS: alert.TLSImplicit,
		Username: "alerts", Password: "pw-123", From: "alerts@example.net", To: []string{"ops@example.net"}})
	res, err := m.TestChannel(context.Background(), "mail")
	if err != nil || !res.OK {
		t.Fatalf("test message; got %+v %v", res, err)
	}
	msgs, overTLS := box.all()
	if len(msgs) != 1 || !overTLS[0] || !strings.Contains(msgs[0], "a test message from logsieve") {
		t.Fatalf("mail; got %q tls %v", msgs, overTLS)
	}
}
