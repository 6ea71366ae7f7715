package engine

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/realclient"
	"github.com/logsieve/logsieve/backend/internal/tlstest"
	"github.com/logsieve/logsieve/backend/tlscert"
)

// tlsEngine starts a tls engine on 127.0.0.1 with the self-signed pair of a
// temporary data dir; it returns the engine, its address and the pool that
// trusts its certificate.
func tlsEngine(t *testing.T, cfg Config) (*Engine, string, *x509.CertPool) {
	t.Helper()
	data := t.TempDir()
	certs := tlscert.NewStore(data)
	cfg.Protocol, cfg.GetCertificate, cfg.KeepOriginal = "tls", certs.GetCertificate, true
	e, addr := startEngine(t, cfg, mikrotik(t))
	pool, err := tlscert.LoadCAPool(filepath.Join(data, "tls", tlscert.CertName))
	if err != nil {
		t.Fatal(err)
	}
	return e, addr, pool
}

// dialTLS completes a handshake with the engine at addr; the connection
// closes with the test.
func dialTLS(t *testing.T, addr string, conf *tls.Config) net.Conn {
	t.Helper()
	c, err := tls.Dial("tcp", addr, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestTLSFramedMessagesAreStoredInOrderAndListed(t *testing.T) {
	dir := t.TempDir()
	e, addr, pool := tlsEngine(t, Config{Dir: dir})
	c := dialTLS(t, addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	s, want := mixedFramedStream(200, "\n")
	for i := 0; i < len(s); i += 7 { // every frame split across several TLS records
		write(t, c, s[i:min(i+7, len(s))])
	}
	waitStored(t, e, uint64(len(want)))
	if got := originals(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("unexpected rows; got %q; want %q", got, want)
	}
	conns := e.Connections()
	if len(conns) != 1 || conns[0].Messages != 200 || conns[0].Bytes != uint64(len(s)) || conns[0].Peer != c.LocalAddr().String() {
		t.Fatalf("unexpected connections %+v; want one from %s with 200 messages, %d bytes", conns, c.LocalAddr(), len(s))
	}
	if st := e.Stats(); st.TLSErrors != 0 || st.ConnectionsTotal != 1 || st.FramingErrors != 0 {
		t.Fatalf("unexpected stats %+v", st)
	}
}

func TestTLSStalledHandshakeIsClosedCountedAndBlocksNoOne(t *testing.T) {
	e, addr, pool := tlsEngine(t, Config{HandshakeTimeout: 300 * time.Millisecond, MaxConnections: 2})
	stalled := dialTCP(t, addr) // connects, never says hello
	waitFor(t, 5*time.Second, "the stalled connection to hold a slot", func() bool { return e.Stats().Connections == 1 })
	good := dialTLS(t, addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	write(t, good, "while another stalls\n")
	waitStored(t, e, 1)
	over := dialTCP(t, addr) // both slots taken: the stalled handshake counts
	waitClosedByServer(t, over)
	if st := e.Stats(); st.ConnectionsRefused != 1 {
		t.Fatalf("unexpected stats %+v; want the third connection refused", st)
	}
	waitClosedByServer(t, stalled)
	waitEvent(t, e.Events(), "TLS handshake with "+stalled.LocalAddr().String()+" failed: no handshake within 300ms")
	waitFor(t, 5*time.Second, "the stalled slot to be free", func() bool { return e.Stats().Connections == 1 })
	if st := e.Stats(); st.TLSErrors != 1 || st.Stored != 1 {
		t.Fatalf("unexpected stats %+v; want one tls error", st)
	}
}

func TestTLSPlaintextAndOldVersionsAreRefused(t *testing.T) {
	dir := t.TempDir()
	e, addr, pool := tlsEngine(t, Config{Dir: dir})
	plain := dialTCP(t, addr)
	write(t, plain, "<13>plaintext over the tls port\n")
	waitClosedByServer(t, plain)
	waitEvent(t, e.Events(), "TLS handshake with "+plain.LocalAddr().String()+" failed: tls: first record does not look like a TLS handshake")
	if _, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}); err == nil {
		t.Fatal("a TLS 1.1 client completed a handshake; want TLS 1.2 at least")
	}
	waitFor(t, 5*time.Second, "two tls errors", func() bool { return e.Stats().TLSErrors == 2 })
	waitEvent(t, e.Events(), "unsupported versions")
	st := waitSettled(t, e, 0)
	if st.Received != 0 || st.Stored != 0 {
		t.Fatalf("unexpected stats %+v; want nothing stored", st)
	}
}

func TestTLSClientCertificateIsRequiredWhenClientCAIsSet(t *testing.T) {
	pki := t.TempDir()
	ours, other := tlstest.NewCA(t, pki, "ours"), tlstest.NewCA(t, pki, "other")
	okCert := tlstest.KeyPair(t, ours, "sender")
	badCert := tlstest.KeyPair(t, other, "stranger")
	dir := t.TempDir()
	e, addr, pool := tlsEngine(t, Config{Dir: dir, ClientCA: ours.CertFile})
	// With TLS 1.3 the client's handshake ends before the server checks its
	// certificate: the refusal shows on the client's next read.
	refused := func(name string, cert *tls.Certificate, reason string) {
		t.Helper()
		before := e.Stats().TLSErrors
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost",
			// sent even when its CA is not one the server names
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				if cert == nil {
					return &tls.Certificate{}, nil
				}
				return cert, nil
			}})
		if err == nil {
			_, _ = io.WriteString(c, "must not be stored\n")
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = c.Read(make([]byte, 1))
			c.Close()
		}
		if err == nil {
			t.Fatalf("%s: got through; want refused", name)
		}
		waitFor(t, 5*time.Second, name+" counted", func() bool { return e.Stats().TLSErrors == before+1 })
		waitEvent(t, e.Events(), reason)
	}
	refused("no certificate", nil, "client didn't provide a certificate")
	refused("another CA's certificate", &badCert, "certificate signed by unknown authority")
	good := dialTLS(t, addr, &tls.Config{RootCAs: pool, ServerName: "localhost", Certificates: []tls.Certificate{okCert}})
	write(t, good, "from a known certificate\n")
	waitStored(t, e, 1)
	if got := originals(t, dir); len(got) != 1 || got[0] != "from a known certificate" {
		t.Fatalf("unexpected rows; got %q; want only the sender with our CA's certificate", got)
	}
	if st := e.Stats(); st.TLSErrors != 2 || st.Received != 1 {
		t.Fatalf("unexpected stats %+v", st)
	}
}

func TestTLSEngineCannotStartWithoutCertificateOrWithBadClientCA(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	certs := tlscert.NewStore(t.TempDir())
	for _, cfg := range []Config{
		{Name: "nocert", Protocol: "tls", Bind: "127.0.0.1", Dir: t.TempDir()},
		{Name: "badca", Protocol: "tls", Bind: "127.0.0.1", Dir: t.TempDir(), GetCertificate: certs.GetCertificate, ClientCA: bad},
	} {
		e := New(cfg, mikrotik(t))
		if err := e.Start(); err == nil {
			_ = e.Stop()
			t.Fatalf("%s: started; want a failure", cfg.Name)
		}
		if st := e.Stats(); st.State != StateFailed || st.Reason == "" {
			t.Fatalf("%s: unexpected stats %+v; want failed with a reason", cfg.Name, st)
		}
	}
}

func TestTLSFullQueueBlocksTheSenderAndLosesNothing(t *testing.T) {
	certs := tlscert.NewStore(t.TempDir())
	fullQueueBlocksTheSender(t, Config{Protocol: "tls", GetCertificate: certs.GetCertificate}, func(t *testing.T, addr string) net.Conn {
		return dialTLS(t, addr, &tls.Config{InsecureSkipVerify: true}) // the certificate is not what this test is about
	})
}

func TestTLSVanishedClientsLeaveNoGoroutineOrFD(t *testing.T) {
	e, addr, pool := tlsEngine(t, Config{})
	conf := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	base := connBaseline(t, e, dialTLS(t, addr, conf))
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(midHandshake bool) {
			defer wg.Done()
			raw, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			if midHandshake {
				_, _ = raw.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}) // half a ClientHello
			} else {
				c := tls.Client(raw, conf)
				if err := c.Handshake(); err != nil {
					t.Error(err)
				}
				_, _ = io.WriteString(c, "hello\n3 ab") // one whole, one cut off
			}
			_ = raw.(*net.TCPConn).SetLinger(0) // vanish with a reset
			raw.Close()
		}(i%2 == 0)
	}
	wg.Wait()
	waitFor(t, 5*time.Second, "every connection to end", func() bool {
		st := e.Stats()
		return st.ConnectionsTotal == 21 && st.Connections == 0
	})
	base.waitBack(t, 5*time.Second, 1)
	if st := e.Stats(); st.TLSErrors != 10 {
		t.Fatalf("unexpected stats %+v; want the 10 handshakes cut off counted", st)
	}
	checkIdentity(t, waitSettled(t, e, e.Stats().Received))
}

func TestTLSOpenSSLClientOctetCountedMessagesAreStoredExactly(t *testing.T) {
	openssl := realclient.Require(t, "openssl")
	pki := t.TempDir()
	ca := tlstest.NewCA(t, pki, "senders")
	certFile, keyFile := ca.Issue(t, "openssl-sender")
	data, dir := t.TempDir(), t.TempDir()
	certs := tlscert.NewStore(data)
	e, addr := startEngine(t, Config{Protocol: "tls", Dir: dir, KeepOriginal: true, GetCertificate: certs.GetCertificate,
		ClientCA: ca.CertFile}, mikrotik(t))
	msgs := []string{
		"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
		`<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.`,
		mikrotikLog,
		"with a LF inside\nand trailing spaces  ",
	}
	var in bytes.Buffer
	for _, m := range msgs {
		fmt.Fprintf(&in, "%d %s", len(m), m)
	}
	// The engine's self-signed server.crt is the client's CA file, as docs/api.md says.
	cmd := exec.Command(openssl, "s_client", "-connect", addr, "-quiet", "-no_ign_eof",
		"-CAfile", filepath.Join(data, "tls", tlscert.CertName), "-verify_return_error", "-verify_hostname", "localhost",
		"-cert", certFile, "-key", keyFile)
	cmd.Stdin = &in
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl s_client failed: %v\n%s", err, out)
	}
	waitStored(t, e, uint64(len(msgs)))
	if got := originals(t, dir); strings.Join(got, "\x00") != strings.Join(msgs, "\x00") {
		t.Fatalf("unexpected rows; got %q; want %q", got, msgs)
	}
	if st := e.Stats(); st.TLSErrors != 0 || st.FramingErrors != 0 || st.Stored != uint64(len(msgs)) {
		t.Fatalf("unexpected stats %+v", st)
	}
}

// A TLS read returns one record; moreRecords takes the records that are
// already there into the same buffer (one chunk), and a record still on its
// way is no error: the next read gets it whole.
func TestTLSMoreRecordsTakesWhatIsThereAndKeepsThePartRecord(t *testing.T) {
	certs := tlscert.NewStore(t.TempDir())
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{GetCertificate: certs.GetCertificate})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.(*tls.Conn).Handshake() // the client's dial waits for it
		}
		accepted <- c
	}()
	client := dialTLS(t, ln.Addr().String(), &tls.Config{InsecureSkipVerify: true}) // the certificate is not what this is about
	srv := <-accepted
	if srv == nil {
		t.Fatal("no connection accepted")
	}
	defer srv.Close()
	// Three records (one per write), all in the server's socket before it reads.
	for _, r := range []string{"one\n", "two\n", "three\n"} {
		write(t, client, r)
	}
	// On loopback a write is in the peer's socket when it returns, so one
	// read with moreRecords gets all three (one read alone: "one\n").
	buf := make([]byte, 256<<10)
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := srv.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	n, full, err := moreRecords(srv, buf, n)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); got != "one\ntwo\nthree\n" || full {
		t.Fatalf("one read and moreRecords got %q, full %v; want the three records in order, not full", got, full)
	}
	// Nothing more is there: moreRecords waits its few µs and returns no
	// error; a record sent later is read whole by the next read.
	if m, full, err := moreRecords(srv, buf, 0); m != 0 || full || err != nil {
		t.Fatalf("moreRecords with nothing sent = %d, %v, %v; want 0, false, nil", m, full, err)
	}
	write(t, client, "four\n")
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := srv.Read(buf)
	if err != nil || string(buf[:m]) != "four\n" {
		t.Fatalf("the read after a timed-out moreRecords = %q, %v; want \"four\\n\"", buf[:m], err)
	}
	// A buffer smaller than what is there: moreRecords fills it and says
	// full (the connection's buffer grows); the rest of the record that did
	// not fit comes with the next read.
	write(t, client, "five\n")
	write(t, client, "six-and-more\n")
	small := make([]byte, 8)
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err = srv.Read(small)
	if err != nil {
		t.Fatal(err)
	}
	n, full, err = moreRecords(srv, small, n)
	if err != nil || !full || string(small[:n]) != "five\nsix" {
		t.Fatalf("moreRecords into 8 bytes = %q, full %v, %v; want \"five\\nsix\", full", small[:n], full, err)
	}
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err = srv.Read(buf)
	if err != nil || string(buf[:m]) != "-and-more\n" {
		t.Fatalf("the read after a full moreRecords = %q, %v; want the record's rest", buf[:m], err)
	}
}
