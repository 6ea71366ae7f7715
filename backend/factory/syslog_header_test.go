package factory

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/internal/daytest"
	"github.com/logsieve/logsieve/backend/meta"
)

// fieldOf returns the field an *Error names ("" for another error).
func fieldOf(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func TestSyslogHeaderValidationNamesTheField(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	for _, bad := range []string{"", "bsd", "AUTO", "rfc3339"} {
		s := e.spec(t, "v")
		s.SyslogHeader = bad
		if err := e.f.CreateEngine(s); fieldOf(err) != "syslog_header" || !strings.Contains(err.Error(), `"rfc5424"`) {
			t.Errorf("syslog_header %q: got %v; want an error on field syslog_header listing the modes", bad, err)
		}
	}
	for _, good := range []string{"none", "auto", "rfc3164", "rfc5424"} {
		s := e.spec(t, "h-"+good)
		s.SyslogHeader = good
		if err := e.f.CreateEngine(s); err != nil {
			t.Errorf("syslog_header %q: %v", good, err)
		}
	}
}

// A class stored before the header names were reserved (key "host") keeps
// loading and works with syslog_header none; binding it to an engine that
// parses headers is refused on field syslog_header, naming the key; a new
// class or a class edit may not use the names.
func TestStoredClassWithHeaderKeyLoadsButNeedsHeaderNone(t *testing.T) {
	dir := t.TempDir()
	db, err := meta.Open(dir + "/logsieve.db")
	if err != nil {
		t.Fatal(err)
	}
	pats := map[string]string{"host": `from (\S+)`, "user": `user (\w+)`}
	if err := db.SaveClass(meta.ClassRecord{Name: "legacy", Patterns: meta.EncodePatterns(pats, []string{"host", "user"})}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	e := openSeeded(t, dir)
	if _, err := e.f.Class("legacy"); err != nil {
		t.Fatalf("stored class with key host did not load: %v", err)
	}
	s := e.spec(t, "old")
	s.Class = "legacy"
	err = e.f.CreateEngine(s) // syslog_header auto (the default)
	if fieldOf(err) != "syslog_header" || !strings.Contains(err.Error(), `"host"`) {
		t.Fatalf("auto engine of a class with key host: got %v; want an error on syslog_header naming the key", err)
	}
	s.SyslogHeader = "none"
	if err := e.f.CreateEngine(s); err != nil {
		t.Fatal(err)
	}
	sendTo(t, s.Port, "<13>Mar  1 18:46:11 gw sshd: login from 10.0.0.7 user bob", 1)
	waitStored(t, e.f, "old", 1)
	rows := readDayRows(t, e, "old")
	if rows[0]["host"] != "10.0.0.7" || rows[0]["user"] != "bob" {
		t.Fatalf("unexpected row %v", rows[0])
	}
	s.SyslogHeader = "rfc3164"
	if err := e.f.UpdateEngine("old", s); fieldOf(err) != "syslog_header" {
		t.Fatalf("update to rfc3164: got %v; want an error on syslog_header", err)
	}
	if err := e.f.CreateClass("fresh", pats, []string{"host", "user"}); fieldOf(err) != "patterns.host" {
		t.Fatalf("new class with key host: got %v; want an error on patterns.host", err)
	}
	if err := e.f.UpdateClass("legacy", pats, []string{"host", "user"}); fieldOf(err) != "patterns.host" {
		t.Fatalf("edit keeping key host: got %v; want an error on patterns.host", err)
	}
}

// Changing syslog_header restarts the engine: rows before have no header
// values, rows after have them, in the same day file.
func TestSyslogHeaderChangeRestartsTheEngine(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	s := e.spec(t, "hdr")
	s.SyslogHeader = "none"
	if err := e.f.CreateEngine(s); err != nil {
		t.Fatal(err)
	}
	if order, _ := e.f.Order("hdr"); order[0] != "pppoe" {
		t.Fatalf("order of a none engine %v; want the class's only", order)
	}
	line := "<13>Mar  1 18:46:11 gw sshd[4]: " + mikrotikLog
	sendTo(t, s.Port, line, 1)
	waitStored(t, e.f, "hdr", 1)
	s.SyslogHeader = "rfc3164"
	if err := e.f.UpdateEngine("hdr", s); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.f.Engine("hdr"); info.SyslogHeader != "rfc3164" || info.State != engine.StateRunning {
		t.Fatalf("after the change: %+v", info)
	}
	if evs := fmt.Sprint(mustEvents(t, e.f, "hdr")); !strings.Contains(evs, "stopped") {
		t.Fatalf("no restart in the events: %s", evs)
	}
	if order, _ := e.f.Order("hdr"); strings.Join(order[:8], ",") != "facility,severity,host,app,procid,msgid,header_time,structured_data" {
		t.Fatalf("order after the change %v; want the header columns first", order)
	}
	sendTo(t, s.Port, line, 1)
	waitStored(t, e.f, "hdr", 1) // a new engine: its counters start again
	rows := readDayRows(t, e, "hdr")
	if len(rows) != 2 || rows[0]["host"] != "<nil>" || rows[1]["host"] != "gw" || rows[1]["app"] != "sshd" || rows[1]["procid"] != "4" {
		t.Fatalf("unexpected rows %v", rows)
	}
}

func TestSeedCreatesDemoEngineWithHeaderAuto(t *testing.T) {
	e := openFactory(t, t.TempDir())
	if err := e.f.Seed(true); err != nil {
		t.Fatal(err)
	}
	info, err := e.f.Engine("demo")
	if err != nil || info.SyslogHeader != "auto" {
		t.Fatalf("demo engine %+v %v; want syslog_header auto", info, err)
	}
	order, _ := e.f.Order("demo")
	if got := strings.Join(order, ","); got != "facility,severity,host,app,procid,msgid,header_time,structured_data,pppoe,router_identity,destination_ip,destination_port" {
		t.Fatalf("unexpected demo columns %q", got)
	}
}

// readDayRows reads every row of an engine's day files (column -> value,
// "<nil>" for NULL), in id order.
func readDayRows(t *testing.T, e *env, name string) []map[string]string {
	t.Helper()
	dir, err := e.f.Dir(name)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite3"))
	var out []map[string]string
	for _, f := range files {
		out = append(out, daytest.Rows(t, f)...)
	}
	return out
}
