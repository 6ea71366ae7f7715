package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/loadgen"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// The needles bench-query plants in the day it fills. Their counts are what
// the queries that look for them must find; the line generator (random
// words of 6-11 letters and digits) makes none of them by chance.
const (
	needleUser      = "ZzNeedle42" // pppoe user of needleUserRows rows
	needleUserRows  = 15
	needleSubstring = "needle4" // filter=pppoe:needle4 (case-insensitive) finds needleUser only
	needleWord      = "Quokka7" // router identity of needleWordRows rows; q=quokka7 finds them
	needleWordRows  = 9
	pageLimit       = 100 // rows of a page (the API's default limit)
	benchQueryInfo  = "bench-query.json"
)

type benchQueryOptions struct {
	rows, rate, runs int
	keepOriginal     bool
	// viewers query in a loop for viewerTime while the loadgen sends
	// viewerRate logs/s (0 viewers = no such phase).
	viewers, viewerRate int
	viewerTime          time.Duration
	reuse               string
	// only, when not empty, names the questions to ask (benchQuery.name,
	// export_csv, viewers); the others are skipped.
	only          map[string]bool
	sqlite3       bool          // time each question's full scan by the sqlite3 CLI too
	cpuProfile    string        // the server's CPU profile of the whole run
	runTimeout    time.Duration // one answer, cursor pages included
	queryBudget   time.Duration // all runs of one query; later runs are skipped
	exportTimeout time.Duration
}

// filledDay is what bench-query wrote into a data dir, kept in
// bench-query.json there so that --reuse can query it again.
type filledDay struct {
	Engine       string  `json:"engine"`
	Date         string  `json:"date"`
	Rows         int     `json:"rows"`
	KeepOriginal bool    `json:"keep_original"`
	MinuteFrom   string  `json:"minute_from"` // HH:MM:00 of the known minute
	MinuteTo     string  `json:"minute_to"`   // HH:MM:59
	MinuteRows   int     `json:"minute_rows"` // filled rows in that minute
	FillSeconds  float64 `json:"fill_s"`
	BytesPerRow  float64 `json:"bytes_per_row"` // file size at rest / rows, right after the fill
	// Password is the admin password of the dir's first server start (later
	// starts keep it); a bench dir holds generated logs only.
	Password string `json:"password"`
}

// benchQueryCmd fills today's day file of a five-key engine with --rows rows
// (needles planted), starts `logsieve serve` on it, and while the loadgen
// sends --rate logs/s runs each search of SPEC §8 --runs times through the
// HTTP API, printing one line per query beside the sqlite3 CLI's time for
// the same answer.
func benchQueryCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench-query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := benchQueryOptions{runTimeout: 30 * time.Second, queryBudget: 90 * time.Second, exportTimeout: 60 * time.Second}
	fs.IntVar(&o.rows, "rows", 3000000, "rows written into today's day file before the server starts")
	fs.IntVar(&o.rate, "rate", 50000, "logs per second the loadgen sends while the queries run (0 = idle)")
	fs.IntVar(&o.runs, "runs", 20, "runs of each query (p50 and p95 are over these)")
	fs.BoolVar(&o.keepOriginal, "keep-original", true, "store original_log")
	fs.StringVar(&o.reuse, "reuse", "", "data dir to keep: filled on first use, queried again (no fill) by later runs")
	fs.IntVar(&o.viewers, "viewers", 10, "viewers running every query in a loop during the viewers phase (0 = no such phase)")
	fs.IntVar(&o.viewerRate, "viewer-rate", 100000, "logs per second the loadgen sends during the viewers phase")
	fs.DurationVar(&o.viewerTime, "viewer-time", 30*time.Second, "length of the viewers phase")
	only := fs.String("only", "", "comma-separated questions to ask (e.g. substring_q,export_csv,viewers; fill: none, only fill the dir); empty = all")
	fs.BoolVar(&o.sqlite3, "sqlite-cli", true, "time each question's full scan by the sqlite3 CLI too")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the server's CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, n := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(n)] = true
		}
	}
	if o.rows < 1000 || o.rate < 0 || o.runs < 1 || o.viewers < 0 || o.viewerRate < 1 || o.viewerTime <= 0 {
		fmt.Fprintln(stderr, "logsieve bench-query: need --rows >= 1000, --rate >= 0, --runs >= 1, --viewers >= 0, --viewer-rate >= 1, --viewer-time > 0")
		return 2
	}
	if err := runBenchQuery(o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "logsieve bench-query:", err)
		return 1
	}
	return 0
}

// asks reports whether the run asks the question named name (--only).
func (o benchQueryOptions) asks(name string) bool {
	return o.only == nil || o.only[name]
}

func runBenchQuery(o benchQueryOptions, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir := o.reuse
	if dir == "" {
		tmp, err := os.MkdirTemp("", "logsieve-bench-query-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	fd, port, err := prepareBenchQuery(ctx, dir, o, stderr)
	if err != nil {
		return err
	}
	sqlite3, _ := exec.LookPath("sqlite3")
	if !o.sqlite3 {
		sqlite3 = ""
	} else if sqlite3 == "" {
		fmt.Fprintln(stderr, "logsieve bench-query: no sqlite3 CLI on PATH, so sqlite3_ms=NA (apt-get install sqlite3)")
	}
	fmt.Fprintf(stdout, "bench-query: name=fill rows=%d date=%s fill_s=%.1f fill_rows_per_s=%.0f keep_original=%t rate=%d runs=%d\n",
		fd.Rows, fd.Date, fd.FillSeconds, float64(fd.Rows)/max(fd.FillSeconds, 1e-9), fd.KeepOriginal, o.rate, o.runs)

	srv, err := startBenchServer(dir, fd.Password, o.cpuProfile, "")
	if err != nil {
		return err
	}
	defer srv.stop()
	token, err := login(srv.addr, srv.password)
	if err != nil {
		return err
	}
	engineDir := store.EngineDir(dir, fd.Engine)
	dayFile := filepath.Join(engineDir, fd.Date+".sqlite3")

	// The WAL sampler and the ingest run until every query is done.
	var wg sync.WaitGroup
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	var walMax, walMaxCLI int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		walMax, walMaxCLI = sampleWAL(bg, engineDir)
	}()
	// The memory sampler runs through the viewers phase too.
	anonCtx, stopAnon := context.WithCancel(ctx)
	defer stopAnon()
	anonPeak := make(chan float64, 1)
	go func() { anonPeak <- sampleAnonRSS(anonCtx, srv.cmd.Process.Pid) }()
	var ingest loadgen.Result
	if o.rate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ingest, _ = loadgen.Send(bg, loadgen.Options{Target: fmt.Sprintf("127.0.0.1:%d", port), Rate: o.rate, Count: math.MaxInt, Seed: 99})
		}()
		// Let the ingest reach its pace before the first query.
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}

	c := &apiClient{base: "http://" + srv.addr + "/api/v1/engines/" + fd.Engine, token: token, password: srv.password,
		dayRows: func() int { return countStored(dir, []string{fd.Engine}) }}
	for _, q := range benchQueries(fd) {
		if ctx.Err() != nil {
			break
		}
		if !o.asks(q.name) {
			continue
		}
		dayRows := countStored(dir, []string{fd.Engine}) // grows with the ingest
		r := c.measure(ctx, fd.Date, q, o)
		sq := runSQLite3(ctx, sqlite3, dayFile, q.sql, false, o.runTimeout)
		settleWAL(ctx, engineDir, sq)
		extra := ""
		if q.path == "/histogram" {
			extra = fmt.Sprintf(" buckets=%d complete=%t", r.buckets, r.complete)
		} else if q.fullScan && len(r.ms) > 0 {
			// The answer has fewer rows than a page: the whole day was scanned.
			extra = fmt.Sprintf(" scan_rows_per_s=%.0f", float64(dayRows)/max(r.pct(50)/1000, 1e-9))
			if len(r.rowsPerS) > 0 {
				// 95 % of the runs scanned at least this fast, each over the
				// rows the day had when it began.
				slow := slices.Clone(r.rowsPerS)
				slices.Sort(slow)
				extra += fmt.Sprintf(" scan_rows_per_s_p95=%.0f", slow[len(slow)-int(math.Ceil(0.95*float64(len(slow))))])
			}
		}
		fmt.Fprintf(stdout, "bench-query: name=%s p50_ms=%.1f p95_ms=%.1f hits=%d sqlite3_ms=%s want=%d runs=%d timeouts=%d requests=%d sqlite3_hits=%s day_rows=%d%s\n",
			q.name, r.pct(50), r.pct(95), r.hits, sq.ms(), q.want, len(r.ms), r.timeouts, r.requests, sq.rowsField(), dayRows, extra)
		for _, err := range []error{r.err, sq.err} {
			if err != nil {
				fmt.Fprintf(stderr, "logsieve bench-query: %s: %v\n", q.name, err)
			}
		}
	}
	if ctx.Err() == nil && o.asks("export_csv") {
		dayRows := countStored(dir, []string{fd.Engine})
		e := c.export(ctx, fd.Date, o.exportTimeout)
		sq := runSQLite3(ctx, sqlite3, dayFile, exportSQL(fd), true, o.exportTimeout)
		settleWAL(ctx, engineDir, sq) // the viewers phase measures the server's own WAL
		sqRate := "NA"
		if sq.ran {
			sqRate = fmt.Sprintf("%.0f", float64(sq.rows-1)/max(sq.elapsed.Seconds(), 1e-9))
		}
		fmt.Fprintf(stdout, "bench-query: name=export_csv rows_per_s=%.0f rows=%d ms=%.0f complete=%t sqlite3_ms=%s sqlite3_rows_per_s=%s day_rows=%d\n",
			float64(e.rows)/max(e.elapsed.Seconds(), 1e-9), e.rows, ms(e.elapsed), e.complete, sq.ms(), sqRate, dayRows)
		for _, err := range []error{e.err, sq.err} {
			if err != nil {
				fmt.Fprintf(stderr, "logsieve bench-query: export_csv: %v\n", err)
			}
		}
	}
	stopBG()
	wg.Wait()
	loss := serverLosses(srv.addr, srv.password, []string{fd.Engine})
	if o.viewers > 0 && ctx.Err() == nil && o.asks("viewers") {
		v := c.viewers(ctx, dir, fd, port, o, loss)
		fmt.Fprintf(stdout, "bench-query: name=viewers viewers=%d rate=%d seconds=%.0f queries=%d query_errors=%d sent=%d stored=%d lost=%d dropped=%d kernel_drops=%d write_errors=%d wal_max_mib=%.1f\n",
			o.viewers, o.viewerRate, o.viewerTime.Seconds(), v.queries, v.errors, v.sent, v.stored, v.sent-v.stored,
			v.loss.Dropped, v.loss.KernelDrops, v.loss.WriteErrors, float64(v.walMax)/(1<<20))
		if v.err != nil {
			fmt.Fprintf(stderr, "logsieve bench-query: viewers: %v\n", v.err)
		}
		walMax = max(walMax, v.walMax)
	}
	pid := srv.cmd.Process.Pid
	stopAnon()
	anon := procRSS(pid, "RssAnon:")
	fmt.Fprintf(stdout, "bench-query: name=store wal_max_mib=%.1f wal_max_sqlite3_cli_mib=%.1f bytes_per_row=%.0f rss_mb=%.1f rss_peak_mb=%.1f rss_mapped_mb=%.1f ingest_sent=%d ingest_per_s=%.0f dropped=%d kernel_drops=%d\n",
		float64(walMax)/(1<<20), float64(walMaxCLI)/(1<<20), fd.BytesPerRow, anon, max(anon, <-anonPeak), procRSS(pid, "RssFile:"), ingest.Sent,
		float64(ingest.Sent)/max(ingest.Elapsed.Seconds(), 1e-9), loss.Dropped, loss.KernelDrops)
	if ctx.Err() != nil {
		return errors.New("interrupted; the server is stopped")
	}
	return nil
}

// prepareBenchQuery returns the filled day of dir (bench-query.json) or, when
// dir has none, creates the five-key class and engine there and fills the
// engine's day file of today. port is the engine's UDP port.
func prepareBenchQuery(ctx context.Context, dir string, o benchQueryOptions, stderr io.Writer) (fd filledDay, port int, err error) {
	if b, err := os.ReadFile(filepath.Join(dir, benchQueryInfo)); err == nil {
		if err := json.Unmarshal(b, &fd); err != nil {
			return fd, 0, fmt.Errorf("cannot read %s of %s: %w", benchQueryInfo, dir, err)
		}
		rec, err := engineRecord(dir, fd.Engine)
		if err != nil {
			return fd, 0, err
		}
		loc, _ := time.LoadLocation(rec.Timezone)
		if today := time.Now().In(loc).Format(store.DateLayout); today != fd.Date {
			fmt.Fprintf(stderr, "logsieve bench-query: warning: %s was filled on %s; the ingest writes today's file (%s) beside it\n", dir, fd.Date, today)
		}
		if fd.Rows != o.rows {
			fmt.Fprintf(stderr, "logsieve bench-query: reusing %s: %d filled rows (--rows %d ignored)\n", dir, fd.Rows, o.rows)
		}
		return fd, rec.Port, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fd, 0, err
	}
	names, ports, err := prepareBench(dir, benchOptions{engines: 1, keepOriginal: o.keepOriginal, protocol: "udp", framing: "lf", header: "none"})
	if err != nil {
		return fd, 0, err
	}
	rec, err := engineRecord(dir, names[0])
	if err != nil {
		return fd, 0, err
	}
	loc, err := time.LoadLocation(rec.Timezone)
	if err != nil {
		return fd, 0, err
	}
	warnDiskShort(dir, benchOptions{count: o.rows, keepOriginal: o.keepOriginal}, stderr)
	fd, err = fillDay(ctx, store.EngineDir(dir, names[0]), loc, o.rows, o.keepOriginal, time.Now())
	if err != nil {
		return fd, 0, err
	}
	fd.Engine, fd.Password = names[0], benchPassword()
	b, _ := json.MarshalIndent(fd, "", "  ")
	return fd, ports[0], os.WriteFile(filepath.Join(dir, benchQueryInfo), b, 0o640)
}

func engineRecord(dir, name string) (meta.EngineRecord, error) {
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		return meta.EngineRecord{}, err
	}
	defer db.Close()
	recs, err := db.Engines()
	if err != nil {
		return meta.EngineRecord{}, err
	}
	for _, r := range recs {
		if r.Name == name {
			return r, nil
		}
	}
	return meta.EngineRecord{}, fmt.Errorf("no engine %q in %s", name, dir)
}

// fillDay writes rows rows of the loadgen's lines, extracted by the five-key
// class, into the day file of now's date in loc under engineDir, with the
// store's own writer (the engine's batch size). Their receive times run
// evenly from midnight to a second before now (over the whole day when the
// day is younger than 10 minutes), so time grows with id as in a real day.
// needleUser is planted in needleUserRows rows and needleWord in
// needleWordRows, each spread evenly through the day.
func fillDay(ctx context.Context, engineDir string, loc *time.Location, rows int, keepOriginal bool, now time.Time) (filledDay, error) {
	cls, err := class.Compile("bench5", benchPatterns, benchKeys)
	if err != nil {
		return filledDay{}, err
	}
	now = now.In(loc)
	y, m, d := now.Date()
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, loc)
	end := now.Add(-time.Second)
	if now.Sub(dayStart) < 10*time.Minute {
		end = time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(-time.Second)
	}
	span := end.Sub(dayStart)
	mid := dayStart.Add(span / 2)
	fd := filledDay{Date: now.Format(store.DateLayout), Rows: rows, KeepOriginal: keepOriginal,
		MinuteFrom: mid.Format("15:04") + ":00", MinuteTo: mid.Format("15:04") + ":59"}
	plantUser, plantWord := map[int]bool{}, map[int]bool{}
	for k := 0; k < needleUserRows; k++ {
		plantUser[(2*k+1)*rows/(2*needleUserRows)] = true
	}
	for k := 0; k < needleWordRows; k++ {
		plantWord[(2*k+1)*rows/(2*needleWordRows)+1] = true
	}

	minuteStart := time.Date(y, m, d, mid.Hour(), mid.Minute(), 0, 0, loc).UnixNano()
	minuteEnd := minuteStart + int64(time.Minute)

	w, err := store.OpenWriter(engineDir, store.Options{Location: loc, TZName: loc.String()})
	if err != nil {
		return fd, err
	}
	schema := &store.Schema{Columns: cls.Columns(), KeepOriginal: keepOriginal}
	// Batch k is made by worker k % workers and written in order; the
	// writer takes one core, the line generator and the extraction the rest.
	const batch = 8000
	workers := max(1, runtime.GOMAXPROCS(0))
	queues := make([]chan []store.Row, workers)
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var minuteRows atomic.Int64
	start := time.Now()
	for wk := range queues {
		queues[wk] = make(chan []store.Row, 1)
		go func(wk int) {
			defer close(queues[wk])
			x := cls.NewExtractor()
			ncol := len(schema.Columns)
			for k := wk; k*batch < rows && gctx.Err() == nil; k += workers {
				i0 := k * batch
				n := min(batch, rows-i0)
				lines := loadgen.Messages(n, 0, uint64(k)+1000)
				out := make([]store.Row, n)
				vals := make([]sql.NullString, n*ncol)
				for j := range out {
					i := i0 + j + 1 // the row's id
					line := string(lines[j])
					if plantUser[i] {
						line = withInterface(line, "in:<pppoe-"+needleUser+">")
					}
					if plantWord[i] {
						line = withRouter(line, needleWord)
					}
					at := dayStart.UnixNano() + spread(int64(i-1), int64(span), int64(rows))
					if at >= minuteStart && at < minuteEnd {
						minuteRows.Add(1)
					}
					v := vals[j*ncol : (j+1)*ncol : (j+1)*ncol]
					x.Extract(line, v)
					out[j] = store.Row{ReceivedAt: at, SenderIP: "127.0.0.1", Values: v, Original: line}
				}
				select {
				case queues[wk] <- out:
				case <-gctx.Done():
					return
				}
			}
		}(wk)
	}
	var werr error
	for k := 0; k*batch < rows; k++ {
		b, ok := <-queues[k%workers]
		if !ok {
			break // cancelled
		}
		if _, werr = w.Write(schema, b); werr != nil {
			break
		}
	}
	cancel()
	for _, q := range queues {
		for range q {
		}
	}
	if werr != nil {
		w.Close()
		return fd, werr
	}
	fd.MinuteRows = int(minuteRows.Load())
	if err := w.Close(); err != nil {
		return fd, err
	}
	if ctx.Err() != nil {
		return fd, ctx.Err()
	}
	fd.FillSeconds = time.Since(start).Seconds()
	var size int64
	for _, suffix := range []string{"", "-wal"} {
		if st, err := os.Stat(filepath.Join(engineDir, fd.Date+".sqlite3"+suffix)); err == nil {
			size += st.Size()
		}
	}
	fd.BytesPerRow = float64(size) / float64(rows)
	// Every row must be in the one day file the queries ask about.
	if files, _ := filepath.Glob(filepath.Join(engineDir, "*.sqlite3")); len(files) != 1 {
		return fd, fmt.Errorf("the fill made %d day files in %s, not 1", len(files), engineDir)
	}
	return fd, nil
}

// spread is i*span/n without overflow (i < n): the offset of row i of n
// spread evenly over span.
func spread(i, span, n int64) int64 {
	return i*(span/n) + i*(span%n)/n
}

// withInterface replaces the in-interface of a loadgen line ("in:<pppoe-x>"
// or "in:etherN", between "prerouting: " and " out:") with in.
func withInterface(line, in string) string {
	i := strings.Index(line, "prerouting: ")
	j := strings.Index(line, " out:")
	if i < 0 || j < i {
		return line
	}
	return line[:i+len("prerouting: ")] + in + line[j:]
}

// withRouter replaces the router identity of a loadgen line (the word before
// " prerouting:") with router.
func withRouter(line, router string) string {
	j := strings.Index(line, " prerouting:")
	if j < 0 {
		return line
	}
	i := strings.LastIndexByte(line[:j], ' ')
	return line[:i+1] + router + line[j:]
}

// benchQuery is one question: the /logs parameters, the rows the answer must
// have, and the SQL that answers it for the sqlite3 CLI by scanning the file.
type benchQuery struct {
	name   string
	path   string // "/logs" (hits: rows of the first page) or "/histogram" (hits: total)
	params url.Values
	want   int
	// atLeast: want is a lower bound (the day grows with the ingest).
	atLeast bool
	sql     string
	// fullScan: the answer has fewer rows than a page, so finding it scans
	// the whole day (the line then reports the scan rate).
	fullScan bool
}

func benchQueries(fd filledDay) []benchQuery {
	cls, _ := class.Compile("bench5", benchPatterns, benchKeys)
	shown := class.ShownColumns(cls.Columns(), fd.KeepOriginal)
	sel := "SELECT id, " + strings.Join(shown, ", ") + " FROM logs"
	newest := fmt.Sprintf(" ORDER BY id DESC LIMIT %d", pageLimit)
	cursor := fd.Rows / 2
	var likes []string
	for _, c := range shown {
		likes = append(likes, c+" LIKE '%"+strings.ToLower(needleWord)+"%'")
	}
	histSQL := "SELECT substr(time, 1, 5), count(*) FROM logs"
	return []benchQuery{
		{name: "first_page", path: "/logs", params: url.Values{}, want: pageLimit, sql: sel + newest},
		{name: "cursor_page", path: "/logs", params: url.Values{"cursor": {strconv.Itoa(cursor)}}, want: min(pageLimit, cursor-1),
			sql: sel + fmt.Sprintf(" WHERE id < %d", cursor) + newest},
		{name: "exact_pppoe", path: "/logs", params: url.Values{"filter": {"pppoe=" + needleUser}}, want: needleUserRows,
			sql: sel + " WHERE pppoe = '" + needleUser + "'" + newest},
		{name: "exact_router", path: "/logs", params: url.Values{"filter": {"router_identity=" + needleWord}}, want: needleWordRows,
			sql: sel + " WHERE router_identity = '" + needleWord + "'" + newest},
		{name: "word_q", path: "/logs", params: url.Values{"q": {strings.ToLower(needleWord)}, "match": {"word"}}, want: needleWordRows,
			sql: sel + " WHERE " + strings.Join(likes, " OR ") + newest},
		{name: "substring_pppoe", path: "/logs", params: url.Values{"filter": {"pppoe:" + needleSubstring}}, want: needleUserRows,
			sql: sel + " WHERE pppoe LIKE '%" + needleSubstring + "%'" + newest, fullScan: true},
		{name: "substring_q", path: "/logs", params: url.Values{"q": {needleSubstring}, "match": {"substring"}}, want: needleUserRows,
			sql: sel + " WHERE " + strings.ReplaceAll(strings.Join(likes, " OR "), strings.ToLower(needleWord), needleSubstring) + newest, fullScan: true},
		{name: "substring_q_token", path: "/logs", params: url.Values{"q": {"<pppoe-" + needleUser + ">"}, "match": {"substring"}}, want: needleUserRows,
			sql: sel + " WHERE " + strings.ReplaceAll(strings.Join(likes, " OR "), strings.ToLower(needleWord), "<pppoe-"+needleUser+">") + newest},
		{name: "minute_window", path: "/logs", params: url.Values{"from": {fd.MinuteFrom}, "to": {fd.MinuteTo}}, want: min(pageLimit, fd.MinuteRows),
			sql: sel + " WHERE time >= '" + fd.MinuteFrom + "' AND time <= '" + fd.MinuteTo + "'" + newest},
		{name: "histogram_day", path: "/histogram", params: url.Values{}, want: fd.Rows, atLeast: true,
			sql: histSQL + " GROUP BY 1"},
		{name: "histogram_exact", path: "/histogram", params: url.Values{"filter": {"pppoe=" + needleUser}}, want: needleUserRows,
			sql: histSQL + " WHERE pppoe = '" + needleUser + "' GROUP BY 1"},
	}
}

func exportSQL(fd filledDay) string {
	cls, _ := class.Compile("bench5", benchPatterns, benchKeys)
	return "SELECT " + strings.Join(class.ShownColumns(cls.Columns(), fd.KeepOriginal), ", ") + " FROM logs"
}

// login returns a token of the admin.
func login(addr, password string) (string, error) {
	body := fmt.Sprintf(`{"username":"admin","password":%q}`, password)
	resp, err := http.Post("http://"+addr+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var l struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || resp.StatusCode != 200 || l.Token == "" {
		return "", fmt.Errorf("cannot log in as admin: status %d", resp.StatusCode)
	}
	return l.Token, nil
}

type apiClient struct {
	base, token string // base: http://addr/api/v1/engines/<name>
	password    string // the admin's (serverLosses logs in with it)
	http        http.Client
	dayRows     func() int // the day's rows now (measure of a full scan); nil: not counted
}

// addr is the server's host:port.
func (c *apiClient) addr() string {
	return strings.TrimPrefix(strings.SplitN(c.base, "/api/", 2)[0], "http://")
}

func (c *apiClient) get(ctx context.Context, path string, params url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path+"?"+params.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err == nil && resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: status %d: %s", path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return resp, err
}

// answer asks /logs for the first pageLimit rows of q's answer, following
// next_cursor while the server stops a page on its scan time budget with
// fewer rows: the time a user waits for the answer. It returns the rows
// found and the requests made.
func (c *apiClient) answer(ctx context.Context, date string, q benchQuery) (hits, requests int, err error) {
	cursor := q.params.Get("cursor")
	for {
		p := url.Values{}
		for k, v := range q.params {
			p[k] = v
		}
		p.Set("date", date)
		p.Set("limit", strconv.Itoa(pageLimit-hits))
		if cursor != "" {
			p.Set("cursor", cursor)
		}
		resp, err := c.get(ctx, "/logs", p)
		if err != nil {
			return hits, requests, err
		}
		var page struct {
			Rows        [][]*string `json:"rows"`
			NextCursor  *string     `json:"next_cursor"`
			LimitReason *string     `json:"limit_reason"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		requests++
		if err != nil {
			return hits, requests, err
		}
		hits += len(page.Rows)
		if page.NextCursor == nil || hits >= pageLimit || page.LimitReason == nil || *page.LimitReason != store.LimitTime {
			return hits, requests, nil
		}
		cursor = *page.NextCursor
	}
}

// queryResult is what the runs of one query measured.
type queryResult struct {
	ms       []float64 // per completed or timed-out run
	hits     int       // rows of the last run
	requests int       // most requests one run made
	timeouts int
	err      error // the first error other than a timeout
	buckets  int   // /histogram: buckets of the last run
	complete bool  // /histogram: the last run counted every match
	// rowsPerS is, per run of a full scan, the day's rows when it began
	// over its time (the day grows with the ingest from run to run).
	rowsPerS []float64
	lastRows int
}

// histogramAnswer is the JSON of GET /histogram.
type histogramAnswer struct {
	BucketS int `json:"bucket_s"`
	Buckets []struct {
		T string `json:"t"`
		N int    `json:"n"`
	} `json:"buckets"`
	Total    int  `json:"total"`
	Complete bool `json:"complete"`
}

// histogram asks /histogram for q's counts per minute of date.
func (c *apiClient) histogram(ctx context.Context, date string, q benchQuery) (histogramAnswer, error) {
	var h histogramAnswer
	p := url.Values{}
	for k, v := range q.params {
		p[k] = v
	}
	p.Set("date", date)
	resp, err := c.get(ctx, "/histogram", p)
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&h)
	return h, err
}

// viewersResult is what the viewers phase measured.
type viewersResult struct {
	queries, errors int
	sent, stored    int
	loss            lossCounters // counted during the phase
	walMax          int64
	err             error // the first query error
}

// viewers runs o.viewers clients, each asking every query of fd in turn
// without pause, while the loadgen sends o.viewerRate logs/s for
// o.viewerTime; then it waits for the server to store what it received and
// reports how many of the logs sent were stored. before are the loss
// counters before the phase.
func (c *apiClient) viewers(ctx context.Context, dataDir string, fd filledDay, port int, o benchQueryOptions, before lossCounters) viewersResult {
	var v viewersResult
	engineDir := store.EngineDir(dataDir, fd.Engine)
	// The ingest of the query runs must be stored whole first (its tail may
	// still be in the queue or the overflow spool), or this phase counts it.
	waitInFlight(ctx, c.addr(), c.password, fd.Engine, time.Minute)
	storedBefore, _ := waitStored(ctx, dataDir, []string{fd.Engine}, -1, time.Second, 250*time.Millisecond)
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	var walMax int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		walMax, _ = sampleWAL(pctx, engineDir) // no sqlite3 CLI runs in this phase
	}()
	var queries, qerrs atomic.Int64
	var firstErr sync.Once
	qs := benchQueries(fd)
	for i := 0; i < o.viewers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := i; pctx.Err() == nil; k++ {
				q := qs[k%len(qs)]
				rctx, cancel := context.WithTimeout(pctx, o.runTimeout)
				var err error
				if q.path == "/histogram" {
					_, err = c.histogram(rctx, fd.Date, q)
				} else {
					_, _, err = c.answer(rctx, fd.Date, q)
				}
				cancel()
				if pctx.Err() != nil {
					return
				}
				queries.Add(1)
				if err != nil {
					qerrs.Add(1)
					firstErr.Do(func() { v.err = fmt.Errorf("%s: %w", q.name, err) })
				}
			}
		}(i)
	}
	// A count, not a deadline, bounds the phase: the loadgen's setup (its
	// message set) must not eat the phase on a loaded box (it once sent
	// nothing in a 2 s phase under -race). The deadline only guards.
	count := max(1, int(float64(o.viewerRate)*o.viewerTime.Seconds()))
	lctx, lcancel := context.WithTimeout(pctx, 3*o.viewerTime+30*time.Second)
	res, err := loadgen.Send(lctx, loadgen.Options{Target: fmt.Sprintf("127.0.0.1:%d", port), Rate: o.viewerRate, Count: count, Seed: 7})
	lcancel()
	if err != nil {
		firstErr.Do(func() { v.err = fmt.Errorf("viewers' loadgen: %w", err) })
	}
	stop()
	wg.Wait()
	v.sent, v.walMax = int(res.Sent), walMax
	v.queries, v.errors = int(queries.Load()), int(qerrs.Load())
	stored, _ := waitStored(ctx, dataDir, []string{fd.Engine}, storedBefore+v.sent, time.Second, 250*time.Millisecond)
	v.stored = stored - storedBefore
	v.stored = countStored(dataDir, []string{fd.Engine}) - storedBefore
	after := serverLosses(c.addr(), c.password, []string{fd.Engine})
	v.loss = lossCounters{Dropped: after.Dropped - before.Dropped, KernelDrops: after.KernelDrops - before.KernelDrops,
		Refused: after.Refused - before.Refused, WriteErrors: after.WriteErrors - before.WriteErrors}
	return v
}

// waitInFlight waits (at most limit) until engine name's queue and
// overflow spool are empty.
func waitInFlight(ctx context.Context, addr, password, name string, limit time.Duration) {
	token := benchLogin(addr, password)
	deadline := time.Now().Add(limit)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		var st struct {
			QueueDepth int   `json:"queue_depth"`
			SpoolDepth int64 `json:"spool_depth"`
		}
		if benchStats(addr, token, name, &st) && st.QueueDepth == 0 && st.SpoolDepth == 0 {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// pct is the p-th percentile (nearest rank) of r.ms, NaN when none ran.
func (r queryResult) pct(p float64) float64 {
	if len(r.ms) == 0 {
		return math.NaN()
	}
	s := slices.Clone(r.ms)
	slices.Sort(s)
	return s[max(0, int(math.Ceil(p/100*float64(len(s))))-1)]
}

// measure runs q o.runs times; a run that passes o.runTimeout counts at the
// timeout and ends the query's runs, as does the query's o.queryBudget.
func (c *apiClient) measure(ctx context.Context, date string, q benchQuery, o benchQueryOptions) queryResult {
	var r queryResult
	began := time.Now()
	for i := 0; i < o.runs && ctx.Err() == nil; i++ {
		if i > 0 && time.Since(began) > o.queryBudget {
			break
		}
		rows := 0
		if q.fullScan && c.dayRows != nil {
			// The day only grows: a count below the last one is a failed read.
			rows = c.dayRows()
			if rows < r.lastRows {
				rows = r.lastRows
			}
			r.lastRows = rows
		}
		rctx, cancel := context.WithTimeout(ctx, o.runTimeout)
		t0 := time.Now()
		var hits, requests int
		var err error
		if q.path == "/histogram" {
			var h histogramAnswer
			h, err = c.histogram(rctx, date, q)
			hits, requests, r.buckets, r.complete = h.Total, 1, len(h.Buckets), h.Complete
		} else {
			hits, requests, err = c.answer(rctx, date, q)
		}
		cancel()
		r.ms = append(r.ms, ms(time.Since(t0)))
		if rows > 0 {
			r.rowsPerS = append(r.rowsPerS, float64(rows)/max(time.Since(t0).Seconds(), 1e-9))
		}
		r.hits, r.requests = hits, max(r.requests, requests)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				r.timeouts++
				break
			}
			if r.err == nil {
				r.err = err
			}
		}
	}
	return r
}

// exportResult is one CSV export of the day.
type exportResult struct {
	rows     int // records, header not counted
	elapsed  time.Duration
	complete bool
	err      error
}

// export reads export.csv of date to its end or to timeout, counting records.
func (c *apiClient) export(ctx context.Context, date string, timeout time.Duration) exportResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t0 := time.Now()
	resp, err := c.get(ctx, "/export.csv", url.Values{"date": {date}})
	if err != nil {
		return exportResult{elapsed: time.Since(t0), err: err}
	}
	defer resp.Body.Close()
	var lc lineCounter
	_, err = io.Copy(&lc, resp.Body)
	e := exportResult{rows: max(lc.n-1, 0), elapsed: time.Since(t0), complete: err == nil}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		e.err = err
	}
	return e
}

// lineCounter counts the newlines written to it (the loadgen's lines hold
// none, so one per CSV record).
type lineCounter struct{ n int }

func (lc *lineCounter) Write(p []byte) (int, error) {
	lc.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// sqliteRun is one answer of the sqlite3 CLI.
type sqliteRun struct {
	ran     bool
	rows    int
	elapsed time.Duration
	err     error
}

func (s sqliteRun) ms() string {
	if !s.ran {
		return "NA"
	}
	return fmt.Sprintf("%.1f", ms(s.elapsed))
}

func (s sqliteRun) rowsField() string {
	if !s.ran {
		return "NA"
	}
	return strconv.Itoa(s.rows)
}

// runSQLite3 times the sqlite3 CLI (bin; "" = not installed) answering query
// on file, read-only, its output counted in lines (csv adds a header line).
func runSQLite3(ctx context.Context, bin, file, query string, csv bool, timeout time.Duration) sqliteRun {
	if bin == "" {
		return sqliteRun{}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := []string{"-readonly", "-batch", "-bail"}
	if csv {
		args = append(args, "-csv", "-header")
	}
	cmd := exec.CommandContext(ctx, bin, append(args, file, query)...)
	var lc lineCounter
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &lc, &stderr
	t0 := time.Now()
	cliReading.Store(true)
	err := cmd.Run()
	cliReading.Store(false)
	r := sqliteRun{ran: true, rows: lc.n, elapsed: time.Since(t0)}
	if err != nil {
		r.err = fmt.Errorf("sqlite3: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return r
}

// settleWAL waits, after a sqlite3 CLI comparison ran (sq), until the
// server has truncated the WAL that the CLI's snapshot let grow (at most
// 15 s): a large WAL slows every reader (each page is looked up in the WAL's
// index first), and the next question should be timed against the WAL the
// server keeps, not against the CLI's leftover.
func settleWAL(ctx context.Context, engineDir string, sq sqliteRun) {
	if !sq.ran {
		return
	}
	deadline := time.Now().Add(15 * time.Second)
	for ctx.Err() == nil && time.Now().Before(deadline) && walBytes(engineDir) > store.WALBoundBytes()+16<<20 {
		time.Sleep(100 * time.Millisecond)
	}
}

// walBytes is the total size of the engine's WAL files.
func walBytes(engineDir string) int64 {
	files, _ := filepath.Glob(filepath.Join(engineDir, "*.sqlite3-wal"))
	var sum int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			sum += st.Size()
		}
	}
	return sum
}

// cliReading is true while a sqlite3 CLI comparison runs (see sampleWAL).
var cliReading atomic.Bool

// sampleWAL returns the largest total size of the engine's WAL files seen
// every 100 ms until ctx ends: own while only the server reads the day,
// withCLI from the start of a sqlite3 CLI comparison until the server has
// truncated the WAL again after it (below store.WALBoundBytes plus 16 MiB).
// The CLI is a reader outside the server, whose snapshot SQLite lets hold
// the WAL (the server cannot truncate it then), and the frames it let pile
// up take the server's next checkpoint a while to copy, so that growth is
// not the server's.
func sampleWAL(ctx context.Context, engineDir string) (own, withCLI int64) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	afterCLI := false
	for {
		sum := walBytes(engineDir)
		if cliReading.Load() {
			afterCLI = true
		} else if afterCLI && sum <= store.WALBoundBytes()+16<<20 {
			afterCLI = false
		}
		if afterCLI {
			withCLI = max(withCLI, sum)
		} else {
			own = max(own, sum)
		}
		select {
		case <-ctx.Done():
			return own, withCLI
		case <-tick.C:
		}
	}
}

// sampleAnonRSS returns the largest RssAnon of process pid (MB), sampled
// every 100 ms until ctx ends. The server's memory is its anonymous pages:
// the day files its readers map (store.readMapBytes) count in VmRSS and
// VmHWM too, but they are the kernel's page cache (rss_mapped_mb).
func sampleAnonRSS(ctx context.Context, pid int) float64 {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	peak := 0.0
	for {
		peak = max(peak, procRSS(pid, "RssAnon:"))
		select {
		case <-ctx.Done():
			return peak
		case <-tick.C:
		}
	}
}

// procRSS returns the /proc/<pid>/status field (VmRSS:, VmHWM:) in MB.
func procRSS(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field) {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
