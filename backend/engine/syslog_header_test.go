package engine

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
)

// tableColumns returns the columns of a day file's logs table in order.
func tableColumns(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT name FROM pragma_table_info('logs') ORDER BY cid")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	return cols
}

// headerRow renders a stored row's header columns as
// "facility|severity|host|app|procid|msgid|header_time|structured_data".
func headerRow(r map[string]string) string {
	return strings.Join([]string{r["facility"], r["severity"], r["host"], r["app"], r["procid"],
		r["msgid"], r["header_time"], r["structured_data"]}, "|")
}

// With syslog_header auto, a new day file has the 8 header columns right
// after time_zone and before the class keys; each row gets its header values
// (NULL where absent), the class keys still match on the whole message, and
// original_log keeps the header.
func TestHeaderColumnsAreStoredBeforeClassColumns(t *testing.T) {
	ber, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock(time.Date(2026, 12, 2, 15, 0, 0, 0, ber))
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true, SyslogHeader: "auto",
		Location: ber, TZName: "Europe/Berlin", Now: clk.Now}, mikrotik(t))
	rfc5424 := `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] in:<pppoe-Ab1> x ->10.0.0.1:80`
	bsd := "<34>Oct 11 22:14:15 mymachine su[42]: 'su root' failed for lonvick on /dev/pts/8"
	send(t, addr, rfc5424, bsd, mikrotikLog, "no header at all")
	waitStored(t, e, 4)
	files := dayFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("got day files %v; want one", files)
	}
	want := "id,log_sender_ip,client,time,time_zone,facility,severity,host,app,procid,msgid,header_time,structured_data," +
		"pppoe,router_identity,destination_ip,destination_port,original_log,received_at"
	if got := strings.Join(tableColumns(t, files[0]), ","); got != want {
		t.Fatalf("unexpected columns of a new day file;\n got %s\nwant %s", got, want)
	}
	rows := readRows(t, files[0])
	f := func(i int, header, pppoe, original string) {
		t.Helper()
		if got := headerRow(rows[i]); got != header {
			t.Errorf("row %d: unexpected header columns;\n got %q\nwant %q", i, got, header)
		}
		if rows[i]["pppoe"] != pppoe || rows[i]["original_log"] != original {
			t.Errorf("row %d: unexpected pppoe %q or original_log %q", i, rows[i]["pppoe"], rows[i]["original_log"])
		}
	}
	f(0, `local4|notice|mymachine.example.com|evntslog|<nil>|ID47|2003-10-12T00:14:15.003+02:00|[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]`,
		"Ab1", rfc5424)
	f(1, "auth|crit|mymachine|su|42|<nil>|2026-10-11T22:14:15+02:00|<nil>", "<nil>", bsd)
	// a bare clock takes the date nearest the receive time (15:00)
	f(2, "<nil>|<nil>|T8Y45jGZY|prerouting|<nil>|<nil>|2026-12-03T01:02:05+01:00|<nil>", "RRWLkNYEZ", mikrotikLog)
	f(3, "<nil>|<nil>|<nil>|<nil>|<nil>|<nil>|<nil>|<nil>", "<nil>", "no header at all")
	if st := e.Stats(); st.Stored != 4 || st.Unmatched != 1 {
		t.Fatalf("unexpected counters: %+v", st)
	}
}

// An engine switched from none to a header mode mid-day appends the header
// columns to the open day file, like new class keys; older rows keep NULL.
func TestHeaderModeOnMidDayAppendsColumns(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true}, mikrotik(t))
	send(t, addr, mikrotikLog)
	waitStored(t, e, 1)
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	e2, addr2 := startEngine(t, Config{Dir: dir, KeepOriginal: true, SyslogHeader: "rfc3164"}, mikrotik(t))
	send(t, addr2, "<13>Mar  1 18:46:11 host1 sshd[7]: "+mikrotikLog[6:])
	waitStored(t, e2, 1)
	f := dayFiles(t, dir)[0]
	want := "id,log_sender_ip,client,time,time_zone,pppoe,router_identity,destination_ip,destination_port,original_log,received_at," +
		"facility,severity,host,app,procid,msgid,header_time,structured_data"
	if got := strings.Join(tableColumns(t, f), ","); got != want {
		t.Fatalf("unexpected columns after the mode change;\n got %s\nwant %s", got, want)
	}
	rows := readRows(t, f)
	if rows[0]["host"] != "<nil>" || rows[1]["host"] != "host1" || rows[1]["app"] != "sshd" || rows[1]["pppoe"] != "RRWLkNYEZ" {
		t.Fatalf("unexpected rows %v", rows)
	}
}

// A trailing LF or CR LF of a datagram (syslog-ng's UDP output) is not
// stored, whatever the header mode, and is no part of the header.
func TestTrailingLFIsNotStored(t *testing.T) {
	for _, mode := range []string{"none", "auto"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true, SyslogHeader: mode}, mikrotik(t))
			send(t, addr, "<13>1 - h a p m [x@1 k=\"v\"]\n", "second line\r\n", "third\n\n", "fourth")
			waitStored(t, e, 4)
			rows := readRows(t, dayFiles(t, dir)[0])
			var got []string
			for _, r := range rows {
				got = append(got, r["original_log"])
			}
			if want := []string{`<13>1 - h a p m [x@1 k="v"]`, "second line", "third\n", "fourth"}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("unexpected original_log %q; want %q", got, want)
			}
			if mode == "auto" && rows[0]["structured_data"] != `[x@1 k="v"]` {
				t.Fatalf("structured_data %q: the LF was parsed with the header", rows[0]["structured_data"])
			}
		})
	}
}

// Over TCP too: an octet-counted frame ending in LF loses the LF.
func TestTCPTrailingLFOfOctetFrameIsNotStored(t *testing.T) {
	dir := t.TempDir()
	e, addr := startTCPEngine(t, Config{Dir: dir, SyslogHeader: "auto"})
	c := dialTCP(t, addr)
	msg := "<13>Mar  1 18:46:11 host1 app: hello\n"
	write(t, c, fmt.Sprintf("%d %s", len(msg), msg))
	waitStored(t, e, 1)
	rows := readRows(t, dayFiles(t, dir)[0])
	if rows[0]["original_log"] != strings.TrimSuffix(msg, "\n") || rows[0]["host"] != "host1" || rows[0]["app"] != "app" {
		t.Fatalf("unexpected row %v", rows[0])
	}
}

func TestUnknownHeaderModeFailsStart(t *testing.T) {
	e := New(Config{Name: "x", Dir: t.TempDir(), Bind: "127.0.0.1", SyslogHeader: "rfc3339"}, mikrotik(t))
	if err := e.Start(); err == nil || !strings.Contains(err.Error(), "rfc3339") {
		_ = e.Stop()
		t.Fatalf("Start with an unknown header mode: got %v; want an error naming it", err)
	}
	if st := e.Stats(); st.State != StateFailed {
		t.Fatalf("state %q; want failed", st.State)
	}
}
