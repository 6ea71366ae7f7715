//go:build soak

package api_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// envInt reads an integer knob from the environment.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// procStatus returns a field of /proc/self/status in kB (0 when unknown).
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func openFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}

// TestSoak runs SOAK_DURATION (default 10m) of load on three engines at
// SOAK_RATE logs/s each (default 3000) while a reader queries the API, a writer
// edits the class every 5 s and a websocket client listens. It reports max RSS,
// goroutines, open fds and rows lost, which must be 0 under capacity.
// Run it with `make soak`.
func TestSoak(t *testing.T) {
	dur, err := time.ParseDuration(os.Getenv("SOAK_DURATION"))
	if err != nil || dur <= 0 {
		dur = 10 * time.Minute
	}
	rate := envInt("SOAK_RATE", 3000)
	e := newEnv(t)
	classPUT := func(extra bool) string {
		p := `{"n":"n=(\\d+)","src_ip":"src=(\\S+)","proto":"proto (\\w+)","len":"len (\\d+)"`
		if extra {
			p += `,"extra":"extra=(\\w+)"`
		}
		return `{"patterns":` + p + `}}`
	}
	if r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin,
		Body: `{"name":"sk",` + strings.TrimPrefix(classPUT(false), "{")}); r.Status != 201 {
		t.Fatalf("create class; got %d %s", r.Status, r.Body)
	}
	names := []string{"s1", "s2", "s3"}
	ports := map[string]int{}
	for _, n := range names {
		ports[n] = freeUDPPort(t)
		r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin,
			Body: map[string]any{"name": n, "class": "sk", "bind": "127.0.0.1", "port": ports[n], "timezone": "UTC"}})
		if r.Status != 201 {
			t.Fatalf("create engine %s; got %d %s", n, r.Status, r.Body)
		}
	}
	startGoroutines, startFDs := runtime.NumGoroutine(), openFDs()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	sent := map[string]*atomic.Int64{}
	for _, n := range names {
		sent[n] = &atomic.Int64{}
		wg.Add(1)
		go func(name string, counter *atomic.Int64) {
			defer wg.Done()
			conn, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[name])))
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			per := max(rate/100, 1)
			i := 0
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					for k := 0; k < per; k++ {
						line := fmt.Sprintf("<134> fw%d: n=%d src=10.%d.%d.%d:%d proto %s extra=x%d len %d %s",
							i%7, i, i%256, (i/256)%256, i%13, 1024+i%50000, []string{"TCP", "UDP", "ICMP"}[i%3], i%5, 40+i%1400,
							strings.Repeat("p", i%120))
						if _, err := conn.Write([]byte(line)); err == nil {
							i++
							counter.Store(int64(i))
						}
					}
				}
			}
		}(n, sent[n])
	}

	var apiCalls, apiErrors, classEdits atomic.Int64
	call := func(method, path, body string) {
		r := e.Do(apitest.Request{Method: method, Path: path, Token: e.admin, Body: body})
		apiCalls.Add(1)
		if r.Status >= 500 || (r.Status >= 400 && method == "GET") {
			apiErrors.Add(1)
			t.Logf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
	}
	wg.Add(2)
	go func() { // reader: logs pages with filters, stats, days, system, csv
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		rnd := rand.New(rand.NewPCG(1, 2))
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				n := names[rnd.IntN(len(names))]
				queries := []string{"limit=100", "filter=proto:udp&limit=50", "q=" + url.QueryEscape("10.3."), "filter=n=" + strconv.Itoa(rnd.IntN(100000)),
					"order=asc&limit=1000", "filter=len:14&from=00:00:00&to=23:59:59"}
				call("GET", "/api/v1/engines/"+n+"/logs?"+queries[rnd.IntN(len(queries))], "")
				call("GET", "/api/v1/engines/"+n+"/stats", "")
				call("GET", "/api/v1/engines/"+n+"/days", "")
				if rnd.IntN(20) == 0 {
					call("GET", "/api/v1/system", "")
					call("GET", "/api/v1/engines/"+n+"/export.csv?filter=n="+strconv.Itoa(rnd.IntN(1000)), "")
				}
			}
		}
	}()
	go func() { // class editor: add and remove a key every 5 s
		defer wg.Done()
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		extra := false
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				extra = !extra
				call("PUT", "/api/v1/classes/sk", classPUT(extra))
				classEdits.Add(1)
			}
		}
	}()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+e.Addr+"/api/v1/ws", http.Header{"Authorization": {"Bearer " + e.viewer}})
	if err != nil {
		t.Fatal(err)
	}
	var wsMsgs atomic.Int64
	wsDone := make(chan struct{})
	go func() {
		defer close(wsDone)
		_ = ws.WriteJSON(map[string]string{"type": "tail", "engine": "s1"})
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
			wsMsgs.Add(1)
		}
	}()

	var maxG, maxFD int
	var maxRSS int64
	sample := func() {
		maxG = max(maxG, runtime.NumGoroutine())
		maxFD = max(maxFD, openFDs())
		maxRSS = max(maxRSS, procStatus("VmRSS"))
	}
	deadline := time.Now().Add(dur)
	tick := time.NewTicker(time.Second)
	for now := range tick.C {
		sample()
		if now.After(deadline) {
			break
		}
		if int(time.Until(deadline).Seconds())%30 == 0 {
			t.Logf("soak: %v left; rss_mb=%d goroutines=%d fds=%d api_calls=%d", time.Until(deadline).Round(time.Second),
				procStatus("VmRSS")>>10, runtime.NumGoroutine(), openFDs(), apiCalls.Load())
		}
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	_ = ws.Close()
	<-wsDone

	// Every engine settles: what was received is stored or counted.
	type engStats struct {
		Received, Stored, Dropped, KernelDrops, WriteErrors uint64
		QueueDepth                                          int
	}
	stats := func(n string) engStats {
		var st struct {
			Received    uint64 `json:"received"`
			Stored      uint64 `json:"stored"`
			Dropped     uint64 `json:"dropped"`
			KernelDrops uint64 `json:"kernel_drops"`
			WriteErrors uint64 `json:"write_errors"`
			QueueDepth  int    `json:"queue_depth"`
		}
		e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/" + n + "/stats", Token: e.admin}).JSON(t, &st)
		return engStats{st.Received, st.Stored, st.Dropped, st.KernelDrops, st.WriteErrors, st.QueueDepth}
	}
	var totalSent, totalRows, lost int64
	var report bytes.Buffer
	for _, n := range names {
		apitest.Eventually(t, 30*time.Second, "engine "+n+" to settle", func() bool {
			st := stats(n)
			return st.QueueDepth == 0 && st.Received == st.Stored+st.Dropped+st.WriteErrors && st.Received+st.KernelDrops >= uint64(sent[n].Load())
		})
		st := stats(n)
		rows := countRows(t, filepath.Join(e.dir, "engines", n))
		s := sent[n].Load()
		totalSent += s
		totalRows += rows
		lost += s - rows
		fmt.Fprintf(&report, " %s:sent=%d,rows=%d,dropped=%d,kernel_drops=%d,write_errors=%d", n, s, rows, st.Dropped, st.KernelDrops, st.WriteErrors)
	}
	sample()
	endG := runtime.NumGoroutine()
	t.Logf("soak: duration=%v engines=3 rate_per_engine=%d sent=%d rows=%d lost=%d max_rss_mb=%d peak_rss_mb=%d goroutines=%d->%d(max %d) fds=%d->%d(max %d) api_calls=%d api_errors=%d class_edits=%d ws_msgs=%d\n%s",
		dur, rate, totalSent, totalRows, lost, maxRSS>>10, procStatus("VmHWM")>>10, startGoroutines, endG, maxG, startFDs, openFDs(), maxFD,
		apiCalls.Load(), apiErrors.Load(), classEdits.Load(), wsMsgs.Load(), report.String())
	if lost != 0 {
		t.Errorf("rows lost under capacity; got %d; want 0", lost)
	}
	if apiErrors.Load() != 0 {
		t.Errorf("API errors during the soak; got %d; want 0", apiErrors.Load())
	}
	if endG > startGoroutines+10 {
		t.Errorf("goroutines after the soak; got %d; want about %d", endG, startGoroutines)
	}
}

// countRows counts the rows of every day file in dir.
func countRows(t *testing.T, dir string) int64 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite3"))
	var total int64
	for _, f := range files {
		db, err := sql.Open("sqlite3", "file:"+f+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := db.QueryRow("SELECT count(*) FROM logs").Scan(&n); err != nil {
			t.Fatal(err)
		}
		db.Close()
		total += n
	}
	return total
}
