// Package tlscert keeps the server certificate of TLS engines (RFC 5425): the
// pair named by the settings tls_cert_file and tls_key_file, or a self-signed
// ECDSA P-256 pair generated once into <data>/tls/. It also loads the CA pools
// that client certificates are checked against (engine field tls_client_ca).
package tlscert

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sources of the server certificate (Info.Source).
const (
	SourceSelfSigned = "self-signed"
	SourceSettings   = "settings"
)

// Info describes the server certificate in force, shaped as GET /tls. It
// never holds the key.
type Info struct {
	Source            string `json:"source"`
	Subject           string `json:"subject"`
	FingerprintSHA256 string `json:"fingerprint_sha256"` // uppercase hex pairs joined by ':'
	NotBefore         string `json:"not_before"`         // RFC 3339
	NotAfter          string `json:"not_after"`          // RFC 3339
}

// loaded is a certificate in force and its description.
type loaded struct {
	cert *tls.Certificate
	info Info
}

// Store holds the server certificate of every TLS engine. Use switches it;
// each new handshake takes the one in force (GetCertificate), so a change
// needs no engine restart. Its methods are safe for concurrent use.
type Store struct {
	dir string // <data>/tls

	mu       sync.Mutex // serialises Use and the self-signed generation
	certFile string     // the settings in force ("" = self-signed)
	keyFile  string
	err      error // why the settings' pair could not be loaded (nothing in force then)
	cur      atomic.Pointer[loaded]
}

// NewStore returns a store whose self-signed pair lives in dataDir/tls. It
// uses the self-signed pair (generated at first use) until Use names files.
func NewStore(dataDir string) *Store {
	return &Store{dir: dataDir + string(os.PathSeparator) + "tls"}
}

// Use puts the pair of the settings tls_cert_file and tls_key_file in force
// for new handshakes; both empty selects the self-signed pair. When the pair
// cannot be loaded, the error is returned and the certificate in force stays
// (none when there was none: handshakes then fail and TLS engines cannot
// start, with the reason).
func (s *Store) Use(certFile, keyFile string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.certFile, s.keyFile = certFile, keyFile
	if certFile == "" && keyFile == "" {
		s.err = nil
		s.cur.Store(nil) // the self-signed pair, loaded at first use
		return nil
	}
	l, err := loadPair(certFile, keyFile, SourceSettings)
	if err != nil {
		if s.cur.Load() == nil || s.err != nil {
			s.err = err
		}
		return err
	}
	s.err = nil
	s.cur.Store(l)
	return nil
}

// current returns the certificate in force, loading or generating the
// self-signed pair at first use.
func (s *Store) current() (*loaded, error) {
	if l := s.cur.Load(); l != nil {
		return l, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.cur.Load(); l != nil {
		return l, nil
	}
	if s.err != nil {
		return nil, s.err
	}
	l, err := s.selfSigned()
	if err != nil {
		return nil, err
	}
	s.cur.Store(l)
	return l, nil
}

// GetCertificate returns the certificate in force; it is the
// tls.Config.GetCertificate of every TLS engine.
func (s *Store) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	l, err := s.current()
	if err != nil {
		return nil, err
	}
	return l.cert, nil
}

// Info describes the certificate in force.
func (s *Store) Info() (Info, error) {
	l, err := s.current()
	if err != nil {
		return Info{}, err
	}
	return l.info, nil
}

// CheckPair reports why certFile and keyFile do not load as a pair (nil when
// they do).
func CheckPair(certFile, keyFile string) error {
	_, err := loadPair(certFile, keyFile, SourceSettings)
	return err
}

// loadPair loads a PEM certificate (chain) and its key.
func loadPair(certFile, keyFile, source string) (*loaded, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load the TLS certificate %q with key %q: %w", certFile, keyFile, err)
	}
	return describe(&c, source), nil
}

// describe pairs a certificate with its Info.
func describe(c *tls.Certificate, source string) *loaded {
	leaf := c.Leaf
	if leaf == nil { // LoadX509KeyPair fills Leaf since Go 1.23; be safe
		leaf, _ = x509.ParseCertificate(c.Certificate[0])
		c.Leaf = leaf
	}
	return &loaded{cert: c, info: Info{
		Source:            source,
		Subject:           leaf.Subject.String(),
		FingerprintSHA256: Fingerprint(leaf.Raw),
		NotBefore:         leaf.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:          leaf.NotAfter.UTC().Format(time.RFC3339),
	}}
}

// Fingerprint returns the SHA-256 of a DER certificate as uppercase hex pairs
// joined by ':' (as `openssl x509 -fingerprint -sha256` prints it).
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// LoadCAPool reads a PEM file of CA certificates (engine field tls_client_ca).
func LoadCAPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the client CA file %q: %w", path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("client CA file %q holds no PEM certificate", path)
	}
	return pool, nil
}
