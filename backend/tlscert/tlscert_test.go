package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/tlstest"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func info(t *testing.T, s *Store) Info {
	t.Helper()
	in, err := s.Info()
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestSelfSignedPairIsGeneratedOncePrivateAndReused(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(data, "tls")
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("tls dir exists before first use")
	}
	first := info(t, NewStore(data))
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("unexpected mode of %s; got %v; want 0700", dir, m)
	}
	for _, f := range []string{CertName, KeyName} {
		if m := mode(t, filepath.Join(dir, f)); m != 0o600 {
			t.Errorf("unexpected mode of %s; got %v; want 0600", f, m)
		}
	}
	if first.Source != SourceSelfSigned {
		t.Fatalf("unexpected source %q", first.Source)
	}
	cert, _ := NewStore(data).GetCertificate(nil)
	leaf := cert.Leaf
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("unexpected key %T; want ECDSA P-256", leaf.PublicKey)
	}
	host, _ := os.Hostname()
	if !slices.Contains(leaf.DNSNames, "localhost") || (host != "" && !slices.Contains(leaf.DNSNames, host)) {
		t.Errorf("unexpected DNS names %q; want localhost and %q", leaf.DNSNames, host)
	}
	if len(leaf.IPAddresses) != 2 || !leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) || !leaf.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("unexpected IP SANs %v", leaf.IPAddresses)
	}
	if d := leaf.NotAfter.Sub(leaf.NotBefore); d < SelfSignedValidity {
		t.Errorf("valid for %v; want 10 years", d)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: poolOf(leaf), DNSName: "localhost"}); err != nil {
		t.Errorf("server.crt does not verify as its own CA file: %v", err)
	}
	again := info(t, NewStore(data)) // a restart
	if again != first {
		t.Fatalf("restart regenerated the pair; got %+v; want %+v", again, first)
	}
	if err := os.Remove(filepath.Join(dir, KeyName)); err != nil {
		t.Fatal(err)
	}
	if regen := info(t, NewStore(data)); regen.FingerprintSHA256 == first.FingerprintSHA256 {
		t.Fatal("a missing key did not regenerate the pair")
	}
}

func poolOf(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}

func TestBrokenSelfSignedPairIsNeverOverwritten(t *testing.T) {
	data := t.TempDir()
	info(t, NewStore(data))
	key := filepath.Join(data, "tls", KeyName)
	if err := os.WriteFile(key, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(data).Info(); err == nil {
		t.Fatal("a broken pair loaded")
	}
	if b, _ := os.ReadFile(key); string(b) != "garbage" {
		t.Fatal("the broken key was overwritten")
	}
}

func TestUseSwitchesCertificateAndKeepsItOnBadFiles(t *testing.T) {
	data, pki := t.TempDir(), t.TempDir()
	ca := tlstest.NewCA(t, pki, "corp")
	certFile, keyFile := ca.Issue(t, "syslog.example")
	s := NewStore(data)
	self := info(t, s)
	if err := s.Use(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	got := info(t, s)
	der, _ := os.ReadFile(certFile)
	if got.Source != SourceSettings || got.Subject != "CN=syslog.example" || got == self {
		t.Fatalf("unexpected info %+v", got)
	}
	c, _ := s.GetCertificate(nil)
	sum := sha256.Sum256(c.Leaf.Raw)
	if want := strings.ToUpper(hex.EncodeToString(sum[:])); strings.ReplaceAll(got.FingerprintSHA256, ":", "") != want || len(got.FingerprintSHA256) != 95 {
		t.Fatalf("unexpected fingerprint %q; want %s as colon-separated pairs", got.FingerprintSHA256, want)
	}
	if _, err := time.Parse(time.RFC3339, got.NotAfter); err != nil || len(der) == 0 {
		t.Fatalf("unexpected not_after %q: %v", got.NotAfter, err)
	}
	if err := s.Use(certFile, filepath.Join(pki, "missing.key")); err == nil {
		t.Fatal("a missing key was accepted")
	}
	if kept := info(t, s); kept != got {
		t.Fatalf("a bad pair replaced the one in force; got %+v", kept)
	}
	if err := s.Use("", ""); err != nil {
		t.Fatal(err)
	}
	if back := info(t, s); back != self {
		t.Fatalf("unexpected info after going back to self-signed %+v; want %+v", back, self)
	}
	bad := NewStore(t.TempDir())
	if err := bad.Use(certFile, filepath.Join(pki, "missing.key")); err == nil {
		t.Fatal("a missing key was accepted")
	}
	if _, err := bad.GetCertificate(nil); err == nil {
		t.Fatal("a store whose settings do not load fell back to a self-signed pair")
	}
}

func TestLoadCAPoolNeedsPEMCertificates(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, dir, "corp")
	if _, err := LoadCAPool(ca.CertFile); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.pem")
	_ = os.WriteFile(junk, []byte("-----BEGIN NOTHING-----\n"), 0o600)
	for _, p := range []string{junk, filepath.Join(dir, "missing.pem")} {
		if _, err := LoadCAPool(p); err == nil {
			t.Errorf("%s loaded as a CA pool", p)
		}
	}
}
