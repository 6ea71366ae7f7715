package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/logsieve/logsieve/backend/alert"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/loadgen"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
	"github.com/logsieve/logsieve/backend/syslog"
)

// benchPatterns is the five-key class of SPEC §7.
var benchPatterns = map[string]string{
	"pppoe":           factory.MikrotikPatterns["pppoe"],
	"router_identity": factory.MikrotikPatterns["router_identity"],
	"destination_ip":  factory.MikrotikPatterns["destination_ip"],
	"proto":           `proto (\w+)`,
	"length":          `len (\d+)`,
}

var benchKeys = []string{"pppoe", "router_identity", "destination_ip", "proto", "length"}

type benchOptions struct {
	rate, count, engines, size int
	conns                      int // tcp/tls connections per engine
	keepOriginal, gso          bool
	cpuProfile, heapProfile    string
	idleS                      int // seconds the server is watched idle after the run
	protocol, framing          string
	header                     string // the engines' syslog_header
	rules                      int    // log alert rules on each bench engine
}

// benchCmd starts `logsieve serve` in a temp dir with ENGINES engines of the
// five-key class, sends COUNT logs at RATE per second over loopback and prints the
// SPEC §7 line.
func benchCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o benchOptions
	fs.IntVar(&o.rate, "rate", 175000, "offered logs per second, all engines together (above the 150k/s target, so stored_per_s is not capped by the offer)")
	fs.IntVar(&o.count, "count", 1000000, "logs to send, all engines together")
	fs.IntVar(&o.engines, "engines", 1, "engines (each on its own UDP port)")
	fs.IntVar(&o.size, "size", 0, "bytes per log (0 = natural, about 250)")
	fs.BoolVar(&o.keepOriginal, "keep-original", true, "store original_log")
	fs.BoolVar(&o.gso, "gso", true, "send runs of equal-length datagrams as one UDP GSO message (the server still receives each datagram)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the server's CPU profile to this file")
	fs.StringVar(&o.heapProfile, "heapprofile", "", "write the server's heap profile (after a GC) to this file when the bench stops it")
	fs.IntVar(&o.idleS, "idle-s", 0, "after the run, watch the idle server this many seconds and report idle_cpu_pct and after_rss_mb (with --count 0: idle engines that never received a log)")
	fs.StringVar(&o.protocol, "protocol", "udp", "udp, tcp or tls (tls engines use the bench data dir's self-signed certificate)")
	fs.IntVar(&o.conns, "conns", 1, "tcp/tls connections per engine, all opened first, sharing the engine's rate and count evenly, each paced (udp: 1)")
	fs.StringVar(&o.framing, "framing", "octet", "tcp/tls framing: octet (RFC 6587 octet counting) or lf")
	fs.StringVar(&o.header, "header", "none", "the engines' syslog_header: none, auto, rfc3164 or rfc5424")
	fs.IntVar(&o.rules, "rules", 0, "log alert rules on each engine (alert.BenchRule: equals, in and contains conditions, one grouped)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.engines < 1 || (o.count < o.engines && (o.count != 0 || o.idleS == 0)) || o.rate < 0 || o.rules < 0 || o.rules > 1000 || o.idleS < 0 {
		fmt.Fprintln(stderr, "logsieve bench: need --engines >= 1, --count >= engines (or 0 with --idle-s), --rate >= 0, --rules 0-1000, --idle-s >= 0")
		return 2
	}
	if !validProtocol(o.protocol) || (o.framing != "octet" && o.framing != "lf") {
		fmt.Fprintln(stderr, "logsieve bench: need --protocol udp|tcp|tls and --framing octet|lf")
		return 2
	}
	if msg := connsProblem(o.conns, o.protocol); msg != "" {
		fmt.Fprintln(stderr, "logsieve bench:", msg)
		return 2
	}
	if _, err := syslog.ParseMode(o.header); err != nil || o.header == "" {
		fmt.Fprintln(stderr, "logsieve bench: need --header none|auto|rfc3164|rfc5424")
		return 2
	}
	line, err := runBench(o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "logsieve bench:", err)
		return 1
	}
	fmt.Fprintln(stdout, line)
	return 0
}

func freePort(network string) (int, error) {
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port, nil
	default:
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port, nil
	}
}

// prepareBench writes the metadata of the bench's class and engines into dir.
func prepareBench(dir string, o benchOptions) ([]string, []int, error) {
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	if err := db.SeedSettings(meta.DefaultSettings()); err != nil {
		return nil, nil, err
	}
	f, err := factory.New(factory.Config{DataDir: dir, Meta: db})
	if err != nil {
		return nil, nil, err
	}
	if err := f.CreateClass("bench5", benchPatterns, benchKeys); err != nil {
		return nil, nil, err
	}
	var names []string
	var ports []int
	taken := map[int]bool{}
	for i := 0; i < o.engines; i++ {
		// The kernel may hand out a port again once its probe socket is
		// closed: a port already given to an earlier engine is skipped.
		port, err := freePort(o.protocol)
		for tries := 0; err == nil && taken[port] && tries < 100; tries++ {
			port, err = freePort(o.protocol)
		}
		if err != nil {
			return nil, nil, err
		}
		if taken[port] {
			return nil, nil, fmt.Errorf("no free %s port for engine %d", o.protocol, i+1)
		}
		taken[port] = true
		s := f.DefaultSpec()
		s.Name, s.Class, s.Bind, s.Port, s.KeepOriginal, s.Enabled = fmt.Sprintf("bench%d", i+1), "bench5", "127.0.0.1", port, o.keepOriginal, false
		s.Protocol, s.SyslogHeader = o.protocol, o.header
		s.MaxConnections = max(s.MaxConnections, o.conns) // every bench connection is admitted
		if err := f.CreateEngine(s); err != nil {
			return nil, nil, err
		}
		s.Enabled = true
		if err := db.SaveEngine(meta.EngineRecord{Name: s.Name, Class: s.Class, Protocol: s.Protocol, Bind: s.Bind,
			Port: s.Port, Timezone: s.Timezone, KeepOriginal: s.KeepOriginal, Enabled: true,
			MaxMessageBytes: s.MaxMessageBytes, MaxConnections: s.MaxConnections, SyslogHeader: s.SyslogHeader}); err != nil {
			return nil, nil, err
		}
		names, ports = append(names, s.Name), append(ports, port)
		for r := 0; r < o.rules; r++ {
			if _, err := f.Alerts().CreateRule(alert.BenchRule(s.Name, r)); err != nil {
				return nil, nil, err
			}
		}
	}
	return names, ports, f.Close()
}

func runBench(o benchOptions, stderr io.Writer) (string, error) {
	// Ctrl-C stops the sender and still runs the cleanup below (server, temp dir).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "logsieve-bench-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	names, ports, err := prepareBench(dir, o)
	if err != nil {
		return "", err
	}
	warnDiskShort(dir, o, stderr)
	srv, err := startBenchServer(dir, "", o.cpuProfile, o.heapProfile)
	if err != nil {
		return "", err
	}
	defer srv.stop()
	cmd, httpAddr, password := srv.cmd, srv.addr, srv.password
	// Log in before the CPU is sampled: the login's bcrypt took 0.1-0.25 s
	// of the server's CPU, up to 0.25 µs of a 1M-log run's CPU per log.
	spool := watchSpool(httpAddr, benchLogin(httpAddr, password), names)
	cpu0, senderCPU0 := procCPU(cmd.Process.Pid), selfCPU()
	defer spool.stop()
	start := time.Now()
	var wg sync.WaitGroup
	sent := make([]int, o.engines)
	errs := make([]error, o.engines)
	for i := range ports {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n := o.count / o.engines
			if n == 0 && o.count == 0 {
				return // --count 0: idle engines
			}
			if i == 0 {
				n += o.count % o.engines
			}
			res, err := loadgen.Send(ctx, loadgen.Options{
				Target: fmt.Sprintf("127.0.0.1:%d", ports[i]), Rate: o.rate / o.engines, Count: n, Seed: uint64(i + 1), NoGSO: !o.gso,
				Protocol: o.protocol, Framing: o.framing, Conns: o.conns})
			sent[i], errs[i] = res.Sent, err
		}(i)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return "", errors.New("interrupted; the temp dir and server are cleaned up")
	}
	sentAt := time.Now()
	sendElapsed, senderCPU := sentAt.Sub(start).Seconds(), selfCPU()-senderCPU0
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	total := 0
	for _, n := range sent {
		total += n
	}
	// Wait until every sent log is stored or nothing changed for 3 s. Polling
	// every 10 ms keeps the end time of a 1M-log run within 0.2 %.
	stored, lastChange := waitStored(context.Background(), dir, names, total, 3*time.Second, 10*time.Millisecond)
	elapsed := lastChange.Sub(start).Seconds()
	cpu := procCPU(cmd.Process.Pid) - cpu0
	rss := procHWM(cmd.Process.Pid)
	lc := serverLosses(httpAddr, password, names)
	spoolPeakMB, spoolDrainS, connPeak := spool.end(sentAt)
	loss := 0.0
	if total > 0 {
		loss = float64(total-stored) / float64(total) * 100
	}
	line := fmt.Sprintf("bench: rate=%d sent=%d stored=%d loss_pct=%.4f stored_per_s=%.0f rss_mb=%.1f cpu_s=%.2f dropped=%d kernel_drops=%d refused=%d write_errors=%d engines=%d keep_original=%t sent_per_s=%.0f sender_cpu_s=%.2f gso=%t protocol=%s header=%s cpu_us_per_log=%.2f rules=%d",
		o.rate, total, stored, loss, float64(stored)/max(elapsed, 1e-9), rss, cpu, lc.Dropped, lc.KernelDrops, lc.Refused, lc.WriteErrors, o.engines, o.keepOriginal,
		float64(total)/max(sendElapsed, 1e-9), senderCPU, o.gso, o.protocol, o.header, cpu*1e6/float64(max(stored, 1)), o.rules)
	if o.protocol == "udp" {
		line += fmt.Sprintf(" spooled=%d spool_peak_mb=%.1f spool_drain_s=%.2f", lc.Spooled, spoolPeakMB, spoolDrainS)
	}
	if o.protocol != "udp" {
		line += fmt.Sprintf(" framing=%s backpressure_ms=%d framing_errors=%d conns=%d connections_peak=%d connections_total=%d connections_refused=%d",
			o.framing, lc.BackpressureMs, lc.FramingErrors, o.conns, connPeak, lc.ConnectionsTotal, lc.ConnectionsRefused)
		if n := float64(max(spool.busyN, 1)); o.engines == 1 {
			line += fmt.Sprintf(" busy_pct=%.0f/%.0f/%.0f", spool.busy[0]/n, spool.busy[1]/n, spool.busy[2]/n)
		}
	}
	if o.protocol == "tls" {
		line += fmt.Sprintf(" tls_errors=%d", lc.TLSErrors)
	}
	if o.idleS > 0 {
		// The idle server: CPU over the window in % of one core, and the
		// resident set at its end (does a burst's memory go back?).
		cpu0 := procCPU(cmd.Process.Pid)
		t0 := time.Now()
		select {
		case <-ctx.Done():
			return "", errors.New("interrupted; the temp dir and server are cleaned up")
		case <-time.After(time.Duration(o.idleS) * time.Second):
		}
		idle := (procCPU(cmd.Process.Pid) - cpu0) / time.Since(t0).Seconds() * 100
		line += fmt.Sprintf(" idle_s=%d idle_cpu_pct=%.2f after_rss_mb=%.1f", o.idleS, idle, procRSS(cmd.Process.Pid, "VmRSS:"))
	}
	return line, nil
}

// benchServer is a `logsieve serve` child process on a data dir, with the admin
// password it was started with.
type benchServer struct {
	cmd            *exec.Cmd
	addr, password string // addr: 127.0.0.1:port of the HTTP API
	logf           *os.File
}

// startBenchServer starts `logsieve serve` (this binary) on dir on a free HTTP
// port of 127.0.0.1 and waits until it answers /healthz. password is the admin
// password a first start sets ("" = a fresh one). cpuProfile, when set, is where
// the server writes its CPU profile, heapProfile where it writes its heap
// profile when stopped.
func startBenchServer(dir, password, cpuProfile, heapProfile string) (*benchServer, error) {
	httpPort, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if password == "" {
		password = benchPassword()
	}
	s := &benchServer{password: password, addr: fmt.Sprintf("127.0.0.1:%d", httpPort)}
	if s.logf, err = os.Create(filepath.Join(dir, "server.log")); err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "serve", "--data", dir, "--http", s.addr, "--config", os.DevNull)
	cmd.Env = append(os.Environ(), "LOGSIEVE_DEMO=0", "LOGSIEVE_ADMIN_PASSWORD="+s.password, "LOGSIEVE_CONFIG=")
	if cpuProfile != "" {
		abs, _ := filepath.Abs(cpuProfile)
		cmd.Env = append(cmd.Env, "LOGSIEVE_CPUPROFILE="+abs)
	}
	if heapProfile != "" {
		abs, _ := filepath.Abs(heapProfile)
		cmd.Env = append(cmd.Env, "LOGSIEVE_HEAPPROFILE="+abs)
	}
	cmd.Stdout, cmd.Stderr = s.logf, s.logf
	// The server goes with the bench, even when the bench is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.logf.Close()
		return nil, err
	}
	s.cmd = cmd
	if err := waitHealthy("http://"+s.addr+"/healthz", 30*time.Second); err != nil {
		s.stop()
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		return nil, fmt.Errorf("server did not start: %w\n%s", err, log)
	}
	return s, nil
}

// benchPassword is a fresh admin password for a bench's server.
func benchPassword() string { return "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36) }

// stop ends the server (SIGTERM: it flushes and closes its files) and waits for it.
func (s *benchServer) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	s.logf.Close()
}

func waitHealthy(url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// countStored sums the rows of every day file of the engines.
// waitStored polls countStored every poll until the engines' rows reach want
// (-1: never) or stop changing for quiet, and returns the last count and when
// it last changed.
func waitStored(ctx context.Context, dataDir string, names []string, want int, quiet, poll time.Duration) (stored int, lastChange time.Time) {
	stored, lastChange = countStored(dataDir, names), time.Now()
	for ctx.Err() == nil && (want < 0 || stored < want) && time.Since(lastChange) <= quiet {
		time.Sleep(poll)
		if n := countStored(dataDir, names); n != stored {
			stored, lastChange = n, time.Now()
		}
	}
	return stored, lastChange
}

func countStored(dataDir string, names []string) int {
	total := 0
	for _, n := range names {
		files, _ := filepath.Glob(filepath.Join(store.EngineDir(dataDir, n), "*.sqlite3"))
		for _, f := range files {
			db, err := sql.Open("sqlite3", "file:"+f+"?mode=ro&_busy_timeout=2000")
			if err != nil {
				continue
			}
			var c sql.NullInt64
			_ = db.QueryRow("SELECT max(id) FROM logs").Scan(&c)
			db.Close()
			total += int(c.Int64)
		}
	}
	return total
}

// procCPU returns user+system CPU seconds of pid.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100 // USER_HZ
}

// selfCPU returns user+system CPU seconds of this process (the sender).
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// procHWM returns the peak resident set of pid in MB.
func procHWM(pid int) float64 { return procRSS(pid, "VmHWM:") }

// benchBytesPerLog is what one stored log takes on disk, WAL included, as
// measured with the five-key class (keep_original on / off).
func benchBytesPerLog(keepOriginal bool) uint64 {
	if keepOriginal {
		return 520
	}
	return 260
}

// warnDiskShort warns when the run would take the data dir's disk below the
// disk guard's default min_free_percent: the engine would pause and the rest
// of the logs would be counted as refused, not stored.
func warnDiskShort(dir string, o benchOptions, stderr io.Writer) {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil || st.Blocks == 0 {
		return
	}
	need := uint64(o.count) * benchBytesPerLog(o.keepOriginal)
	free, total := st.Bavail*uint64(st.Bsize), st.Blocks*uint64(st.Bsize)
	minFree := meta.DefaultSettings().MinFreePercent
	if free < total*uint64(minFree)/100+need {
		fmt.Fprintf(stderr, "logsieve bench: warning: %s has %.1f GB free and %d logs need about %.1f GB; "+
			"below %d %% free the disk guard pauses the engine and later logs count as refused (set TMPDIR elsewhere)\n",
			dir, float64(free)/1e9, o.count, float64(need)/1e9, minFree)
	}
}

// lossCounters are the engines' loss counters, summed (SPEC §1, §8).
type lossCounters struct {
	Dropped     uint64 `json:"dropped"`
	KernelDrops uint64 `json:"kernel_drops"`
	Refused     uint64 `json:"refused"`
	WriteErrors uint64 `json:"write_errors"`
	// tcp
	BackpressureMs uint64 `json:"backpressure_ms"`
	FramingErrors  uint64 `json:"framing_errors"`
	TLSErrors      uint64 `json:"tls_errors"`
	// tcp: connections served and refused (max_connections)
	ConnectionsTotal   uint64 `json:"connections_total"`
	ConnectionsRefused uint64 `json:"connections_refused"`
	// udp: logs that went through the overflow spool
	Spooled uint64 `json:"spooled"`
}

// spoolGauges are the engines' spool gauges of one /stats answer, and its
// open connections (tcp).
type spoolGauges struct {
	SpoolBytes  int64 `json:"spool_bytes"`
	SpoolDepth  int64 `json:"spool_depth"`
	Connections int64 `json:"connections"`
	Workers     []struct {
		Name    string  `json:"name"`
		BusyPct float64 `json:"busy_pct"`
	} `json:"workers"`
}

// serverLosses asks the server's API for the engines' loss counters, so a
// shortfall in stored is explained: queue full, socket overflow, paused by the
// disk guard (refused), or failed writes.
func serverLosses(addr, password string, names []string) (sum lossCounters) {
	token := benchLogin(addr, password)
	for _, n := range names {
		var st lossCounters
		if !benchStats(addr, token, n, &st) {
			continue
		}
		sum.Dropped += st.Dropped
		sum.KernelDrops += st.KernelDrops
		sum.Refused += st.Refused
		sum.WriteErrors += st.WriteErrors
		sum.BackpressureMs += st.BackpressureMs
		sum.FramingErrors += st.FramingErrors
		sum.TLSErrors += st.TLSErrors
		sum.ConnectionsTotal += st.ConnectionsTotal
		sum.ConnectionsRefused += st.ConnectionsRefused
		sum.Spooled += st.Spooled
	}
	return sum
}

// benchLogin returns an admin token of the bench server ("" when it fails).
func benchLogin(addr, password string) string {
	body := fmt.Sprintf(`{"username":"admin","password":%q}`, password)
	resp, err := http.Post("http://"+addr+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var login struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&login)
	return login.Token
}

// benchStats decodes engine name's /stats into v; false when it cannot.
func benchStats(addr, token, name string, v any) bool {
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/engines/"+name+"/stats", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(v) == nil
}

// spoolWatch samples the engines' overflow spools every 100 ms (20 ms per
// engine with more than 5 engines) until stop is
// called: the peak of their summed size on disk, and when they last held a
// log (zero time: never); and the peak of their summed open connections.
type spoolWatch struct {
	stop      context.CancelFunc
	done      chan struct{}
	peak      int64
	lastBusy  time.Time
	connsPeak int64
	// the pipeline's busy % (receiver, parsers together, writer) summed
	// over the samples taken while a connection was open or logs arrived
	busy  [3]float64
	busyN int
}

// watchSpool starts sampling with an admin token (benchLogin).
func watchSpool(addr, token string, names []string) *spoolWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &spoolWatch{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		// One /stats request per engine each tick: at most ~50 requests/s
		// (every 100 ms up to 5 engines, every second for 50), so the
		// watching does not weigh on the server's CPU per log.
		tick := time.NewTicker(max(100*time.Millisecond, time.Duration(len(names))*20*time.Millisecond))
		defer tick.Stop()
		for {
			var bytes, depth, conns int64
			for _, n := range names {
				var g spoolGauges
				if benchStats(addr, token, n, &g) {
					bytes, depth, conns = bytes+g.SpoolBytes, depth+g.SpoolDepth, conns+g.Connections
					if g.Connections > 0 && len(names) == 1 {
						for _, wk := range g.Workers {
							switch {
							case wk.Name == "receiver":
								w.busy[0] += wk.BusyPct
							case wk.Name == "writer":
								w.busy[2] += wk.BusyPct
							default:
								w.busy[1] += wk.BusyPct
							}
						}
						w.busyN++
					}
				}
			}
			w.peak, w.connsPeak = max(w.peak, bytes), max(w.connsPeak, conns)
			if depth > 0 {
				w.lastBusy = time.Now()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// end stops the sampling and returns the spool's peak in MB, how long after
// sentAt it still held logs (its drain time; 0 when it was empty) and the
// peak of open connections.
func (w *spoolWatch) end(sentAt time.Time) (peakMB, drainS float64, connsPeak int64) {
	w.stop()
	<-w.done
	if w.lastBusy.After(sentAt) {
		drainS = w.lastBusy.Sub(sentAt).Seconds()
	}
	return float64(w.peak) / (1 << 20), drainS, w.connsPeak
}
