package factory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/internal/tlstest"
)

func TestTLSEnginePersistsItsClientCAAndFailsAloneWhenTheCAGoes(t *testing.T) {
	dir := t.TempDir()
	e := openSeeded(t, dir)
	ca := tlstest.NewCA(t, t.TempDir(), "senders")
	s := e.spec(t, "tls1")
	// A tls engine listens on TCP: its port must be free there, not only for UDP.
	s.Protocol, s.TLSClientCA, s.Port = "tls", ca.CertFile, freeBothPort(t)
	if err := e.f.CreateEngine(s); err != nil {
		t.Fatal(err)
	}
	udp := e.create(t, "udp1")
	if info, _ := e.f.TLSInfo(); info.Source != "self-signed" {
		t.Fatalf("unexpected certificate %+v", info)
	}
	for _, f := range []string{"tls", "tls/server.crt", "tls/server.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("no %s after the first tls engine: %v", f, err)
		}
	}
	e.close()
	if err := os.Remove(ca.CertFile); err != nil {
		t.Fatal(err)
	}
	e2 := openFactory(t, dir)
	info, err := e2.f.Engine("tls1")
	if err != nil || info.Protocol != "tls" || info.TLSClientCA != ca.CertFile {
		t.Fatalf("after reopen: got %+v %v; want tls with its client CA", info, err)
	}
	if info.State != engine.StateFailed || info.Error == "" {
		t.Fatalf("a tls engine whose client CA is gone; got %+v; want failed with the reason", info)
	}
	if u, _ := e2.f.Engine(udp.Name); u.State != engine.StateRunning {
		t.Fatalf("the udp engine; got %+v; want running", u)
	}
	info.TLSClientCA = ""
	if err := e2.f.UpdateEngine("tls1", info.EngineSpec); err != nil {
		t.Fatal(err)
	}
	if info, _ := e2.f.Engine("tls1"); info.State != engine.StateRunning {
		t.Fatalf("without a client CA; got %+v; want running", info)
	}
}
