package factory

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

const mikrotikLog = `<869> 01:02:05 T8Y45jGZY prerouting: in:<pppoe-RRWLkNYEZ> out:(unknown 0), connection-state:established,snat proto TCP (ACK,FIN,PSH), 73.181.232.17:34921->176.13.130.56:13878, NAT (73.181.232.17:34921->95.110.59.28:11384)->176.13.130.56:13878, len 946`

type env struct {
	dir string
	db  *meta.DB
	f   *Factory
}

func openFactory(t *testing.T, dir string) *env {
	t.Helper()
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Config{DataDir: dir, Meta: db, HostTZ: "UTC",
		EngineTuning: func(c *engine.Config) { c.FlushEvery = 20 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Boot(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, db: db, f: f}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	if e.f != nil {
		_ = e.f.Close()
		_ = e.db.Close()
		e.f = nil
	}
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// freeBothPort returns a port free on 127.0.0.1 for UDP and for TCP at once
// (tests that put a udp and a tcp engine on one port number): held while the
// other is checked, so another process cannot sit on the TCP side of it.
func freeBothPort(t *testing.T) int {
	t.Helper()
	for range 100 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no port free for both udp and tcp on 127.0.0.1")
	return 0
}

// openSeeded opens a factory on dir with the seeded "mikrotik" class (no demo engine).
func openSeeded(t *testing.T, dir string) *env {
	t.Helper()
	e := openFactory(t, dir)
	if err := e.f.Seed(false); err != nil {
		t.Fatal(err)
	}
	return e
}

// create creates and starts an engine of the mikrotik class on a free port.
func (e *env) create(t *testing.T, name string) EngineSpec {
	t.Helper()
	s := e.spec(t, name)
	if err := e.f.CreateEngine(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) spec(t *testing.T, name string) EngineSpec {
	s := e.f.DefaultSpec()
	s.Name, s.Class, s.Bind, s.Port = name, "mikrotik", "127.0.0.1", freeUDPPort(t)
	return s
}

func sendTo(t *testing.T, port int, msg string, n int) {
	t.Helper()
	sendFrom(t, "127.0.0.1", port, msg, n)
}

func waitStored(t *testing.T, f *Factory, name string, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := f.Stats(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Stored >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine %q: timed out waiting for %d stored; stats %+v", name, n, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func kind(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return 0
}

func TestTwoEnginesRunIndependently(t *testing.T) {
	e := openFactory(t, t.TempDir())
	if err := e.f.Seed(false); err != nil {
		t.Fatal(err)
	}
	a, b := e.spec(t, "alpha"), e.spec(t, "beta")
	for _, s := range []EngineSpec{a, b} {
		if err := e.f.CreateEngine(s); err != nil {
			t.Fatal(err)
		}
	}
	sendTo(t, a.Port, mikrotikLog, 10)
	sendTo(t, b.Port, mikrotikLog, 20)
	waitStored(t, e.f, "alpha", 10)
	waitStored(t, e.f, "beta", 20)
	if err := e.f.Stop("alpha"); err != nil {
		t.Fatal(err)
	}
	sendTo(t, b.Port, mikrotikLog, 5)
	waitStored(t, e.f, "beta", 25)
	for name, want := range map[string]int64{"alpha": 10, "beta": 25} {
		days, err := listDays(store.EngineDir(e.dir, name))
		if err != nil || len(days) != 1 || days[0].Rows != want {
			t.Fatalf("engine %q: got days %+v err %v; want one day of %d rows", name, days, err, want)
		}
	}
}

func TestPortConflictAnswersConflictAndSavesNothing(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s := e.spec(t, "clash")
	s.Port = pc.LocalAddr().(*net.UDPAddr).Port
	err = e.f.CreateEngine(s)
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != Conflict || fe.Field != "port" {
		t.Fatalf("got %v; want a Conflict on port", err)
	}
	if _, err := e.f.Engine("clash"); kind(err) != NotFound {
		t.Fatalf("engine saved despite the conflict: %v", err)
	}
	recs, _ := e.db.Engines()
	if len(recs) != 0 {
		t.Fatalf("engine persisted despite the conflict: %+v", recs)
	}
}

func TestBootWithTakenPortFailsOnlyThatEngine(t *testing.T) {
	dir := t.TempDir()
	e := openSeeded(t, dir)
	good, bad := e.spec(t, "good"), e.spec(t, "bad")
	for _, s := range []EngineSpec{good, bad} {
		if err := e.f.CreateEngine(s); err != nil {
			t.Fatal(err)
		}
	}
	e.close()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(bad.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	e2 := openFactory(t, dir)
	info, _ := e2.f.Engine("bad")
	if info.State != engine.StateFailed || !strings.Contains(info.Error, "address already in use") {
		t.Fatalf("bad engine: got state %q error %q; want failed with reason", info.State, info.Error)
	}
	sendTo(t, good.Port, mikrotikLog, 3)
	waitStored(t, e2.f, "good", 3)
}

func TestRestartOfFactoryKeepsDataAndRestartsEnabledEngines(t *testing.T) {
	dir := t.TempDir()
	e := openSeeded(t, dir)
	s := e.create(t, "keep")
	off := e.spec(t, "off")
	off.Enabled = false
	if err := e.f.CreateEngine(off); err != nil {
		t.Fatal(err)
	}
	sendTo(t, s.Port, mikrotikLog, 7)
	waitStored(t, e.f, "keep", 7)
	e.close()
	e2 := openFactory(t, dir)
	if info, _ := e2.f.Engine("keep"); info.State != engine.StateRunning {
		t.Fatalf("enabled engine after reboot: got %q; want running", info.State)
	}
	if info, _ := e2.f.Engine("off"); info.State != engine.StateStopped {
		t.Fatalf("disabled engine after reboot: got %q; want stopped", info.State)
	}
	sendTo(t, s.Port, mikrotikLog, 1)
	waitStored(t, e2.f, "keep", 1)
	days, _ := listDays(store.EngineDir(dir, "keep"))
	if len(days) != 1 || days[0].Rows != 8 {
		t.Fatalf("got days %+v; want 8 rows kept across the restart", days)
	}
}

func TestClassUpdateAppliesToRunningEngine(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	s := e.create(t, "live")
	pats := map[string]string{}
	for k, v := range MikrotikPatterns {
		pats[k] = v
	}
	pats["length"] = `len (\d+)`
	if err := e.f.UpdateClass("mikrotik", pats, append(append([]string{}, MikrotikKeys...), "length")); err != nil {
		t.Fatal(err)
	}
	order, _ := e.f.Order("live")
	if got := strings.Join(order, ","); got != "facility,severity,host,app,procid,msgid,header_time,structured_data,"+
		"pppoe,router_identity,destination_ip,destination_port,length" {
		t.Fatalf("unexpected column order %q", got)
	}
	sendTo(t, s.Port, mikrotikLog, 1)
	waitStored(t, e.f, "live", 1)
	if info, _ := e.f.Engine("live"); info.State != engine.StateRunning {
		t.Fatalf("class edit restarted or stopped the engine: %+v", info)
	}
}

func TestValidationNamesTheField(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	f := func(change func(*EngineSpec), field string) {
		t.Helper()
		s := e.spec(t, "v")
		change(&s)
		err := e.f.CreateEngine(s)
		var fe *Error
		if !errors.As(err, &fe) || fe.Field != field {
			t.Fatalf("got %v; want an error on field %q", err, field)
		}
	}
	f(func(s *EngineSpec) { s.Name = "Bad Name" }, "name")
	f(func(s *EngineSpec) { s.Name = "../x" }, "name")
	f(func(s *EngineSpec) { s.Class = "nope" }, "class")
	f(func(s *EngineSpec) { s.Protocol, s.TLSClientCA = "tls", "/nonexistent/ca.pem" }, "tls_client_ca")
	f(func(s *EngineSpec) { s.Protocol = "sctp" }, "protocol")
	f(func(s *EngineSpec) { s.Protocol = "" }, "protocol")
	f(func(s *EngineSpec) { s.MaxMessageBytes = 0 }, "max_message_bytes")
	f(func(s *EngineSpec) { s.MaxMessageBytes = 100 }, "max_message_bytes")
	f(func(s *EngineSpec) { s.MaxMessageBytes = 1 << 30 }, "max_message_bytes")
	f(func(s *EngineSpec) { s.MaxConnections = 0 }, "max_connections")
	f(func(s *EngineSpec) { s.MaxConnections = -5 }, "max_connections")
	f(func(s *EngineSpec) { s.MaxConnections = 1 << 30 }, "max_connections")
	f(func(s *EngineSpec) { s.Bind = "not-an-ip" }, "bind")
	f(func(s *EngineSpec) { s.Port = 70000 }, "port")
	f(func(s *EngineSpec) { s.Port = 0 }, "port")
	f(func(s *EngineSpec) { s.Timezone = "Mars/Base" }, "timezone")
	f(func(s *EngineSpec) { s.RetentionDays = -1 }, "retention_days")
	if err := e.f.CreateClass("bad", map[string]string{"k": "(unclosed"}, []string{"k"}); err == nil ||
		err.(*Error).Field != "patterns.k" {
		t.Fatalf("bad regex: got %v; want error on patterns.k", err)
	}
	e.create(t, "used")
	if err := e.f.DeleteClass("mikrotik"); kind(err) != Conflict {
		t.Fatalf("delete of class in use: got %v; want Conflict", err)
	}
}

func TestSeedCreatesDemoEngine(t *testing.T) {
	e := openFactory(t, t.TempDir())
	if err := e.f.Seed(true); err != nil {
		t.Fatal(err)
	}
	info, err := e.f.Engine("demo")
	if err != nil || info.Port != 5514 || info.Bind != "127.0.0.1" || info.Class != "mikrotik" {
		t.Fatalf("unexpected demo engine %+v %v", info, err)
	}
}

func TestHostTimezoneOrder(t *testing.T) {
	dir := t.TempDir()
	if got := hostTimezone("Asia/Tehran", "/nonexistent", "/nonexistent"); got != "Asia/Tehran" {
		t.Fatalf("TZ: got %q", got)
	}
	if got := hostTimezone("", "/nonexistent", "/nonexistent"); got != "UTC" {
		t.Fatalf("fallback: got %q; want UTC", got)
	}
	if got := hostTimezone("Local", "/nonexistent", "/nonexistent"); got != "UTC" {
		t.Fatalf("Local must not be used: got %q", got)
	}
	_ = dir
}
