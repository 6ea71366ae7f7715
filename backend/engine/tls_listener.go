package engine

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/logsieve/logsieve/backend/tlscert"
)

// DefaultHandshakeTimeout is how long a TLS client may take to complete its
// handshake before the engine closes the connection (Config.HandshakeTimeout;
// tests shorten it).
var DefaultHandshakeTimeout = 10 * time.Second

// serverTLSConfig is the TLS side of a tls engine (RFC 5425): TLS 1.2 at
// least, the certificate of cfg.GetCertificate taken at each handshake, and,
// when cfg.ClientCA is set, a client certificate signed by one of its CAs
// required. It fails when no certificate or the CA file cannot be loaded.
func (e *Engine) serverTLSConfig() (*tls.Config, error) {
	if e.cfg.GetCertificate == nil {
		return nil, errors.New("no TLS certificate source")
	}
	if _, err := e.cfg.GetCertificate(nil); err != nil {
		return nil, fmt.Errorf("no TLS certificate: %w", err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: e.cfg.GetCertificate}
	if e.cfg.ClientCA != "" {
		pool, err := tlscert.LoadCAPool(e.cfg.ClientCA)
		if err != nil {
			return nil, err
		}
		c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// handshake runs the TLS handshake of a connection admitted by accept (it
// holds a connection slot meanwhile) and returns the connection to read, or
// nil when the handshake failed or timed out: then the failure is counted in
// tls_errors and is an event naming the peer and the reason.
func (e *Engine) handshake(c *streamConn, conf *tls.Config) net.Conn {
	tc := tls.Server(c.conn, conf)
	_ = c.conn.SetDeadline(time.Now().Add(e.cfg.HandshakeTimeout))
	err := tc.Handshake()
	if err == nil {
		_ = c.conn.SetDeadline(time.Time{})
		return tc
	}
	if errors.Is(err, net.ErrClosed) {
		return nil // the engine is stopping
	}
	e.ctr.tlsErrors.Add(1)
	reason := err.Error()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		reason = fmt.Sprintf("no handshake within %v", e.cfg.HandshakeTimeout)
	}
	e.connEvent(LevelWarning, "TLS handshake with %s failed: %s", c.peerText, reason)
	return nil
}
