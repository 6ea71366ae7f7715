package api_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/logsieve/logsieve/backend/api"
	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// path fills the :params of a route with harmless values.
func path(p string) string {
	r := strings.NewReplacer(":name", "nope", ":u", "nobody", ":date", "2024-01-02")
	return r.Replace(p)
}

func TestEveryRouteNeedsATokenAndViewersCannotChange(t *testing.T) {
	e := newEnv(t)
	routes := e.srv.Routes()
	if len(routes) < 30 {
		t.Fatalf("route table; got %d routes; want every route of docs/api.md", len(routes))
	}
	var anon, asViewer []apitest.Scenario
	for _, r := range routes {
		if r.Access == auth.Public {
			continue
		}
		anon = append(anon, apitest.Scenario{Name: "anonymous " + r.Method + " " + r.Path,
			Request: apitest.Request{Method: r.Method, Path: path(r.Path), Body: "{}"}, Status: http.StatusUnauthorized})
		if r.Access == auth.Admin {
			asViewer = append(asViewer, apitest.Scenario{Name: "viewer " + r.Method + " " + r.Path,
				Request: apitest.Request{Method: r.Method, Path: path(r.Path), Token: e.viewer, Body: "{}"}, Status: http.StatusForbidden,
				Contains: []string{"admin role"}})
		}
	}
	anon = append(anon,
		apitest.Scenario{Name: "anonymous metrics", Request: apitest.Request{Method: "GET", Path: "/metrics"}, Status: http.StatusUnauthorized},
		apitest.Scenario{Name: "healthz is public", Request: apitest.Request{Method: "GET", Path: "/healthz"}, Status: 200, Contains: []string{"ok"}},
		apitest.Scenario{Name: "unknown api path", Request: apitest.Request{Method: "GET", Path: "/api/v1/nothing"}, Status: 404, Contains: []string{`"error"`}},
		apitest.Scenario{Name: "spa fallback", Request: apitest.Request{Method: "GET", Path: "/engines/demo/logs"}, Status: 200,
			Contains: []string{"<html"}, Headers: map[string]string{"Content-Security-Policy": api.CSP}},
	)
	e.Run(t, anon)
	e.Run(t, asViewer)
	// Viewers may read, use the playground and change their own password.
	e.Run(t, []apitest.Scenario{
		{Name: "viewer lists engines", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines", Token: e.viewer}, Status: 200},
		{Name: "viewer reads the cluster state of a single box", Request: apitest.Request{Method: "GET", Path: "/api/v1/cluster", Token: e.viewer}, Status: 200,
			Contains: []string{`"enabled":false`}},
		{Name: "viewer reads system", Request: apitest.Request{Method: "GET", Path: "/api/v1/system", Token: e.viewer}, Status: 200,
			Contains: []string{`"ntp_synchronized"`, `"mem"`, `"disk"`, `"version":"test"`}},
		{Name: "viewer uses playground", Request: apitest.Request{Method: "POST", Path: "/api/v1/classes/test", Token: e.viewer,
			Body: `{"patterns":{"n":"n=(\\d+)"},"lines":["n=42","x"]}`}, Status: 200, Contains: []string{`"n":"42"`, `"matched":1`}},
		{Name: "viewer reads metrics", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: e.viewer}, Status: 200,
			Contains: []string{"go_goroutines"}},
	})
}

func TestLoginMeLogoutAndPasswordChange(t *testing.T) {
	e := newEnv(t)
	r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"username": "admin", "password": adminPassword}})
	if r.Status != 200 {
		t.Fatalf("login; got %d %s", r.Status, r.Body)
	}
	ck := r.Header.Get("Set-Cookie")
	for _, want := range []string{auth.CookieName + "=", "HttpOnly", "SameSite=Strict", "path=/"} {
		if !strings.Contains(strings.ToLower(ck), strings.ToLower(want)) {
			t.Errorf("cookie %q lacks %q", ck, want)
		}
	}
	cookie := strings.SplitN(ck, ";", 2)[0]
	e.Run(t, []apitest.Scenario{
		{Name: "me with bearer", Request: apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: e.admin}, Status: 200,
			Contains: []string{`"username":"admin"`, `"role":"admin"`, `"must_change_password":false`}},
		{Name: "me with cookie", Request: apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Header: map[string]string{"Cookie": cookie}}, Status: 200},
		{Name: "wrong password", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/login",
			Body: map[string]string{"username": "admin", "password": "not it at all"}}, Status: 401},
		{Name: "unknown field", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/login",
			Body: map[string]string{"username": "admin", "password": "x", "otp": "1"}}, Status: 400, Field: "otp"},
	})

	// A user created by an admin must change the password before anything else.
	e.Run(t, []apitest.Scenario{{Name: "create bob", Request: apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin,
		Body: map[string]any{"username": "bob", "password": "bob's first pw", "role": "viewer"}}, Status: 201,
		Contains: []string{`"must_change_password":true`}}})
	bob := e.login(t, "bob", "bob's first pw")
	e.Run(t, []apitest.Scenario{
		{Name: "bob blocked until change", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines", Token: bob}, Status: 403,
			Contains: []string{"password must be changed"}},
		{Name: "bob may read me", Request: apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: bob}, Status: 200},
		{Name: "short new password", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/password", Token: bob,
			Body: map[string]string{"current": "bob's first pw", "new": "short"}}, Status: 400, Field: "new"},
		{Name: "wrong current password", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/password", Token: bob,
			Body: map[string]string{"current": "wrong wrong", "new": "bob's second pw"}}, Status: 400, Field: "current"},
	})
	r = e.Do(apitest.Request{Method: "POST", Path: "/api/v1/auth/password", Token: bob,
		Body: map[string]string{"current": "bob's first pw", "new": "bob's second pw"}})
	if r.Status != 200 {
		t.Fatalf("password change; got %d %s", r.Status, r.Body)
	}
	var sess struct {
		Token string `json:"token"`
	}
	r.JSON(t, &sess)
	e.Run(t, []apitest.Scenario{
		{Name: "old token ends with the change", Request: apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: bob}, Status: 401},
		{Name: "fresh token works", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines", Token: sess.Token}, Status: 200},
		{Name: "logout", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/logout", Token: sess.Token}, Status: 204},
		{Name: "token after logout", Request: apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: sess.Token}, Status: 401},
	})
}

func TestTamperedExpiredAndUnsignedTokensAreRejected(t *testing.T) {
	e := newEnv(t)
	parts := strings.Split(e.viewer, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), `"role":"viewer"`, `"role":"admin"`, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
	now := time.Now()
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "admin", "jti": "x", "role": "admin",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for name, tok := range map[string]string{"tampered": tampered, "alg none": none, "garbage": "abc.def.ghi"} {
		r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/users", Token: tok})
		if r.Status != 401 {
			t.Errorf("%s token; got %d %s; want 401", name, r.Status, r.Body)
		}
	}
	e.skew.Store(int64(12*time.Hour + time.Minute))
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: e.admin})
	if r.Status != 401 || !strings.Contains(string(r.Body), "expired") {
		t.Fatalf("expired token; got %d %s; want 401 expired", r.Status, r.Body)
	}
}

func TestFiveFailedLoginsFromOneAddressAnswer429(t *testing.T) {
	e := newEnv(t)
	try := func(ip, pw string) *apitest.Response {
		return e.Do(apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Header: map[string]string{"X-Forwarded-For": ip},
			Body: map[string]string{"username": "admin", "password": pw}})
	}
	for i := range 5 {
		if r := try("203.0.113.7", "wrong password"); r.Status != 401 {
			t.Fatalf("failure %d; got %d; want 401", i+1, r.Status)
		}
	}
	r := try("203.0.113.7", adminPassword)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth attempt; got %d Retry-After %q; want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
	if r := try("203.0.113.8", adminPassword); r.Status != 200 {
		t.Fatalf("another client address; got %d %s; want 200", r.Status, r.Body)
	}
}

func TestUsersAdminAndLastAdminProtection(t *testing.T) {
	e := newEnv(t)
	e.Run(t, []apitest.Scenario{
		{Name: "list", Request: apitest.Request{Method: "GET", Path: "/api/v1/users", Token: e.admin}, Status: 200,
			Contains: []string{`"username":"admin"`, `"username":"viewer"`}},
		{Name: "bad username", Request: apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin,
			Body: map[string]any{"username": "../x", "password": "long enough pw", "role": "viewer"}}, Status: 400, Field: "username"},
		{Name: "bad role", Request: apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin,
			Body: map[string]any{"username": "carol", "password": "long enough pw", "role": "root"}}, Status: 400, Field: "role"},
		{Name: "short password", Request: apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin,
			Body: map[string]any{"username": "carol", "password": "short", "role": "viewer"}}, Status: 400, Field: "password"},
		{Name: "wrong type", Request: apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin,
			Body: `{"username":"carol","password":"long enough pw","role":"viewer","must_change_password":"yes"}`}, Status: 400, Field: "must_change_password"},
		{Name: "duplicate", Request: apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin,
			Body: map[string]any{"username": "viewer", "password": "long enough pw", "role": "viewer"}}, Status: 409, Field: "username"},
		{Name: "demote last admin", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/users/admin", Token: e.admin,
			Body: map[string]any{"role": "viewer"}}, Status: 409},
		{Name: "delete last admin", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/users/admin", Token: e.admin}, Status: 409},
		{Name: "delete missing", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/users/ghost", Token: e.admin}, Status: 404},
		{Name: "path trick", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/users/..%2Fadmin", Token: e.admin}, Status: 400},
		{Name: "promote viewer", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/users/viewer", Token: e.admin,
			Body: map[string]any{"role": "admin"}}, Status: 200, Contains: []string{`"role":"admin"`}},
		{Name: "viewer's old token ends with the role change", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines", Token: e.viewer}, Status: 401},
		{Name: "now admin can be deleted", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/users/admin", Token: e.admin}, Status: 204},
		{Name: "deleted user's token", Request: apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: e.admin}, Status: 401},
	})
}
