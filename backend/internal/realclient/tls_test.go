package realclient

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"testing"
	"time"
)

// selfSigned returns a TLS certificate for 127.0.0.1 and its PEM.
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"127.0.0.1"},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// octetLF is msg octet counted with the LF both senders put inside the frame.
func octetLF(msg string) string { return fmt.Sprintf("%d %s\n", len(msg)+1, msg) }

// The harness takes a TLS sender in a few lines (Files, {{.Dir}}): rsyslog
// with rsyslog-gnutls and syslog-ng with transport("tls") reach a Go TLS
// listener whose self-signed certificate is the senders' CA.
func TestTLSSendersReachAGoTLSListener(t *testing.T) {
	cert, caPEM := selfSigned(t)
	f := func(name string, start func(port int) *Daemon, want string) {
		t.Run(name, func(t *testing.T) {
			ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			d := start(ln.Addr().(*net.TCPAddr).Port)
			d.Send(t, "<13>1 2026-12-02T14:00:00Z host app - - - over tls")
			got := make(chan string, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					got <- err.Error()
					return
				}
				defer c.Close()
				_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					got <- err.Error()
					return
				}
				got <- line
			}()
			var g string
			select {
			case g = <-got:
			case <-time.After(20 * time.Second): // ln.Close ends the Accept
				g = "no connection within 20s"
			}
			if g != want {
				t.Fatalf("unexpected frame over TLS; got %q; want %q; %s said:\n%s", g, want, d.Name, d.Output())
			}
		})
	}
	f("rsyslog gtls", func(port int) *Daemon {
		return StartRsyslog(t, RsyslogConfig{
			Files:  map[string][]byte{"ca.pem": caPEM},
			Global: `global(DefaultNetstreamDriverCAFile="{{.Dir}}/ca.pem")`,
			Forward: Target(`*.* action(type="omfwd" target="logsieve.example.net" port="6514" protocol="tcp"
           StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")`, port),
		})
	}, octetLF("<13>1 2026-12-02T14:00:00Z host app - - - over tls"))
	f("syslog-ng tls", func(port int) *Daemon {
		return StartSyslogNG(t, SyslogNGConfig{
			Files: map[string][]byte{"ca.pem": caPEM},
			Destination: Target(`destination d_logsieve { syslog("logsieve.example.net" port(6514) transport("tls")
           tls(ca-file("{{.Dir}}/ca.pem") peer-verify(required-trusted))); };`, port),
		})
	}, octetLF("<13>1 2026-12-02T14:00:00+00:00 host app - - - over tls"))
}
