// Package apitest runs HTTP scenarios against a real server listening on a random
// 127.0.0.1 port. It imports no domain package: the test supplies the server.
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Client calls a server started by Start.
type Client struct {
	Base string // http://127.0.0.1:port
	Addr string // 127.0.0.1:port
	HTTP *http.Client
	t    testing.TB
}

// Start listens on 127.0.0.1:0, runs serve(listener) in a goroutine and registers stop
// (which must make serve return) as a cleanup that waits for serve to end.
func Start(t testing.TB, serve func(net.Listener) error, stop func()) *Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(ln) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("server did not stop within 10s")
		}
	})
	addr := ln.Addr().String()
	return &Client{Base: "http://" + addr, Addr: addr, HTTP: &http.Client{Timeout: 30 * time.Second}, t: t}
}

// Response is a finished call.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("cannot decode body %q: %v", r.Body, err)
	}
}

// ErrorField returns the "field" of an error body ("" when absent or not JSON).
func (r *Response) ErrorField() string {
	var e struct {
		Field string `json:"field"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Field
}

// Request describes one call. Body: a string or []byte is sent as is, anything else as
// JSON. Token, when set, is sent as a Bearer header.
type Request struct {
	Method string
	Path   string
	Token  string
	Body   any
	Header map[string]string
}

// Do performs a request and reads the whole answer.
func (c *Client) Do(r Request) *Response {
	c.t.Helper()
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	req, err := http.NewRequest(r.Method, c.Base+r.Path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading body: %v", r.Method, r.Path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Scenario is one call and what its answer must hold.
type Scenario struct {
	Name     string
	Request                    // embedded call
	Status   int               // expected status
	Field    string            // expected "field" of an error body, when not empty
	Contains []string          // substrings the body must hold
	Headers  map[string]string // headers that must hold these substrings
}

// Run performs each scenario as a subtest.
func (c *Client) Run(t *testing.T, scenarios []Scenario) {
	t.Helper()
	for _, s := range scenarios {
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("%s %s", s.Method, s.Path)
		}
		t.Run(name, func(t *testing.T) {
			t.Helper()
			r := c.Do(s.Request)
			if r.Status != s.Status {
				t.Fatalf("%s %s: unexpected status; got %d (%s); want %d", s.Method, s.Path, r.Status, r.Body, s.Status)
			}
			if s.Field != "" && r.ErrorField() != s.Field {
				t.Errorf("%s %s: unexpected error field; got %q (%s); want %q", s.Method, s.Path, r.ErrorField(), r.Body, s.Field)
			}
			for _, want := range s.Contains {
				if !bytes.Contains(r.Body, []byte(want)) {
					t.Errorf("%s %s: body lacks %q; got %s", s.Method, s.Path, want, r.Body)
				}
			}
			for h, want := range s.Headers {
				if got := r.Header.Get(h); !strings.Contains(got, want) {
					t.Errorf("%s %s: header %s; got %q; want it to hold %q", s.Method, s.Path, h, got, want)
				}
			}
		})
	}
}

// Eventually polls cond every 20ms until it holds or the deadline passes.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
