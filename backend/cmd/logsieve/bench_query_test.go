package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchQueryLines parses the output of bench-query into its lines' fields,
// keyed by name; every line must be `bench-query: name=<n> k=v ...`.
func benchQueryLines(t *testing.T, out string) map[string]map[string]string {
	t.Helper()
	lines := map[string]map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "bench-query: name=") {
			t.Fatalf("not a bench-query line: %q", line)
		}
		f := lineFields(t, "bench-query: ", line)
		lines[f["name"]] = f
	}
	return lines
}

func runBenchQueryCmd(t *testing.T, args ...string) (map[string]map[string]string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if rc := benchQueryCmd(args, &out, &errb); rc != 0 {
		t.Fatalf("bench-query %v: rc=%d: %s", args, rc, errb.String())
	}
	t.Logf("bench-query %v:\n%s%s", args, out.String(), errb.String())
	return benchQueryLines(t, out.String()), errb.String()
}

// checkBenchQueryAnswers checks that each query found exactly its planted
// needles (or a full page) and that the measured fields parse.
func checkBenchQueryAnswers(t *testing.T, lines map[string]map[string]string, withSQLite bool) {
	t.Helper()
	want := map[string]string{"first_page": "100", "cursor_page": "100", "exact_pppoe": "15", "exact_router": "9",
		"word_q": "9", "substring_pppoe": "15", "substring_q": "15", "substring_q_token": "15", "histogram_exact": "15"}
	for _, name := range []string{"first_page", "cursor_page", "exact_pppoe", "exact_router", "word_q", "substring_pppoe",
		"substring_q", "substring_q_token", "minute_window", "histogram_day", "histogram_exact"} {
		f := lines[name]
		if f == nil {
			t.Fatalf("no line for query %s", name)
		}
		if w, ok := want[name]; ok && (f["hits"] != w || f["want"] != w) {
			t.Errorf("%s: hits=%s want=%s; want %s", name, f["hits"], f["want"], w)
		}
		if name == "histogram_day" {
			// The day grows with the ingest: the total is at least the filled rows.
			if h, _ := strconv.Atoi(f["hits"]); h < 20000 || f["want"] != "20000" || f["complete"] != "true" {
				t.Errorf("%s: hits=%s want=%s complete=%s; want a complete total >= 20000", name, f["hits"], f["want"], f["complete"])
			}
			if b, _ := strconv.Atoi(f["buckets"]); b < 1 {
				t.Errorf("%s: buckets=%s; want the minutes of the day", name, f["buckets"])
			}
		} else if f["hits"] != f["want"] {
			t.Errorf("%s: hits=%s, want=%s", name, f["hits"], f["want"])
		}
		if strings.HasPrefix(name, "substring_") && name != "substring_q_token" { // its blocks are narrowed: no full scan
			if r, err := strconv.ParseFloat(f["scan_rows_per_s"], 64); err != nil || r <= 0 {
				t.Errorf("%s: scan_rows_per_s=%q; want the rows scanned per second", name, f["scan_rows_per_s"])
			}
		}
		for _, k := range []string{"p50_ms", "p95_ms"} {
			if v, err := strconv.ParseFloat(f[k], 64); err != nil || v <= 0 {
				t.Errorf("%s: %s=%q; want a duration in ms", name, k, f[k])
			}
		}
		if n, _ := strconv.Atoi(f["day_rows"]); n < 20000 {
			t.Errorf("%s: day_rows=%s; want the rows of the day (>= 20000 filled)", name, f["day_rows"])
		}
		if f["runs"] != "2" || f["timeouts"] != "0" {
			t.Errorf("%s: runs=%s timeouts=%s; want 2 runs, none timed out", name, f["runs"], f["timeouts"])
		}
		if withSQLite && strings.HasPrefix(name, "histogram_") {
			// The CLI prints one line per minute bucket.
			if _, err := strconv.ParseFloat(f["sqlite3_ms"], 64); err != nil || (name == "histogram_exact" && f["sqlite3_hits"] != f["buckets"]) {
				t.Errorf("%s: sqlite3_ms=%s sqlite3_hits=%s buckets=%s; want the CLI's time and as many minutes", name, f["sqlite3_ms"], f["sqlite3_hits"], f["buckets"])
			}
		} else if withSQLite {
			if _, err := strconv.ParseFloat(f["sqlite3_ms"], 64); err != nil || f["sqlite3_hits"] != f["hits"] {
				t.Errorf("%s: sqlite3_ms=%s sqlite3_hits=%s; want the CLI's time and the same %s rows", name, f["sqlite3_ms"], f["sqlite3_hits"], f["hits"])
			}
		} else if f["sqlite3_ms"] != "NA" {
			t.Errorf("%s: sqlite3_ms=%s without the sqlite3 CLI; want NA", name, f["sqlite3_ms"])
		}
	}
	if m, _ := strconv.Atoi(lines["minute_window"]["hits"]); m < 1 {
		t.Errorf("minute_window found no rows: %v", lines["minute_window"])
	}
	e := lines["export_csv"]
	if n, _ := strconv.Atoi(e["rows"]); n < 20000 || e["complete"] != "true" {
		t.Errorf("export_csv: %v; want all the day's >= 20000 rows", e)
	}
	if r, err := strconv.ParseFloat(e["rows_per_s"], 64); err != nil || r <= 0 {
		t.Errorf("export_csv: rows_per_s=%q", e["rows_per_s"])
	}
	s := lines["store"]
	for _, k := range []string{"wal_max_mib", "wal_max_sqlite3_cli_mib", "bytes_per_row", "rss_mb", "rss_peak_mb"} {
		if _, err := strconv.ParseFloat(s[k], 64); err != nil {
			t.Errorf("store: %s=%q is not a number", k, s[k])
		}
	}
	if b, _ := strconv.ParseFloat(s["bytes_per_row"], 64); b < 100 {
		t.Errorf("store: bytes_per_row=%s; a stored row takes more", s["bytes_per_row"])
	}
	if r, _ := strconv.ParseFloat(s["rss_peak_mb"], 64); r <= 0 {
		t.Errorf("store: rss_peak_mb=%s; want the server's peak RSS", s["rss_peak_mb"])
	}
	if n, _ := strconv.Atoi(s["ingest_sent"]); n <= 0 {
		t.Errorf("store: ingest_sent=%s; the loadgen sent during the queries", s["ingest_sent"])
	}
	v := lines["viewers"]
	if v == nil {
		t.Fatal("no viewers line")
	}
	num := func(k string) int {
		n, err := strconv.Atoi(v[k])
		if err != nil {
			t.Errorf("viewers: %s=%q is not a number", k, v[k])
		}
		return n
	}
	if num("queries") < 2 || num("query_errors") != 0 || num("sent") <= 0 {
		t.Errorf("viewers: %v; want queries answered without error while the loadgen sent", v)
	}
	// Every log sent is stored or counted as lost by the server.
	if lost := num("lost"); lost != num("sent")-num("stored") || lost > num("dropped")+num("kernel_drops")+num("write_errors") {
		t.Errorf("viewers: %v; want sent = stored + lost and every loss counted", v)
	}
}

// TestBenchQueryFindsThePlantedNeedles runs bench-query on a tiny day: each
// search must find exactly the rows planted for it (15 rows of one pppoe
// user, 9 of a rare word, a known minute). The second run reuses the filled
// dir (no fill) without the sqlite3 CLI on PATH: sqlite3_ms=NA with a hint.
func TestBenchQueryFindsThePlantedNeedles(t *testing.T) {
	t.Setenv("LOGSIEVE_TEST_AS_MAIN", "1")
	dir := filepath.Join(t.TempDir(), "data")
	_, err := exec.LookPath("sqlite3")
	haveSQLite := err == nil
	viewers := []string{"--viewers", "2", "--viewer-rate", "2000", "--viewer-time", "2s"}
	lines, _ := runBenchQueryCmd(t, append([]string{"--rows", "20000", "--runs", "2", "--rate", "5000", "--reuse", dir}, viewers...)...)
	if f := lines["fill"]; f["rows"] != "20000" {
		t.Fatalf("fill: %v; want rows=20000", f)
	}
	checkBenchQueryAnswers(t, lines, haveSQLite)
	fill := lines["fill"]["fill_s"]

	t.Setenv("PATH", t.TempDir())
	lines, stderr := runBenchQueryCmd(t, append([]string{"--rows", "20000", "--runs", "2", "--rate", "5000", "--reuse", dir}, viewers...)...)
	if f := lines["fill"]; f["rows"] != "20000" || f["fill_s"] != fill {
		t.Fatalf("second run's fill: %v; want the first run's (rows=20000 fill_s=%s), not a new fill", f, fill)
	}
	checkBenchQueryAnswers(t, lines, false)
	if !strings.Contains(stderr, "apt-get install sqlite3") {
		t.Errorf("stderr %q; want the hint to install sqlite3", stderr)
	}

	// --only asks the questions named, --sqlite-cli=false skips the CLI's
	// scans, --cpuprofile writes the server's profile.
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	lines, _ = runBenchQueryCmd(t, "--rows", "20000", "--runs", "1", "--rate", "0", "--reuse", dir,
		"--only", "substring_q", "--sqlite-cli=false", "--cpuprofile", prof)
	var names []string
	for n := range lines {
		names = append(names, n)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "fill store substring_q" || lines["substring_q"]["hits"] != strconv.Itoa(needleUserRows) ||
		lines["substring_q"]["sqlite3_ms"] != "NA" {
		t.Errorf("lines %v; want fill, store and substring_q (%d hits, sqlite3_ms=NA) only", lines, needleUserRows)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Errorf("cpu profile: %v; want a profile written", err)
	}
}

func TestBenchQueryRejectsBadKnobs(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := benchQueryCmd([]string{"--rows", "10"}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "--rows") {
		t.Fatalf("rc=%d stderr=%q; want 2 naming --rows", rc, errb.String())
	}
}

// TestBenchQueryFillKeepsALateDayInOneFile fills a day at 23:59 with more
// rows than a naive i*span/rows in int64 nanoseconds can spread (it
// overflows past ~107,000 rows of a full day and sent rows to other dates).
func TestBenchQueryFillKeepsALateDayInOneFile(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC)
	fd, err := fillDay(context.Background(), dir, time.UTC, 120000, false, now)
	if err != nil {
		t.Fatal(err)
	}
	if fd.Date != "2026-03-04" || fd.MinuteFrom != "11:59:00" || fd.MinuteRows < 80 || fd.MinuteRows > 85 {
		t.Fatalf("filled %+v; want 2026-03-04 with about 83 rows in 11:59", fd)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "2026-03-04.sqlite3")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, users int
	var first, last string
	if err := db.QueryRow(`SELECT count(*), sum(pppoe = ?), min(time), max(time) FROM logs`, needleUser).Scan(&n, &users, &first, &last); err != nil {
		t.Fatal(err)
	}
	if n != 120000 || users != needleUserRows || first != "00:00:00" || last != "23:58:58" {
		t.Fatalf("day file: %d rows, %d of %s, times %s..%s; want 120000, %d, 00:00:00..23:58:58", n, users, needleUser, first, last, needleUserRows)
	}
}
