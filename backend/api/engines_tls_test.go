package api_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
	"github.com/logsieve/logsieve/backend/internal/tlstest"
	"github.com/logsieve/logsieve/backend/tlscert"
)

func TestTLSEngineFieldsCertificateStatsAndMetrics(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	pki := t.TempDir()
	ca := tlstest.NewCA(t, pki, "senders")
	junk := filepath.Join(pki, "junk.pem")
	if err := os.WriteFile(junk, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freeTCPPort(t)
	post := func(m map[string]any) apitest.Request {
		b := map[string]any{"name": "tls1", "class": "t1", "protocol": "tls", "bind": "127.0.0.1", "port": port, "timezone": "UTC"}
		for k, v := range m {
			b[k] = v
		}
		return apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin, Body: b}
	}
	e.Run(t, []apitest.Scenario{
		{Name: "client CA missing", Request: post(map[string]any{"tls_client_ca": filepath.Join(pki, "none.pem")}), Status: 400, Field: "tls_client_ca"},
		{Name: "client CA not PEM", Request: post(map[string]any{"tls_client_ca": junk}), Status: 400, Field: "tls_client_ca",
			Contains: []string{"no PEM certificate"}},
		{Name: "client CA type", Request: post(map[string]any{"tls_client_ca": 7}), Status: 400, Field: "tls_client_ca"},
		{Name: "create tls", Request: post(nil), Status: 201,
			Contains: []string{`"protocol":"tls"`, `"tls_client_ca":""`, `"state":"running"`}},
		{Name: "tcp on the same port", Request: apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin,
			Body: map[string]any{"name": "tcp1", "class": "t1", "protocol": "tcp", "bind": "127.0.0.1", "port": port, "timezone": "UTC"}},
			Status: 409, Field: "port"},
		{Name: "patch a bad client CA", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/engines/tls1", Token: e.admin,
			Body: map[string]any{"tls_client_ca": junk}}, Status: 400, Field: "tls_client_ca"},
		{Name: "viewer reads the certificate", Request: apitest.Request{Method: "GET", Path: "/api/v1/tls", Token: e.viewer}, Status: 200,
			Contains: []string{`"source":"self-signed"`, `"subject":"CN=`, `"fingerprint_sha256":"`, `"not_before":"`, `"not_after":"`}},
		{Name: "settings show the empty pair", Request: apitest.Request{Method: "GET", Path: "/api/v1/settings", Token: e.viewer}, Status: 200,
			Contains: []string{`"tls_cert_file":""`, `"tls_key_file":""`}},
	})
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/tls", Token: e.viewer})
	var info tlscert.Info
	if err := json.Unmarshal(r.Body, &info); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(r.Body)), "key") {
		t.Fatalf("GET /tls mentions a key: %s", r.Body)
	}

	// A plaintext sender is a tls error; a TLS one is stored, and sees the certificate GET /tls describes.
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	plain, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	_, _ = io.WriteString(plain, "msg=plain\n")
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // checked by fingerprint below
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := tlscert.Fingerprint(c.ConnectionState().PeerCertificates[0].Raw); got != info.FingerprintSHA256 {
		t.Fatalf("unexpected server certificate; got %s; want the fingerprint of GET /tls %s", got, info.FingerprintSHA256)
	}
	if _, err := io.WriteString(c, "9 msg=over\n"); err != nil {
		t.Fatal(err)
	}
	apitest.Eventually(t, 10*time.Second, "one row stored", func() bool { return len(e.logs(t, "tls1", "").Rows) == 1 })
	apitest.Eventually(t, 10*time.Second, "the plaintext sender counted", func() bool {
		r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/tls1/stats", Token: e.viewer})
		return strings.Contains(string(r.Body), `"tls_errors":1`)
	})
	e.Run(t, []apitest.Scenario{
		{Name: "metrics", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: e.viewer}, Status: 200,
			Contains: []string{`logsieve_engine_tls_errors_total{engine="tls1"} 1`, `logsieve_engine_connections{engine="tls1"} 1`}},
		{Name: "connections", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/tls1/connections", Token: e.viewer},
			Status: 200, Contains: []string{`"peer":"` + c.LocalAddr().String() + `"`, `"messages":1`}},
		{Name: "events name the peer", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/tls1/events", Token: e.viewer},
			Status: 200, Contains: []string{"TLS handshake with " + plain.LocalAddr().String() + " failed"}},
		{Name: "patch a good client CA", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/engines/tls1", Token: e.admin,
			Body: map[string]any{"tls_client_ca": ca.CertFile}}, Status: 200,
			Contains: []string{`"tls_client_ca":"` + ca.CertFile + `"`, `"state":"running"`}},
	})
	// The new client CA restarted the engine (counters from 0); a client without a certificate is refused now.
	if nc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}); err == nil {
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err == nil {
			t.Fatal("a client without a certificate got through")
		}
		nc.Close()
	}
	apitest.Eventually(t, 10*time.Second, "the refusal counted", func() bool {
		r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/tls1/stats", Token: e.viewer})
		return strings.Contains(string(r.Body), `"tls_errors":1`)
	})

	var msg struct {
		Type    string `json:"type"`
		Engines map[string]struct {
			TLSErrors *uint64 `json:"tls_errors"`
		} `json:"engines"`
	}
	e.firstWSStats(t, &msg)
	if st := msg.Engines["tls1"]; st.TLSErrors == nil || *st.TLSErrors != 1 {
		t.Fatalf("websocket stats of tls1; got %+v; want tls_errors 1", st)
	}
}

func TestTLSSettingsMustNameAPairThatLoads(t *testing.T) {
	e := newEnv(t)
	pki := t.TempDir()
	ca := tlstest.NewCA(t, pki, "corp")
	certFile, keyFile := ca.Issue(t, "syslog.example")
	_, otherKey := ca.Issue(t, "other")
	put := func(m map[string]string) apitest.Request {
		return apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin, Body: m}
	}
	e.Run(t, []apitest.Scenario{
		{Name: "cert without key", Request: put(map[string]string{"tls_cert_file": certFile}), Status: 400, Field: "tls_key_file"},
		{Name: "key without cert", Request: put(map[string]string{"tls_key_file": keyFile}), Status: 400, Field: "tls_cert_file"},
		{Name: "missing files", Request: put(map[string]string{"tls_cert_file": certFile + ".gone", "tls_key_file": keyFile}), Status: 400,
			Field: "tls_cert_file"},
		{Name: "key of another certificate", Request: put(map[string]string{"tls_cert_file": certFile, "tls_key_file": otherKey}), Status: 400,
			Field: "tls_cert_file"},
		{Name: "a pair", Request: put(map[string]string{"tls_cert_file": certFile, "tls_key_file": keyFile}), Status: 200,
			Contains: []string{`"tls_cert_file":"` + certFile + `"`}},
		{Name: "back to self-signed", Request: put(map[string]string{"tls_cert_file": "", "tls_key_file": ""}), Status: 200},
		{Name: "viewer cannot change", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.viewer,
			Body: map[string]string{"tls_cert_file": ""}}, Status: 403},
	})
}
