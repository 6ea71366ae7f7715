package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// classBody is a class whose msg key takes whatever follows "msg=".
const classBody = `{"name":"t1","patterns":{"msg":"msg=(\\S+)","dst_ip":"->(\\S+)"}}`

func (e *env) createEngine(t *testing.T, name string) int {
	t.Helper()
	port := freeUDPPort(t)
	r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin,
		Body: map[string]any{"name": name, "class": "t1", "bind": "127.0.0.1", "port": port, "timezone": "UTC"}})
	if r.Status != 201 {
		t.Fatalf("create engine; got %d %s; want 201", r.Status, r.Body)
	}
	return port
}

type page struct {
	Columns    []string    `json:"columns"`
	Rows       [][]*string `json:"rows"`
	NextCursor *string     `json:"next_cursor"`
}

func (e *env) logs(t *testing.T, engine, query string) page {
	t.Helper()
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/" + engine + "/logs?" + query, Token: e.viewer})
	if r.Status != 200 {
		t.Fatalf("logs?%s; got %d %s", query, r.Status, r.Body)
	}
	var p page
	r.JSON(t, &p)
	return p
}

func col(p page, name string) int {
	for i, c := range p.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

func TestClassEngineUDPLogsCSVAndDayDeletion(t *testing.T) {
	e := newEnv(t)
	e.Run(t, []apitest.Scenario{
		{Name: "create class", Request: apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody},
			Status: 201, Contains: []string{`"keys":["msg","dst_ip"]`, `"columns":["msg","dst_ip","dst_port"]`}},
		{Name: "duplicate class", Request: apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody}, Status: 409},
	})
	port := e.createEngine(t, "edge")
	today := time.Now().UTC().Format("2006-01-02")
	lines := []string{
		"a msg=hello ->10.0.0.1:53",
		"b msg==HYPERLINK(\"x\") ->10.0.0.2:80",
		`c msg="quoted,comma" ->[2001:db8::1]:443`,
		"d nothing to see",
		"e msg=HELLO-again",
	}
	sendUDP(t, port, lines...)
	apitest.Eventually(t, 10*time.Second, "five rows in /logs", func() bool {
		return len(e.logs(t, "edge", "").Rows) == 5
	})
	e.Run(t, []apitest.Scenario{
		{Name: "conflicting port", Request: apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin,
			Body: map[string]any{"name": "other", "class": "t1", "bind": "127.0.0.1", "port": port, "timezone": "UTC"}}, Status: 409, Field: "port"},
		{Name: "conflicting name", Request: apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin,
			Body: map[string]any{"name": "edge", "class": "t1", "bind": "127.0.0.1", "port": freeUDPPort(t), "timezone": "UTC"}}, Status: 409, Field: "name"},
		{Name: "class in use", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/classes/t1", Token: e.admin}, Status: 409},
		{Name: "stats", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/stats", Token: e.viewer}, Status: 200,
			Contains: []string{`"state":"running"`, `"received":5`, `"unmatched":1`, `"spooled":0`, `"spool_bytes":0`, `"replayed":0`}},
		{Name: "history", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/stats/history?seconds=60", Token: e.viewer}, Status: 200},
		{Name: "days", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/days", Token: e.viewer}, Status: 200,
			Contains: []string{`"date":"` + today + `"`, `"rows":5`}},
		{Name: "metrics", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: e.viewer}, Status: 200,
			Contains: []string{`logsieve_engine_stored_total{engine="edge"} 5`, `logsieve_engine_spooled_total{engine="edge"} 0`,
				`logsieve_engine_replayed_total{engine="edge"} 0`, `logsieve_engine_spool_bytes{engine="edge"} 0`}},
	})

	all := e.logs(t, "edge", "date="+today)
	// an engine created through the API parses syslog headers (auto): the
	// header columns come before the class's
	wantCols := []string{"id", "log_sender_ip", "client", "time", "time_zone",
		"facility", "severity", "host", "app", "procid", "msgid", "header_time", "structured_data",
		"msg", "dst_ip", "dst_port", "original_log"}
	if strings.Join(all.Columns, ",") != strings.Join(wantCols, ",") {
		t.Fatalf("columns; got %v; want %v", all.Columns, wantCols)
	}
	if got := *all.Rows[0][col(all, "original_log")]; got != lines[4] {
		t.Fatalf("newest first; got %q; want %q", got, lines[4])
	}
	f := func(query string, wantOriginals ...string) {
		t.Helper()
		p := e.logs(t, "edge", query)
		var got []string
		for _, r := range p.Rows {
			got = append(got, *r[col(p, "original_log")])
		}
		if strings.Join(got, "|") != strings.Join(wantOriginals, "|") {
			t.Errorf("logs?%s; got %q; want %q", query, got, wantOriginals)
		}
	}
	f("q=hello&order=asc", lines[0], lines[4])
	f("filter=msg:HELLO&filter=dst_port:53", lines[0])
	f("q=hell&match=substring&order=asc", lines[0], lines[4])
	f("q=hell&match=word")
	f("q=again&match=word", lines[4])
	f("filter=msg=hello", lines[0])
	f("filter=dst_ip:2001", lines[2])
	f("limit=2&order=asc", lines[0], lines[1])
	p := e.logs(t, "edge", "limit=2&order=asc")
	if p.NextCursor == nil {
		t.Fatal("first page of 2 of 5 rows has no next_cursor")
	}
	f("limit=2&order=asc&cursor="+url.QueryEscape(*p.NextCursor), lines[2], lines[3])
	if last := e.logs(t, "edge", "limit=1000"); last.NextCursor != nil {
		t.Errorf("last page next_cursor; got %q; want null", *last.NextCursor)
	}
	if p := e.logs(t, "edge", "date=2001-01-01"); len(p.Rows) != 0 {
		t.Errorf("a day without file; got %d rows; want 0", len(p.Rows))
	}

	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/export.csv?order=asc&date=" + today, Token: e.viewer})
	if r.Status != 200 {
		t.Fatalf("export; got %d %s", r.Status, r.Body)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="edge_`+today+`.csv"` {
		t.Errorf("Content-Disposition; got %q", cd)
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("export is not RFC 4180 CSV: %v\n%s", err, r.Body)
	}
	if got, want := strings.Join(recs[0], ","), strings.Join(wantCols[1:], ","); got != want {
		t.Fatalf("csv header; got %q; want %q", got, want)
	}
	if len(recs) != 6 {
		t.Fatalf("csv rows; got %d; want header + 5", len(recs))
	}
	msg := slices.Index(recs[0], "msg")
	if got := recs[2][msg]; got != `'=HYPERLINK("x")` {
		t.Errorf("formula cell; got %q; want it prefixed with '", got)
	}
	if got := recs[3][msg]; got != `"quoted,comma"` {
		t.Errorf("quoted cell; got %q; want %q", got, `"quoted,comma"`)
	}
	if got := recs[4][msg]; got != "" {
		t.Errorf("NULL cell; got %q; want empty", got)
	}
	r = e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/export.csv?filter=msg:hello&from_date=" + time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02") + "&to_date=" + today, Token: e.viewer})
	if r.Status != 200 || !strings.HasPrefix(string(r.Body), "date,log_sender_ip") || strings.Count(string(r.Body), "\n") != 3 {
		t.Errorf("range export; got %d %q; want a date column and 2 rows", r.Status, r.Body)
	}

	e.Run(t, []apitest.Scenario{
		{Name: "viewer cannot delete a day", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/engines/edge/days/" + today, Token: e.viewer}, Status: 403},
		{Name: "stop", Request: apitest.Request{Method: "POST", Path: "/api/v1/engines/edge/stop", Token: e.admin}, Status: 200,
			Contains: []string{`"state":"stopped"`, `"enabled":false`}},
		{Name: "delete day", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/engines/edge/days/" + today, Token: e.admin}, Status: 204},
		{Name: "day gone", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/days", Token: e.viewer}, Status: 200, Contains: []string{`[]`}},
		{Name: "delete missing day", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/engines/edge/days/" + today, Token: e.admin}, Status: 404},
		{Name: "start", Request: apitest.Request{Method: "POST", Path: "/api/v1/engines/edge/start", Token: e.admin}, Status: 200, Contains: []string{`"state":"running"`}},
		{Name: "patch retention", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/engines/edge", Token: e.admin,
			Body: map[string]any{"retention_days": 3}}, Status: 200, Contains: []string{`"retention_days":3`}},
		{Name: "delete engine", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/engines/edge?purge=true", Token: e.admin}, Status: 204},
		{Name: "engine gone", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/edge", Token: e.viewer}, Status: 404},
		{Name: "delete class", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/classes/t1", Token: e.admin}, Status: 204},
	})
}

func TestValidationErrorsNameTheField(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	e.createEngine(t, "edge")
	eng := func(m map[string]any) map[string]any {
		b := map[string]any{"name": "new1", "class": "t1", "bind": "127.0.0.1", "port": 1, "timezone": "UTC"}
		for k, v := range m {
			b[k] = v
		}
		return b
	}
	post := func(path string, body any) apitest.Request {
		return apitest.Request{Method: "POST", Path: path, Token: e.admin, Body: body}
	}
	get := func(path string) apitest.Request { return apitest.Request{Method: "GET", Path: path, Token: e.admin} }
	e.Run(t, []apitest.Scenario{
		{Name: "class name", Request: post("/api/v1/classes", `{"name":"Bad-Name","patterns":{"a":"x"}}`), Status: 400, Field: "name"},
		{Name: "class regex", Request: post("/api/v1/classes", `{"name":"c2","patterns":{"a":"x","bad":"(unclosed"}}`), Status: 400,
			Field: "patterns.bad", Contains: []string{"position"}},
		{Name: "reserved key", Request: post("/api/v1/classes", `{"name":"c2","patterns":{"time":"x"}}`), Status: 400, Field: "patterns.time"},
		{Name: "patterns missing", Request: post("/api/v1/classes", `{"name":"c2"}`), Status: 400, Field: "patterns"},
		{Name: "class unknown field", Request: post("/api/v1/classes", `{"name":"c2","patterns":{"a":"x"},"color":"red"}`), Status: 400, Field: "color"},
		{Name: "playground names the key", Request: post("/api/v1/classes/test", `{"patterns":{"ok":"x","bad":"a)"},"lines":[]}`), Status: 400, Field: "patterns.bad"},
		{Name: "import garbage", Request: post("/api/v1/classes/import", `not json`), Status: 400},
		{Name: "import", Request: post("/api/v1/classes/import", `{"ENGINE_CLASSES":{"imp1":{"k":"k=(\\d+)"},"t1":{"k":"x"},"bad":{"k":"(?<=a)b"}}}`),
			Status: 200, Contains: []string{`"imported":["imp1"]`, `"name":"t1"`, `"name":"bad"`}},
		{Name: "engine name", Request: post("/api/v1/engines", eng(map[string]any{"name": "Bad Name"})), Status: 400, Field: "name"},
		{Name: "engine port", Request: post("/api/v1/engines", eng(map[string]any{"port": 70000})), Status: 400, Field: "port"},
		{Name: "engine port type", Request: post("/api/v1/engines", eng(map[string]any{"port": "514"})), Status: 400, Field: "port"},
		{Name: "engine class", Request: post("/api/v1/engines", eng(map[string]any{"class": "nope"})), Status: 400, Field: "class"},
		{Name: "engine timezone", Request: post("/api/v1/engines", eng(map[string]any{"timezone": "Mars/Base"})), Status: 400, Field: "timezone"},
		{Name: "engine bind", Request: post("/api/v1/engines", eng(map[string]any{"bind": "example.com"})), Status: 400, Field: "bind"},
		{Name: "engine retention", Request: post("/api/v1/engines", eng(map[string]any{"retention_days": -1})), Status: 400, Field: "retention_days"},
		{Name: "engine unknown field", Request: post("/api/v1/engines", eng(map[string]any{"state": "running"})), Status: 400, Field: "state"},
		{Name: "engine rename", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/engines/edge", Token: e.admin, Body: `{"name":"edge2"}`}, Status: 400, Field: "name"},
		{Name: "logs limit", Request: get("/api/v1/engines/edge/logs?limit=1001"), Status: 400, Field: "limit"},
		{Name: "logs order", Request: get("/api/v1/engines/edge/logs?order=up"), Status: 400, Field: "order"},
		{Name: "logs match", Request: get("/api/v1/engines/edge/logs?q=a&match=regex"), Status: 400, Field: "match"},
		{Name: "csv match", Request: get("/api/v1/engines/edge/export.csv?q=a&match=Word"), Status: 400, Field: "match"},
		{Name: "logs date", Request: get("/api/v1/engines/edge/logs?date=2024-02-30"), Status: 400, Field: "date"},
		{Name: "logs from", Request: get("/api/v1/engines/edge/logs?from=25:00:00"), Status: 400, Field: "from"},
		{Name: "logs filter shape", Request: get("/api/v1/engines/edge/logs?filter=justtext"), Status: 400, Field: "filter"},
		{Name: "history seconds", Request: get("/api/v1/engines/edge/stats/history?seconds=-5"), Status: 400, Field: "seconds"},
		{Name: "csv date", Request: get("/api/v1/engines/edge/export.csv?date=yesterday"), Status: 400, Field: "date"},
		{Name: "csv range order", Request: get("/api/v1/engines/edge/export.csv?from_date=2024-02-02&to_date=2024-02-01"), Status: 400, Field: "to_date"},
		{Name: "csv missing day", Request: get("/api/v1/engines/edge/export.csv?date=2001-01-01"), Status: 404},
		{Name: "settings value", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin, Body: `{"min_free_percent":90}`}, Status: 400, Field: "min_free_percent"},
		{Name: "settings policy", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin, Body: `{"disk_full_policy":"panic"}`}, Status: 400, Field: "disk_full_policy"},
		{Name: "settings ok", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin, Body: `{"metrics_public":true}`}, Status: 200,
			Contains: []string{`"metrics_public":true`}},
		{Name: "metrics now public", Request: apitest.Request{Method: "GET", Path: "/metrics"}, Status: 200},
		{Name: "engine path trick", Request: get("/api/v1/engines/..%2F..%2Fetc/days"), Status: 400, Field: "name"},
		{Name: "engine dot name", Request: get("/api/v1/engines/..%2F/logs"), Status: 400, Field: "name"},
		{Name: "date path trick", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/engines/edge/days/..%2F..%2Flogsieve.db", Token: e.admin}, Status: 400, Field: "date"},
		{Name: "date with suffix", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/engines/edge/days/2024-01-01.sqlite3", Token: e.admin}, Status: 400, Field: "date"},
		{Name: "class path trick", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/classes/..%2Ft1", Token: e.admin}, Status: 400, Field: "name"},
	})
	// The server answers 413 while the client is still sending: over a raw
	// connection the answer is read whatever happened to the write.
	big := `{"lines":["` + strings.Repeat("x", 2<<20) + `"]}`
	if got := rawStatus(t, e.Addr, "POST", "/api/v1/classes/test", e.admin, big); got != 413 {
		t.Errorf("body too large; got %d; want 413", got)
	}
}

func TestWebsocketPushesStatsAndTailsRows(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	port := e.createEngine(t, "edge")
	u := "ws://" + e.Addr + "/api/v1/ws"

	_, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial without token; got %v %v; want 401", resp, err)
	}
	_, resp, err = websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + e.viewer}, "Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dial from another origin; got %v %v; want 403", resp, err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Cookie": {"logsieve_token=" + e.viewer}, "Origin": {"http://" + e.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var msg struct {
		Type    string                     `json:"type"`
		Engines map[string]json.RawMessage `json:"engines"`
		System  map[string]any             `json:"system"`
		Engine  string                     `json:"engine"`
		Columns []string                   `json:"columns"`
		Rows    [][]*string                `json:"rows"`
	}
	if err := conn.ReadJSON(&msg); err != nil || msg.Type != "stats" || msg.Engines["edge"] == nil || msg.System["hostname"] == nil {
		t.Fatalf("first message; got %+v, %v; want stats with engine edge and system", msg, err)
	}
	if err := conn.WriteJSON(map[string]string{"type": "tail", "engine": "edge"}); err != nil {
		t.Fatal(err)
	}
	// Send until a tail message arrives (the subscription races the first datagrams).
	for i := 0; ; i++ {
		sendUDP(t, port, fmt.Sprintf("x msg=tail%d", i))
		msg.Type = ""
		if err := conn.ReadJSON(&msg); err != nil {
			t.Fatalf("waiting for tail rows: %v", err)
		}
		if msg.Type == "tail" {
			break
		}
	}
	if msg.Engine != "edge" || len(msg.Rows) == 0 || !strings.Contains(strings.Join(msg.Columns, ","), "msg") {
		t.Fatalf("tail message; got %+v", msg)
	}
	if err := conn.WriteJSON(map[string]string{"type": "tail", "engine": "ghost"}); err != nil {
		t.Fatal(err)
	}
	for msg.Type != "error" {
		msg.Type = ""
		if err := conn.ReadJSON(&msg); err != nil {
			t.Fatalf("waiting for the error about engine ghost: %v", err)
		}
	}
}
