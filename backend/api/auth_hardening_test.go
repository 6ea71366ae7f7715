package api_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/internal/apitest"
)

func TestWhitespaceOnlyPasswordsAreRefused(t *testing.T) {
	e := newEnv(t)
	blank := strings.Repeat(" ", 12)
	e.Run(t, []apitest.Scenario{
		{Name: "own password", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/password", Token: e.viewer,
			Body: map[string]string{"current": viewerPassword, "new": blank}}, Status: 400, Field: "new", Contains: []string{"white space"}},
		{Name: "tabs and newlines", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/password", Token: e.viewer,
			Body: map[string]string{"current": viewerPassword, "new": "\t\t\t\t\t\n\n\n\n\n\u00a0\u2003"}}, Status: 400, Field: "new"},
		{Name: "new user", Request: apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin,
			Body: map[string]any{"username": "blank", "password": blank, "role": "viewer"}}, Status: 400, Field: "password"},
		{Name: "set by an admin", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/users/viewer", Token: e.admin,
			Body: map[string]any{"password": blank}}, Status: 400, Field: "password"},
		{Name: "the old password still works", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/login",
			Body: map[string]string{"username": "viewer", "password": viewerPassword}}, Status: 200},
		{Name: "inner spaces are fine", Request: apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin,
			Body: map[string]any{"username": "spaced", "password": "  a b c d e  ", "role": "viewer"}}, Status: 201},
	})
}

func TestWrongCurrentPasswordsAreThrottledLikeLogins(t *testing.T) {
	e := newEnv(t)
	change := func(current string) *apitest.Response {
		return e.Do(apitest.Request{Method: "POST", Path: "/api/v1/auth/password", Token: e.viewer,
			Body: map[string]string{"current": current, "new": "a new password 1"}})
	}
	for i := range auth.FailLimit {
		if r := change(fmt.Sprintf("guess %d", i)); r.Status != 400 || r.ErrorField() != "current" {
			t.Fatalf("wrong guess %d; got %d %s; want 400 field current", i+1, r.Status, r.Body)
		}
	}
	r := change(viewerPassword)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("right password after %d wrong ones; got %d %s Retry-After %q; want 429 with Retry-After",
			auth.FailLimit, r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	e.skew.Store(int64(auth.FailWindow + time.Second))
	if r := change(viewerPassword); r.Status != 200 {
		t.Fatalf("after the window; got %d %s; want 200", r.Status, r.Body)
	}
}

func TestEmptyTrustedProxiesTrustsNobody(t *testing.T) {
	e := newEnv(t)
	r := e.Do(apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin, Body: `{"trusted_proxies":[]}`})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"trusted_proxies":[]`) {
		t.Fatalf("settings; got %d %s; want 200 with an empty list", r.Status, r.Body)
	}
	// The loopback peer is no proxy now: five failures behind five forged X-Forwarded-For
	// addresses all count against 127.0.0.1.
	try := func(pw, xff string) *apitest.Response {
		return e.Do(apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Header: map[string]string{"X-Forwarded-For": xff},
			Body: map[string]string{"username": "viewer", "password": pw}})
	}
	for i := range auth.FailLimit {
		if r := try("wrong password", fmt.Sprintf("203.0.113.%d", i+1)); r.Status != 401 {
			t.Fatalf("failure %d; got %d; want 401", i+1, r.Status)
		}
	}
	if r := try(viewerPassword, "203.0.113.99"); r.Status != 429 {
		t.Fatalf("behind another forged address; got %d %s; want 429", r.Status, r.Body)
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := newEnv(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Header: map[string]string{"Authorization": scheme + " " + e.viewer}})
		if r.Status != 200 {
			t.Errorf("scheme %q; got %d %s; want 200", scheme, r.Status, r.Body)
		}
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Header: map[string]string{"Authorization": "Basic " + e.viewer}}); r.Status != 401 {
		t.Errorf("scheme Basic; got %d; want 401", r.Status)
	}
}

func TestDistributedGuessingOnOneUserIsThrottledAcrossAddresses(t *testing.T) {
	e := newEnv(t)
	try := func(user, pw, xff string) *apitest.Response {
		return e.Do(apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Header: map[string]string{"X-Forwarded-For": xff},
			Body: map[string]string{"username": user, "password": pw}})
	}
	const home = "198.51.100.7" // where the viewer logs in from
	if r := try("viewer", viewerPassword, home); r.Status != 200 {
		t.Fatalf("login from home; got %d %s", r.Status, r.Body)
	}
	// UserFailLimit guesses spread so thinly over addresses that no address and no
	// (user, address) pair reaches FailLimit.
	per := auth.FailLimit - 1
	for i := range auth.UserFailLimit {
		ip := fmt.Sprintf("203.0.113.%d", i/per+1)
		if r := try("viewer", fmt.Sprintf("guess %d", i), ip); r.Status != 401 {
			t.Fatalf("guess %d from %s; got %d %s; want 401", i+1, ip, r.Status, r.Body)
		}
	}
	r := try("viewer", viewerPassword, "192.0.2.50")
	if r.Status != 429 {
		t.Fatalf("right password from a new address; got %d %s; want 429", r.Status, r.Body)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s <= 0 || s > int(auth.UserFailWindow/time.Second) {
		t.Errorf("Retry-After %q; want 1..%d seconds", r.Header.Get("Retry-After"), int(auth.UserFailWindow/time.Second))
	}
	if r := try("viewer", viewerPassword, home); r.Status != 200 {
		t.Fatalf("the owner from an address that logged in before; got %d %s; want 200", r.Status, r.Body)
	}
	if r := try("admin", adminPassword, "192.0.2.51"); r.Status != 200 {
		t.Fatalf("another user from a new address; got %d %s; want 200", r.Status, r.Body)
	}
	e.skew.Store(int64(auth.UserFailWindow + time.Second))
	if r := try("viewer", viewerPassword, "192.0.2.52"); r.Status != 200 {
		t.Fatalf("a new address after the window; got %d %s; want 200", r.Status, r.Body)
	}
}
