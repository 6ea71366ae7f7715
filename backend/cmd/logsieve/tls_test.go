package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/tlstest"
	"github.com/logsieve/logsieve/backend/tlscert"
)

func TestTLSSettingsChangeTheCertificateOfNewConnections(t *testing.T) {
	s := startServer(t)
	s.call(t, "POST", "/api/v1/classes", map[string]any{"name": "seq", "patterns": map[string]string{"n": `n=(\d+)`}}, 201, nil)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s.call(t, "POST", "/api/v1/engines", map[string]any{"name": "tls1", "class": "seq", "protocol": "tls", "bind": "127.0.0.1", "port": port}, 201, nil)
	var self tlscert.Info
	s.call(t, "GET", "/api/v1/tls", nil, 200, &self)
	// The self-signed server.crt is what a client takes as its CA file.
	pem, err := os.ReadFile(filepath.Join(s.dir, "tls", tlscert.CertName))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	dial := func(conf *tls.Config) (*tls.Conn, string) {
		t.Helper()
		c, err := tls.Dial("tcp", addr, conf)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, tlscert.Fingerprint(c.ConnectionState().PeerCertificates[0].Raw)
	}
	old, fp := dial(&tls.Config{RootCAs: pool, ServerName: "localhost"})
	if self.Source != "self-signed" || fp != self.FingerprintSHA256 {
		t.Fatalf("unexpected certificate %s; want the self-signed one of GET /tls %+v", fp, self)
	}

	pki := t.TempDir()
	ca := tlstest.NewCA(t, pki, "corp")
	certFile, keyFile := ca.Issue(t, "syslog.example")
	s.call(t, "PUT", "/api/v1/settings", map[string]string{"tls_cert_file": certFile, "tls_key_file": keyFile}, 200, nil)
	var now tlscert.Info
	s.call(t, "GET", "/api/v1/tls", nil, 200, &now)
	caPool, err := tlscert.LoadCAPool(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	_, fp = dial(&tls.Config{RootCAs: caPool, ServerName: "localhost"})
	if now.Source != "settings" || now.Subject != "CN=syslog.example" || fp != now.FingerprintSHA256 {
		t.Fatalf("a new connection got %s; want the settings' certificate %+v", fp, now)
	}
	// The connection opened before the change goes on, without a restart.
	if _, err := io.WriteString(old, "n=1\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.engineStats(t, "tls1").Stored != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the old connection's log was not stored: %+v", s.engineStats(t, "tls1"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
