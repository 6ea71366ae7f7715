package api_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

func TestEveryAPIAnswerIsNoStoreAndFramesAreDenied(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		req    apitest.Request
		status int
	}{
		{apitest.Request{Method: "GET", Path: "/api/v1/engines", Token: e.viewer}, 200},
		{apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: e.admin}, 200},
		{apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"username": "admin", "password": adminPassword}}, 200},
		{apitest.Request{Method: "GET", Path: "/api/v1/engines"}, 401},
		{apitest.Request{Method: "GET", Path: "/api/v1/users", Token: e.viewer}, 403},
		{apitest.Request{Method: "GET", Path: "/api/v1/engines/ghost", Token: e.viewer}, 404},
		{apitest.Request{Method: "GET", Path: "/api/v1/no/such/route"}, 404},
		{apitest.Request{Method: "GET", Path: "/api/v1/audit?limit=5000", Token: e.admin}, 400},
		{apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin, Body: `{"username":`}, 400},
	} {
		r := e.Do(c.req)
		if r.Status != c.status {
			t.Errorf("%s %s: unexpected status; got %d (%s); want %d", c.req.Method, c.req.Path, r.Status, r.Body, c.status)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s (%d): Cache-Control; got %q; want no-store", c.req.Method, c.req.Path, r.Status, got)
		}
		if got := r.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s %s: X-Frame-Options; got %q; want DENY", c.req.Method, c.req.Path, got)
		}
	}
	// 413 is answered before any route runs.
	status, hdr := rawAnswer(t, e.Addr, "POST /api/v1/classes/test", e.viewer, strings.Repeat("x", 2<<20))
	if status != http.StatusRequestEntityTooLarge || hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("oversized body; got %d Cache-Control %q; want 413 no-store", status, hdr.Get("Cache-Control"))
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/"}); r.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("GET /: X-Frame-Options; got %q; want DENY", r.Header.Get("X-Frame-Options"))
	}
}

// rawAnswer sends one request over a fresh connection, writing the body in the background
// (the server may answer before it is read), and returns the status and headers.
func rawAnswer(t *testing.T, addr, methodPath, token, body string) (int, http.Header) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	head := fmt.Sprintf("%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		methodPath, addr, token, len(body))
	go func() { _, _ = conn.Write([]byte(head + body)) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", methodPath, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header
}
