package factory

import (
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/tlscert"
)

// SetTLSCertificate puts the pair of the settings tls_cert_file and
// tls_key_file in force for the next handshake of every tls engine (both
// empty: the self-signed pair); open connections keep theirs. A pair that does
// not load is returned and changes nothing.
func (f *Factory) SetTLSCertificate(certFile, keyFile string) error {
	before, _ := f.certs.Info()
	if err := f.certs.Use(certFile, keyFile); err != nil {
		return err
	}
	after, err := f.certs.Info()
	if err != nil || after == before {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.engines {
		if m.spec.Protocol == "tls" && m.eng.Running() {
			m.events.Add(engine.LevelInfo, "TLS certificate changed (%s, SHA-256 %s): new connections use it", after.Source, after.FingerprintSHA256)
		}
	}
	return nil
}

// TLSInfo describes the server certificate of tls engines (generating the
// self-signed pair at first use).
func (f *Factory) TLSInfo() (tlscert.Info, error) { return f.certs.Info() }
