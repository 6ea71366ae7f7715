package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// SelfSignedValidity is how long a generated self-signed certificate is valid.
const SelfSignedValidity = 10 * 365 * 24 * time.Hour

// Names of the self-signed pair in <data>/tls.
const (
	CertName = "server.crt"
	KeyName  = "server.key"
)

// selfSigned loads the self-signed pair of s.dir, generating it when either
// file is missing (s.mu held). A pair that is there but does not load is an
// error: it is never overwritten.
func (s *Store) selfSigned() (*loaded, error) {
	certFile, keyFile := filepath.Join(s.dir, CertName), filepath.Join(s.dir, KeyName)
	l, err := loadPair(certFile, keyFile, SourceSelfSigned)
	if err == nil {
		return l, nil
	}
	if !missing(certFile) && !missing(keyFile) {
		return nil, err
	}
	if err := generate(s.dir, certFile, keyFile); err != nil {
		return nil, err
	}
	return loadPair(certFile, keyFile, SourceSelfSigned)
}

func missing(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// generate writes a new self-signed ECDSA P-256 pair valid for
// SelfSignedValidity, for the host name, localhost, 127.0.0.1 and ::1; the
// directory is made 0700 and the files 0600.
func generate(dir, certFile, keyFile string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the TLS directory %q: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("cannot restrict the TLS directory %q: %w", dir, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("cannot generate a TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return fmt.Errorf("cannot generate a certificate serial: %w", err)
	}
	host, _ := os.Hostname()
	names := []string{"localhost"}
	if host != "" && host != "localhost" {
		names = append([]string{host}, names...)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0], Organization: []string{"logsieve self-signed"}},
		DNSNames:              names,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(SelfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so a client can take server.crt as its CA file
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("cannot create the self-signed certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("cannot encode the TLS key: %w", err)
	}
	// The key first: a certificate without its key would be taken as a pair.
	if err := writePEM(keyFile, "PRIVATE KEY", kder); err != nil {
		return err
	}
	return writePEM(certFile, "CERTIFICATE", der)
}

// writePEM writes one PEM block to path (mode 0600) through a temporary file,
// so a crash never leaves half a file.
func writePEM(path, typ string, der []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("cannot write %q: %w", path, err)
	}
	err = pem.Encode(f, &pem.Block{Type: typ, Bytes: der})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600) // whatever the umask did
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("cannot write %q: %w", path, err)
	}
	return nil
}
