package api_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/golang-jwt/jwt/v5"

	"github.com/logsieve/logsieve/backend/api"
	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// hostileEnv is a server with engine "edge" (class t1) holding four known rows.
func hostileEnv(t *testing.T) (*env, []string) {
	t.Helper()
	e := newEnv(t)
	if r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody}); r.Status != 201 {
		t.Fatalf("create class; got %d %s", r.Status, r.Body)
	}
	port := e.createEngine(t, "edge")
	lines := []string{
		"x msg=alice ->10.0.0.1:53",
		"x msg=bob'-- ->10.0.0.2:80",
		`=cmd|' /C calc'!A0 msg=@SUM(1) ->10.0.0.3:1`,
		"+1+2 msg=-3 ->10.0.0.4:2",
	}
	sendUDP(t, port, lines...)
	apitest.Eventually(t, 10*time.Second, "the four rows", func() bool { return len(e.logs(t, "edge", "").Rows) == 4 })
	return e, lines
}

// TestHostileHTTPInput runs every hostile-input check against one server (a
// server costs about two seconds under -race).
func TestHostileHTTPInput(t *testing.T) {
	e, lines := hostileEnv(t)
	t.Run("query strings are literals or refused", func(t *testing.T) { hostileQueryStrings(t, e) })
	t.Run("names and path params are refused", func(t *testing.T) { hostileNamesAndPaths(t, e) })
	t.Run("bodies are refused without harm", func(t *testing.T) { hostileBodies(t, e) })
	t.Run("csv export neutralises formulas", func(t *testing.T) { csvNeutralisesFormulas(t, e, lines) })
	t.Run("cors is closed and security headers are set", func(t *testing.T) { corsAndHeaders(t, e) })
	t.Run("forged tokens are rejected", func(t *testing.T) { forgedTokens(t, e) })
	t.Run("path params outlive their request", func(t *testing.T) { paramsOutliveRequest(t, e) })
}

// paramsOutliveRequest edits a class through PUT /classes/:name and then sends
// other requests on the same connection: the name kept by the factory must not
// be a view of the request buffer that later requests overwrite.
func paramsOutliveRequest(t *testing.T, e *env) {
	r := e.Do(apitest.Request{Method: "PUT", Path: "/api/v1/classes/t1", Token: e.admin,
		Body: `{"patterns":{"msg":"msg=(\\S+)","dst_ip":"->(\\S+)"}}`})
	if r.Status != 200 {
		t.Fatalf("PUT class; got %d %s", r.Status, r.Body)
	}
	for i := 0; i < 5; i++ {
		e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/logs?limit=1&q=zz", Token: e.viewer})
	}
	e.Run(t, []apitest.Scenario{
		{Name: "class still found", Request: apitest.Request{Method: "GET", Path: "/api/v1/classes/t1", Token: e.viewer}, Status: 200, Contains: []string{`"name":"t1"`}},
		{Name: "class listed under its name", Request: apitest.Request{Method: "GET", Path: "/api/v1/classes", Token: e.viewer}, Status: 200, Contains: []string{`"name":"t1"`}},
		{Name: "engine logs still answer", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/logs?limit=1", Token: e.viewer}, Status: 200},
	})
}

func hostileQueryStrings(t *testing.T, e *env) {
	get := func(q string) apitest.Request {
		return apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/logs?" + q, Token: e.viewer}
	}
	csvGet := func(q string) apitest.Request {
		return apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/export.csv?" + q, Token: e.viewer}
	}
	esc := url.QueryEscape
	e.Run(t, []apitest.Scenario{
		{Name: "filter text with quote-or", Request: get("filter=" + esc("msg:' OR '1'='1")), Status: 200, Contains: []string{`"rows":[]`}},
		{Name: "exact filter with comment", Request: get("filter=" + esc("msg=' OR 1=1 --")), Status: 200, Contains: []string{`"rows":[]`}},
		{Name: "q with drop table", Request: get("q=" + esc("%'; DROP TABLE logs; --")), Status: 200, Contains: []string{`"rows":[]`}},
		{Name: "q with like wildcard", Request: get("q=" + esc("%")), Status: 200, Contains: []string{`"rows":[]`}},
		{Name: "filter column injection", Request: get("filter=" + esc(`msg" OR 1=1 --:x`)), Status: 400, Field: "filter"},
		{Name: "filter column with bracket", Request: get("filter=" + esc("msg]) OR 1=1 --:x")), Status: 400, Field: "filter"},
		{Name: "filter column NUL", Request: get("filter=" + esc("msg\x00:x")), Status: 400, Field: "filter"},
		{Name: "filter text NUL", Request: get("filter=" + esc("msg:a\x00b")), Status: 200, Contains: []string{`"rows":[]`}},
		{Name: "from injection", Request: get("from=" + esc("00:00:00' OR '1'='1")), Status: 400, Field: "from"},
		{Name: "to injection", Request: get("to=" + esc("23:59:59;--")), Status: 400, Field: "to"},
		{Name: "cursor injection", Request: get("cursor=" + esc("1 OR 1=1")), Status: 400, Field: "cursor"},
		{Name: "negative cursor", Request: get("cursor=-1"), Status: 400, Field: "cursor"},
		{Name: "limit injection", Request: get("limit=" + esc("10; DROP TABLE logs")), Status: 400, Field: "limit"},
		{Name: "limit overflow", Request: get("limit=99999999999999999999"), Status: 400, Field: "limit"},
		{Name: "order injection", Request: get("order=" + esc("desc; DROP TABLE logs")), Status: 400, Field: "order"},
		{Name: "date injection", Request: get("date=" + esc("2024-01-01' --")), Status: 400, Field: "date"},
		{Name: "date NUL", Request: get("date=" + esc("2024-01-01\x00")), Status: 400, Field: "date"},
		{Name: "date traversal", Request: get("date=" + esc("../../logsieve")), Status: 400, Field: "date"},
		{Name: "csv filter column injection", Request: csvGet("filter=" + esc(`msg" OR 1=1 --:x`)), Status: 400, Field: "filter"},
		{Name: "csv date with CRLF header", Request: csvGet("date=" + esc("2024-01-01\r\nSet-Cookie: pwned=1")), Status: 400, Field: "date"},
		{Name: "csv from_date with quote", Request: csvGet("from_date=" + esc(`2024-01-01"; x="`) + "&to_date=2024-01-02"), Status: 400, Field: "from_date"},
		{Name: "csv to_date with CRLF", Request: csvGet("from_date=2024-01-01&to_date=" + esc("2024-01-02\r\nX-Evil: 1")), Status: 400, Field: "to_date"},
	})
	// The quote is a literal: exactly the row that holds it matches.
	if p := e.logs(t, "edge", "filter="+esc("msg:bob'--")); len(p.Rows) != 1 {
		t.Fatalf("literal quote filter; got %d rows; want 1", len(p.Rows))
	}
	if p := e.logs(t, "edge", "filter="+esc("msg=bob'--")); len(p.Rows) != 1 {
		t.Fatalf("literal quote exact filter; got %d rows; want 1", len(p.Rows))
	}
	// Nothing was dropped or altered by the attempts.
	if p := e.logs(t, "edge", ""); len(p.Rows) != 4 {
		t.Fatalf("rows after the injection attempts; got %d; want 4", len(p.Rows))
	}
}

func hostileNamesAndPaths(t *testing.T, e *env) {
	post := func(p string, body any) apitest.Request {
		return apitest.Request{Method: "POST", Path: p, Token: e.admin, Body: body}
	}
	get := func(p string) apitest.Request { return apitest.Request{Method: "GET", Path: p, Token: e.admin} }
	del := func(p string) apitest.Request { return apitest.Request{Method: "DELETE", Path: p, Token: e.admin} }
	sqlName := "x'; DROP TABLE users; --"
	e.Run(t, []apitest.Scenario{
		{Name: "class name sql", Request: post("/api/v1/classes", map[string]any{"name": sqlName, "patterns": map[string]string{"a": "x"}}), Status: 400, Field: "name"},
		{Name: "class key sql", Request: post("/api/v1/classes", map[string]any{"name": "c2", "patterns": map[string]string{`a") --`: "x"}}), Status: 400, Field: `patterns.a") --`},
		{Name: "class key NUL", Request: post("/api/v1/classes", map[string]any{"name": "c2", "patterns": map[string]string{"a\x00": "x"}}), Status: 400},
		{Name: "engine name sql", Request: post("/api/v1/engines", map[string]any{"name": sqlName, "class": "t1", "port": 1}), Status: 400, Field: "name"},
		{Name: "engine class sql", Request: post("/api/v1/engines", map[string]any{"name": "e2", "class": sqlName, "port": freeUDPPort(t), "bind": "127.0.0.1"}), Status: 400, Field: "class"},
		{Name: "engine bind sql", Request: post("/api/v1/engines", map[string]any{"name": "e2", "class": "t1", "port": freeUDPPort(t), "bind": "127.0.0.1' --"}), Status: 400, Field: "bind"},
		{Name: "engine timezone traversal", Request: post("/api/v1/engines", map[string]any{"name": "e2", "class": "t1", "port": freeUDPPort(t), "bind": "127.0.0.1", "timezone": "../../../etc/passwd"}), Status: 400, Field: "timezone"},
		{Name: "username sql", Request: post("/api/v1/users", map[string]any{"username": sqlName, "password": "long enough password", "role": "viewer"}), Status: 400},
		{Name: "username NUL", Request: post("/api/v1/users", map[string]any{"username": "eve\x00admin", "password": "long enough password", "role": "viewer"}), Status: 400},
		{Name: "login sql", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"username": "admin' --", "password": "' OR '1'='1"}}, Status: 401},
		{Name: "engine NUL", Request: get("/api/v1/engines/edge%00/logs"), Status: 400, Field: "name"},
		{Name: "engine NUL only", Request: get("/api/v1/engines/%00/days"), Status: 400, Field: "name"},
		{Name: "engine double-encoded traversal", Request: get("/api/v1/engines/%252e%252e%252f/days"), Status: 400, Field: "name"},
		{Name: "engine dotdot", Request: get("/api/v1/engines/../logs"), Status: 400, Field: "name"},
		{Name: "day NUL", Request: del("/api/v1/engines/edge/days/2024-01-01%00"), Status: 400, Field: "date"},
		{Name: "day traversal with valid prefix", Request: del("/api/v1/engines/edge/days/2024-01-01%2F..%2F..%2Flogsieve.db"), Status: 400, Field: "date"},
		{Name: "class NUL", Request: del("/api/v1/classes/t1%00"), Status: 400, Field: "name"},
		{Name: "user NUL", Request: del("/api/v1/users/admin%00"), Status: 400},
		{Name: "user traversal", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/users/..%2F..%2Fadmin", Token: e.admin, Body: `{"role":"viewer"}`}, Status: 400},
	})
	// The metadata survived every attempt.
	for _, p := range []string{"/api/v1/users", "/api/v1/classes/t1", "/api/v1/engines/edge"} {
		if r := e.Do(get(p)); r.Status != 200 {
			t.Fatalf("GET %s after the attempts; got %d %s; want 200", p, r.Status, r.Body)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "logsieve.db")); err != nil {
		t.Fatalf("metadata DB after the attempts: %v", err)
	}
}

func hostileBodies(t *testing.T, e *env) {
	big := strings.Repeat("x", api.BodyLimit+1)
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	deepObj := `{"name":"c","patterns":` + strings.Repeat(`{"a":`, 100000) + `"x"` + strings.Repeat("}", 100000) + "}"
	body := func(method, p, b string, token string) apitest.Request {
		return apitest.Request{Method: method, Path: p, Token: token, Body: b}
	}
	// An oversized body is answered 413 while the client is still sending, so
	// these go over a raw connection that reads the answer whatever the write did.
	for _, c := range []struct{ name, method, path, token, body string }{
		{"oversized login before auth", "POST", "/api/v1/auth/login", "", `{"username":"` + big + `"}`},
		{"oversized class", "POST", "/api/v1/classes", e.admin, `{"name":"` + big + `"}`},
		{"oversized import", "POST", "/api/v1/classes/import", e.admin, big},
		{"oversized settings", "PUT", "/api/v1/settings", e.admin, big},
		{"oversized anonymous", "POST", "/api/v1/users", "", big},
	} {
		if got := rawStatus(t, e.Addr, c.method, c.path, c.token, c.body); got != http.StatusRequestEntityTooLarge {
			t.Errorf("%s; got %d; want 413", c.name, got)
		}
	}
	e.Run(t, []apitest.Scenario{
		{Name: "deep array", Request: body("POST", "/api/v1/classes", deep, e.admin), Status: 400},
		{Name: "deep object", Request: body("POST", "/api/v1/classes", deepObj, e.admin), Status: 400},
		{Name: "deep import", Request: body("POST", "/api/v1/classes/import", `{"ENGINE_CLASSES":`+deep+`}`, e.admin), Status: 400},
		{Name: "deep playground", Request: body("POST", "/api/v1/classes/test", `{"patterns":{},"lines":`+deep+`}`, e.viewer), Status: 400},
		{Name: "top-level array", Request: body("POST", "/api/v1/classes", `[]`, e.admin), Status: 400},
		{Name: "top-level null", Request: body("POST", "/api/v1/engines", `null`, e.admin), Status: 400},
		{Name: "two values", Request: body("POST", "/api/v1/auth/login", `{"username":"admin","password":"x"}{"username":"admin"}`, ""), Status: 400},
		{Name: "truncated", Request: body("POST", "/api/v1/users", `{"username":"bob","password":`, e.admin), Status: 400},
		{Name: "invalid utf-8 name", Request: body("POST", "/api/v1/classes", "{\"name\":\"\xff\xfe\",\"patterns\":{\"a\":\"x\"}}", e.admin), Status: 400, Field: "name"},
		{Name: "huge number", Request: body("POST", "/api/v1/engines", `{"name":"e","class":"x","port":1e400}`, e.admin), Status: 400},
		{Name: "unknown field users", Request: body("POST", "/api/v1/users", `{"username":"bob","password":"long enough pw","role":"viewer","admin":true}`, e.admin), Status: 400, Field: "admin"},
		{Name: "unknown field user patch", Request: body("PATCH", "/api/v1/users/viewer", `{"role":"viewer","is_admin":true}`, e.admin), Status: 400, Field: "is_admin"},
		{Name: "unknown field settings", Request: body("PUT", "/api/v1/settings", `{"jwt_secret":"x"}`, e.admin), Status: 400, Field: "jwt_secret"},
		{Name: "unknown field password", Request: body("POST", "/api/v1/auth/password", `{"current":"x","new":"long enough pw","role":"admin"}`, e.viewer), Status: 400, Field: "role"},
		{Name: "unknown field playground", Request: body("POST", "/api/v1/classes/test", `{"patterns":{},"lines":[],"exec":"x"}`, e.viewer), Status: 400, Field: "exec"},
		{Name: "unknown field engine patch", Request: body("PATCH", "/api/v1/engines/edge", `{"dir":"/etc"}`, e.admin), Status: 400, Field: "dir"},
		{Name: "still healthy", Request: apitest.Request{Method: "GET", Path: "/healthz"}, Status: 200},
	})
	// A chunked body (no Content-Length) over the limit is refused too.
	if got := rawStatus(t, e.Addr, "POST", "/api/v1/classes/test", e.viewer, "\x00chunked"+`{"lines":["`+big+`"]}`); got != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked oversized body; got %d; want 413", got)
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/healthz"}); r.Status != 200 {
		t.Fatalf("server after hostile bodies; got %d", r.Status)
	}
}

// rawStatus sends one request over a fresh connection, writing the body in the
// background, and returns the status of the answer (0 when none came). A body
// starting "\x00chunked" is sent with chunked transfer encoding instead.
func rawStatus(t *testing.T, addr, method, path, token, body string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n", method, path, addr)
	if token != "" {
		fmt.Fprintf(&head, "Authorization: Bearer %s\r\n", token)
	}
	payload := []byte(body)
	if b, ok := strings.CutPrefix(body, "\x00chunked"); ok {
		head.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		var cb bytes.Buffer
		for len(b) > 0 {
			n := min(len(b), 64<<10)
			fmt.Fprintf(&cb, "%x\r\n%s\r\n", n, b[:n])
			b = b[n:]
		}
		cb.WriteString("0\r\n\r\n")
		payload = cb.Bytes()
	} else {
		fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", len(body))
	}
	go func() {
		_, _ = conn.Write([]byte(head.String()))
		_, _ = conn.Write(payload) // may fail once the server has answered and closed
	}()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func csvNeutralisesFormulas(t *testing.T, e *env, lines []string) {
	today := time.Now().UTC().Format("2006-01-02")
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/export.csv?order=asc", Token: e.viewer})
	if r.Status != 200 {
		t.Fatalf("export; got %d %s", r.Status, r.Body)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="edge_`+today+`.csv"` {
		t.Fatalf("Content-Disposition; got %q", cd)
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := map[string]int{}
	for i, c := range recs[0] {
		head[c] = i
	}
	f := func(row int, col, want string) {
		t.Helper()
		if got := recs[row][head[col]]; got != want {
			t.Errorf("row %d %s; got %q; want %q", row, col, got, want)
		}
	}
	f(3, "original_log", "'"+lines[2])
	f(3, "msg", "'@SUM(1)")
	f(4, "original_log", "'"+lines[3])
	f(4, "msg", "'-3")
	f(1, "original_log", lines[0])
	// Every cell that a spreadsheet would evaluate is neutralised.
	for i, rec := range recs[1:] {
		for j, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d column %s starts with %q: %q", i+1, recs[0][j], cell[0], cell)
			}
		}
	}
}

func corsAndHeaders(t *testing.T, e *env) {
	evil := map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "GET",
		"Access-Control-Request-Headers": "authorization"}
	for _, req := range []apitest.Request{
		{Method: "OPTIONS", Path: "/api/v1/engines", Header: evil},
		{Method: "GET", Path: "/api/v1/engines", Token: e.admin, Header: evil},
		{Method: "POST", Path: "/api/v1/auth/login", Header: evil, Body: map[string]string{"username": "admin", "password": adminPassword}},
	} {
		r := e.Do(req)
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers"} {
			if v := r.Header.Get(h); v != "" {
				t.Errorf("%s %s from another origin: %s = %q; want none", req.Method, req.Path, h, v)
			}
		}
	}
	want := map[string]string{
		"Content-Security-Policy": api.CSP,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "",
		"Referrer-Policy":         "",
	}
	for _, p := range []string{"/", "/index.html", "/engines/edge/logs", "/api/v1/nothing", "/api/v1/auth/me"} {
		r := e.Do(apitest.Request{Method: "GET", Path: p})
		for h, v := range want {
			got := r.Header.Get(h)
			if got == "" || (v != "" && got != v) {
				t.Errorf("GET %s: %s; got %q; want %q", p, h, got, v)
			}
		}
		if xfo := strings.ToUpper(r.Header.Get("X-Frame-Options")); xfo != "DENY" && xfo != "SAMEORIGIN" {
			t.Errorf("GET %s: X-Frame-Options; got %q; want DENY or SAMEORIGIN", p, xfo)
		}
		if !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP lacks frame-ancestors 'none'", p)
		}
	}
}

func forgedTokens(t *testing.T, e *env) {
	secret, err := os.ReadFile(filepath.Join(e.dir, auth.SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.db.User("admin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "admin", "role": "admin", "jti": "forged", "ep": u.TokenEpoch,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// The control: a token made the server's way is accepted, so each refusal
	// below is for the one thing changed.
	if r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/users", Token: sign(jwt.SigningMethodHS256, secret, claims(nil))}); r.Status != 200 {
		t.Fatalf("control token; got %d %s; want 200", r.Status, r.Body)
	}
	cases := map[string]string{
		"wrong key":           sign(jwt.SigningMethodHS256, []byte("another secret that is 32 bytes!"), claims(nil)),
		"HS512 with the key":  sign(jwt.SigningMethodHS512, secret, claims(nil)),
		"HS384 with the key":  sign(jwt.SigningMethodHS384, secret, claims(nil)),
		"RS256":               sign(jwt.SigningMethodRS256, rsaKey, claims(nil)),
		"expired a second":    sign(jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() })),
		"no expiry":           sign(jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"issued in future":    sign(jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })),
		"not valid yet":       sign(jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })),
		"no jti":              sign(jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { delete(c, "jti") })),
		"unknown user":        sign(jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["sub"] = "ghost" })),
		"old epoch":           sign(jwt.SigningMethodHS256, secret, claims(func(c jwt.MapClaims) { c["ep"] = u.TokenEpoch - 1 })),
		"empty":               "",
		"two dots only":       "..",
		"huge":                strings.Repeat("a", 8000) + "." + strings.Repeat("b", 8000) + "." + strings.Repeat("c", 100),
		"header alg none b64": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiJ9.",
	}
	for name, tok := range cases {
		req := apitest.Request{Method: "GET", Path: "/api/v1/users", Header: map[string]string{"Authorization": "Bearer " + tok}}
		if r := e.Do(req); r.Status != 401 {
			t.Errorf("%s token; got %d %s; want 401", name, r.Status, r.Body)
		}
	}
	// A token in the query string is not a credential.
	if r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/users?token=" + e.admin}); r.Status != 401 {
		t.Errorf("token in the query string; got %d; want 401", r.Status)
	}
}

func TestBruteForceIsThrottledEvenWithRotatingNamesOrSpoofedForwardedFor(t *testing.T) {
	e := newEnv(t)
	try := func(user, pw, xff string) *apitest.Response {
		return e.Do(apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Header: map[string]string{"X-Forwarded-For": xff},
			Body: map[string]string{"username": user, "password": pw}})
	}
	// Rotating user names from one address: the address is blocked.
	for i := range 5 {
		if r := try(fmt.Sprintf("user%d", i), "wrong password", "198.51.100.1"); r.Status != 401 {
			t.Fatalf("failure %d; got %d; want 401", i+1, r.Status)
		}
	}
	if r := try("admin", adminPassword, "198.51.100.1"); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after five names from one address; got %d %q; want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
	// Once the loopback peer is no longer a trusted proxy, a forged X-Forwarded-For
	// does not give each attempt a fresh address.
	if r := e.Do(apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin, Body: `{"trusted_proxies":["192.0.2.1"]}`}); r.Status != 200 {
		t.Fatalf("settings; got %d %s", r.Status, r.Body)
	}
	for i := range 5 {
		if r := try("viewer", "wrong password", fmt.Sprintf("203.0.113.%d", i+1)); r.Status != 401 {
			t.Fatalf("spoofed failure %d; got %d; want 401", i+1, r.Status)
		}
	}
	if r := try("viewer", viewerPassword, "203.0.113.99"); r.Status != 429 {
		t.Fatalf("after five failures behind spoofed X-Forwarded-For; got %d %s; want 429", r.Status, r.Body)
	}
}

func TestWebsocketFloodDropsOnlyTheFlooder(t *testing.T) {
	e := newEnv(t)
	u := "ws://" + e.Addr + "/api/v1/ws"
	hdr := http.Header{"Authorization": {"Bearer " + e.viewer}}
	baseline := runtime.NumGoroutine()

	good, _, err := websocket.DefaultDialer.Dial(u, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	flood, _, err := websocket.DefaultDialer.Dial(u, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	// The flooder writes fast and never reads: its replies pile up and the server
	// must drop it rather than buffer without bound or stall the others.
	msgs := [][]byte{[]byte(`{"type":"tail","engine":"nope"}`), []byte(`not json`), []byte(`{"type":"x"}`), []byte(`{"type":"untail"}`)}
	for i := 0; i < 50000; i++ {
		_ = flood.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if err := flood.WriteMessage(websocket.TextMessage, msgs[i%len(msgs)]); err != nil {
			break // dropped by the server
		}
	}
	// An oversized message ends the flooder's connection in any case.
	_ = flood.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("a"), 64<<10))
	// The bound is generous: under -race on a loaded 2-core box the server
	// took more than 10 s to get through the flood (a flake, twice).
	_ = flood.SetReadDeadline(time.Now().Add(30 * time.Second))
	var rerr error
	for rerr == nil {
		_, _, rerr = flood.ReadMessage()
	}
	if ne, ok := rerr.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the flooding client is still connected after 30 s; want it dropped")
	}
	// The well-behaved client still gets its stats.
	_ = good.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < 3; i++ {
		var m struct {
			Type string `json:"type"`
		}
		if err := good.ReadJSON(&m); err != nil || m.Type != "stats" {
			t.Fatalf("well-behaved client during the flood; got %q, %v; want stats", m.Type, err)
		}
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines", Token: e.viewer}); r.Status != 200 {
		t.Fatalf("HTTP during the flood; got %d", r.Status)
	}
	good.Close()
	apitest.Eventually(t, 10*time.Second, "websocket goroutines to end", func() bool { return runtime.NumGoroutine() <= baseline+2 })
}
