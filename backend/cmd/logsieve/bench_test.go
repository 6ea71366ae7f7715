package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/logsieve/logsieve/backend/meta"
)

// TestMain lets the test binary stand in for the logsieve binary: bench
// re-executes itself (os.Executable) as `serve`, which here is this binary.
func TestMain(m *testing.M) {
	if os.Getenv("LOGSIEVE_TEST_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// benchFields parses the bench line into its key=value fields.
func benchFields(t *testing.T, line string) map[string]string {
	t.Helper()
	return lineFields(t, "bench: ", line)
}

// lineFields parses a line `<prefix>k=v k=v ...` of a bench command into its
// fields.
func lineFields(t *testing.T, prefix, line string) map[string]string {
	t.Helper()
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		t.Fatalf("not a %q line: %q", strings.TrimSpace(prefix), line)
	}
	f := map[string]string{}
	for _, kv := range strings.Fields(rest) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("field %q of %q is not key=value", kv, line)
		}
		f[k] = v
	}
	return f
}

func TestBenchStoresEverythingItSendsAndReportsTheSpecLine(t *testing.T) {
	t.Setenv("LOGSIEVE_TEST_AS_MAIN", "1")
	for _, args := range [][]string{
		{"--rate", "20000", "--count", "4000"},
		{"--rate", "20000", "--count", "4001", "--engines", "2", "--keep-original=false", "--gso=false"},
	} {
		var out, errb bytes.Buffer
		if rc := benchCmd(args, &out, &errb); rc != 0 {
			t.Fatalf("bench %v: rc=%d: %s", args, rc, errb.String())
		}
		f := benchFields(t, strings.TrimSpace(out.String()))
		// SPEC §7 fields, in order, then ours.
		order := []string{"rate", "sent", "stored", "loss_pct", "stored_per_s", "rss_mb", "cpu_s"}
		keys := strings.Fields(strings.TrimPrefix(out.String(), "bench: "))
		for i, k := range order {
			if !strings.HasPrefix(keys[i], k+"=") {
				t.Fatalf("field %d is %q; want %s=...", i, keys[i], k)
			}
		}
		count := args[3]
		if f["sent"] != count || f["stored"] != count || f["loss_pct"] != "0.0000" || f["dropped"] != "0" ||
			f["refused"] != "0" || f["write_errors"] != "0" || f["kernel_drops"] != "0" {
			t.Fatalf("bench %v: %v; want sent=stored=%s, no loss", args, f, count)
		}
		// SPEC §9: the server's CPU per stored log, in µs (cpu_s has 2 decimals).
		cpuS, _ := strconv.ParseFloat(f["cpu_s"], 64)
		perLog, err := strconv.ParseFloat(f["cpu_us_per_log"], 64)
		if n, _ := strconv.Atoi(count); err != nil || math.Abs(perLog-cpuS*1e6/float64(n)) > 0.01+0.005*1e6/float64(n) {
			t.Fatalf("cpu_us_per_log=%q with cpu_s=%s and %s stored; want cpu_s*1e6/stored", f["cpu_us_per_log"], f["cpu_s"], count)
		}
		// Issue 16: the overflow spool's use (none in a run this slow).
		if f["spooled"] != "0" || f["spool_peak_mb"] != "0.0" || f["spool_drain_s"] != "0.00" {
			t.Fatalf("bench %v: spooled=%q spool_peak_mb=%q spool_drain_s=%q; want 0, 0.0, 0.00", args, f["spooled"], f["spool_peak_mb"], f["spool_drain_s"])
		}
		if rss, _ := strconv.ParseFloat(f["rss_mb"], 64); rss <= 0 {
			t.Fatalf("rss_mb=%s; want the server's peak RSS", f["rss_mb"])
		}
		if f["engines"] != map[bool]string{true: "2", false: "1"}[len(args) > 4] {
			t.Fatalf("engines=%s for %v", f["engines"], args)
		}
	}
}

// --count 0 --idle-s N: a server with idle engines, watched N seconds; the
// line adds the idle CPU and the RSS at the end.
func TestBenchIdleEnginesReportCPUAndRSS(t *testing.T) {
	t.Setenv("LOGSIEVE_TEST_AS_MAIN", "1")
	var out, errb bytes.Buffer
	if rc := benchCmd([]string{"--engines", "3", "--count", "0", "--idle-s", "1"}, &out, &errb); rc != 0 {
		t.Fatalf("rc=%d: %s", rc, errb.String())
	}
	f := benchFields(t, strings.TrimSpace(out.String()))
	rss, _ := strconv.ParseFloat(f["after_rss_mb"], 64)
	cpu, err := strconv.ParseFloat(f["idle_cpu_pct"], 64)
	if f["sent"] != "0" || f["engines"] != "3" || f["idle_s"] != "1" || rss <= 0 || err != nil || cpu < 0 {
		t.Fatalf("unexpected line; got %q; want sent=0 engines=3 idle_s=1, idle_cpu_pct and after_rss_mb", out.String())
	}
}

func TestBenchRejectsBadKnobs(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := benchCmd([]string{"--engines", "0"}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "--engines") {
		t.Fatalf("rc=%d stderr=%q; want 2 naming --engines", rc, errb.String())
	}
	for _, c := range []struct{ args []string }{
		{[]string{"--conns", "0", "--protocol", "tcp"}},
		{[]string{"--conns", "10001", "--protocol", "tls"}},
		{[]string{"--conns", "2"}}, // udp
	} {
		errb.Reset()
		if rc := benchCmd(c.args, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "--conns") {
			t.Fatalf("bench %v: rc=%d stderr=%q; want 2 naming --conns", c.args, rc, errb.String())
		}
	}
	errb.Reset()
	if rc := loadgenCmd([]string{"--conns", "3", "--protocol", "udp"}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "--conns") {
		t.Fatalf("loadgen --conns 3 over udp: rc=%d stderr=%q; want 2 naming --conns", rc, errb.String())
	}
	errb.Reset()
	if rc := benchCmd([]string{"--count", "0"}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "--idle-s") {
		t.Fatalf("rc=%d stderr=%q; want 2: --count 0 needs --idle-s", rc, errb.String())
	}
	errb.Reset()
	if rc := benchCmd([]string{"--header", "bsd"}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "--header") {
		t.Fatalf("rc=%d stderr=%q; want 2 naming --header", rc, errb.String())
	}
}

// --header sets the bench engines' syslog_header (none by default, the
// historic bench line) and the line says which.
func TestBenchHeaderModeReachesTheEngines(t *testing.T) {
	for _, mode := range []string{"none", "auto", "rfc5424"} {
		dir := t.TempDir()
		names, _, err := prepareBench(dir, benchOptions{engines: 2, count: 2, protocol: "udp", framing: "octet", header: mode, keepOriginal: true})
		if err != nil {
			t.Fatal(err)
		}
		db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
		if err != nil {
			t.Fatal(err)
		}
		es, err := db.Engines()
		db.Close()
		if err != nil || len(es) != len(names) {
			t.Fatalf("engines %v %v", es, err)
		}
		for _, e := range es {
			if e.SyslogHeader != mode || !e.Enabled {
				t.Fatalf("--header %s: engine %s has syslog_header %q, enabled %t", mode, e.Name, e.SyslogHeader, e.Enabled)
			}
		}
	}
	t.Setenv("LOGSIEVE_TEST_AS_MAIN", "1")
	var out, errb bytes.Buffer
	if rc := benchCmd([]string{"--rate", "20000", "--count", "3000", "--header", "auto"}, &out, &errb); rc != 0 {
		t.Fatalf("bench --header auto: rc=%d: %s", rc, errb.String())
	}
	if f := benchFields(t, strings.TrimSpace(out.String())); f["header"] != "auto" || f["stored"] != "3000" || f["dropped"] != "0" {
		t.Fatalf("bench --header auto: %v; want header=auto, 3000 stored", f)
	}
}

func TestBenchOverTCPAndTLSStoresEverything(t *testing.T) {
	t.Setenv("LOGSIEVE_TEST_AS_MAIN", "1")
	for _, c := range []struct{ protocol, framing string }{{"tcp", "octet"}, {"tcp", "lf"}, {"tls", "octet"}} {
		args := []string{"--rate", "0", "--count", "20000", "--protocol", c.protocol, "--framing", c.framing}
		var out, errb bytes.Buffer
		if rc := benchCmd(args, &out, &errb); rc != 0 {
			t.Fatalf("bench %v: rc=%d: %s", args, rc, errb.String())
		}
		f := benchFields(t, strings.TrimSpace(out.String()))
		if f["sent"] != "20000" || f["stored"] != "20000" || f["dropped"] != "0" || f["framing_errors"] != "0" ||
			f["protocol"] != c.protocol || f["framing"] != c.framing || f["backpressure_ms"] == "" {
			t.Fatalf("bench %v: %v; want 20000 sent and stored over %s, no loss", args, f, c.protocol)
		}
		if parts := strings.Split(f["busy_pct"], "/"); len(parts) != 3 || parts[2] == "" {
			t.Fatalf("bench %v: busy_pct=%q; want receiver/parsers/writer", args, f["busy_pct"])
		}
		if _, ok := f["tls_errors"]; ok != (c.protocol == "tls") || (ok && f["tls_errors"] != "0") {
			t.Fatalf("bench %v: %v; want tls_errors=0 for tls only", args, f)
		}
	}
	var out, errb bytes.Buffer
	if rc := benchCmd([]string{"--protocol", "quic"}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "--protocol") {
		t.Fatalf("rc=%d stderr=%q; want 2 naming --protocol", rc, errb.String())
	}
}

// --rules puts that many log alert rules on each bench engine (issue 17):
// the line says how many, and they are the server's rules.
func TestBenchRulesCreatesLogAlertRules(t *testing.T) {
	dir := t.TempDir()
	names, _, err := prepareBench(dir, benchOptions{engines: 2, rules: 20, protocol: "udp", header: "none", keepOriginal: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rules, err := db.AlertRules()
	if err != nil || len(rules) != 40 || len(names) != 2 {
		t.Fatalf("alert rules; got %d (%v); want 20 on each of 2 engines", len(rules), err)
	}
	t.Setenv("LOGSIEVE_TEST_AS_MAIN", "1")
	var out, errb bytes.Buffer
	if rc := benchCmd([]string{"--rate", "20000", "--count", "4000", "--rules", "20"}, &out, &errb); rc != 0 {
		t.Fatalf("bench --rules 20: rc=%d: %s", rc, errb.String())
	}
	if f := benchFields(t, strings.TrimSpace(out.String())); f["rules"] != "20" || f["stored"] != "4000" {
		t.Fatalf("bench --rules 20: %v; want rules=20 stored=4000", f)
	}
}

// --conns opens that many connections to each engine, all admitted (a bench
// engine's max_connections is raised to --conns when it is above the
// default); the line says how many the server saw.
func TestBenchOverManyConnectionsStoresEverything(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := prepareBench(dir, benchOptions{engines: 1, count: 1, conns: 2000, protocol: "tcp", framing: "octet", header: "none", keepOriginal: true}); err != nil {
		t.Fatal(err)
	}
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	es, err := db.Engines()
	db.Close()
	if err != nil || len(es) != 1 || es[0].MaxConnections != 2000 {
		t.Fatalf("engines %+v (%v); want one with max_connections 2000", es, err)
	}
	t.Setenv("LOGSIEVE_TEST_AS_MAIN", "1")
	for _, protocol := range []string{"tcp", "tls"} {
		// 60 connections at 50 logs/s each for about 2 s: all open while the stats are sampled.
		args := []string{"--protocol", protocol, "--conns", "60", "--rate", "3000", "--count", "6000", "--header", "auto"}
		var out, errb bytes.Buffer
		if rc := benchCmd(args, &out, &errb); rc != 0 {
			t.Fatalf("bench %v: rc=%d: %s", args, rc, errb.String())
		}
		f := benchFields(t, strings.TrimSpace(out.String()))
		if f["sent"] != "6000" || f["stored"] != "6000" || f["conns"] != "60" || f["connections_peak"] != "60" ||
			f["connections_total"] != "60" || f["connections_refused"] != "0" || f["framing_errors"] != "0" {
			t.Fatalf("bench %v: %v; want 6000 stored over 60 connections, all seen open at once", args, f)
		}
	}
}
