package factory

import (
	"net"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
)

// A cluster store node defines engines but binds none of their ports: on
// create, start, restart and boot the engine stays stopped and its port free.
func TestNoListenersDefinesEnginesWithoutBinding(t *testing.T) {
	dir := t.TempDir()
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f, err := New(Config{DataDir: dir, Meta: db, HostTZ: "UTC", NoListeners: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Seed(false); err != nil {
		t.Fatal(err)
	}
	if err := f.Boot(t.Context()); err != nil {
		t.Fatal(err)
	}
	s := f.DefaultSpec()
	s.Name, s.Class, s.Bind, s.Port = "st", "mikrotik", "127.0.0.1", freeUDPPort(t)
	if err := f.CreateEngine(s); err != nil {
		t.Fatal(err)
	}
	check := func(step string) {
		t.Helper()
		if info, _ := f.Engine("st"); info.State != engine.StateStopped {
			t.Fatalf("after %s: got state %q; want stopped", step, info.State)
		}
		pc, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)))
		if err != nil {
			t.Fatalf("after %s: port %d taken: %v", step, s.Port, err)
		}
		pc.Close()
	}
	check("create")
	if err := f.Start("st"); err != nil {
		t.Fatal(err)
	}
	check("start")
	if err := f.Restart("st"); err != nil {
		t.Fatal(err)
	}
	check("restart")
	if ed, err := f.Days("st"); err != nil || ed.Days == nil {
		t.Fatalf("the day files of a defined engine: %+v, %v", ed, err)
	}
}
