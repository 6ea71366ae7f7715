package alert

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// email sends the alert's text over SMTP: STARTTLS (required when the mode
// says so), implicit TLS or plain, with AUTH PLAIN when a username is set.
type email struct {
	spec ChannelSpec
	tls  *tls.Config // the base client TLS config (tests: their CA); nil: system roots
}

func (e *email) send(ctx context.Context, a *Alert) (int, error) {
	addr := net.JoinHostPort(e.spec.Host, strconv.Itoa(e.spec.Port))
	tc := &tls.Config{ServerName: e.spec.Host, MinVersion: tls.VersionTLS12}
	if e.tls != nil {
		tc = e.tls.Clone()
		tc.ServerName = e.spec.Host
	}
	d := &net.Dialer{}
	var conn net.Conn
	var err error
	if e.spec.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tc}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := smtp.NewClient(conn, e.spec.Host)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Hello("logsieve"); err != nil {
		return 0, err
	}
	if e.spec.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return 0, errors.New("the server does not offer STARTTLS")
		}
		if err := c.StartTLS(tc); err != nil {
			return 0, fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if e.spec.Username != "" {
		auth := smtp.PlainAuth("", e.spec.Username, e.spec.Password, e.spec.Host)
		if e.spec.TLS == TLSNone {
			auth = plainAnyway{auth}
		}
		if err := c.Auth(auth); err != nil {
			return 0, fmt.Errorf("AUTH: %w", err)
		}
	}
	from, _ := mail.ParseAddress(e.spec.From)
	if err := c.Mail(from.Address); err != nil {
		return 0, err
	}
	for _, t := range e.spec.To {
		to, _ := mail.ParseAddress(t)
		if err := c.Rcpt(to.Address); err != nil {
			return 0, err
		}
	}
	w, err := c.Data()
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(e.message(a)); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return 0, c.Quit()
}

// message is the RFC 5322 message of a.
func (e *email) message(a *Alert) []byte {
	subject := fmt.Sprintf("[logsieve] %s on %s", a.Rule, a.Engine)
	if a.Group != "" {
		subject += " (" + a.Group + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", e.spec.From)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(e.spec.To, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", a.Time.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for _, l := range strings.Split(strings.TrimRight(a.Text(), "\n"), "\n") {
		b.WriteString(l + "\r\n")
	}
	return []byte(b.String())
}

// plainAnyway lets AUTH PLAIN go over a connection without TLS when the
// channel says tls "none" (net/smtp refuses it except to localhost).
type plainAnyway struct{ smtp.Auth }

func (p plainAnyway) Start(s *smtp.ServerInfo) (string, []byte, error) {
	s2 := *s
	s2.TLS = true
	return p.Auth.Start(&s2)
}
