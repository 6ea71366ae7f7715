package api_test

import (
	"strings"
	"testing"

	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// cookieCall is a request authenticated by the session cookie (as a browser sends it), with
// the given Content-Type (an empty header for "") and extra headers.
func cookieCall(token, method, path, body, contentType string, hdr ...string) apitest.Request {
	h := map[string]string{"Cookie": auth.CookieName + "=" + token, "Content-Type": contentType}
	for i := 0; i+1 < len(hdr); i += 2 {
		h[hdr[i]] = hdr[i+1]
	}
	r := apitest.Request{Method: method, Path: path, Header: h}
	if body != "" {
		r.Body = body
	}
	return r
}

func TestCookieAuthenticatedWritesNeedJSONContentType(t *testing.T) {
	e := newEnv(t)
	const play = `{"patterns":{"a":"a=(\\S+)"},"lines":["a=1"]}`
	user := `{"username":"mallory","password":"long enough pw","role":"admin","must_change_password":false}`
	e.Run(t, []apitest.Scenario{
		{Name: "text/plain", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, "text/plain"), Status: 415,
			Contains: []string{"Content-Type: application/json"}},
		{Name: "form-urlencoded", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, "application/x-www-form-urlencoded"), Status: 415},
		{Name: "multipart", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test",
			"--x\r\nContent-Disposition: form-data; name=\"patterns\"\r\n\r\n{}\r\n--x--\r\n", "multipart/form-data; boundary=x"), Status: 415},
		{Name: "no content type", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, ""), Status: 415},
		{Name: "json look-alike", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, "application/jsonx"), Status: 415},
		{Name: "text/plain user creation", Request: cookieCall(e.admin, "POST", "/api/v1/users", user, "text/plain"), Status: 415},
		{Name: "text/plain PUT", Request: cookieCall(e.admin, "PUT", "/api/v1/settings", `{"metrics_public":true}`, "text/plain"), Status: 415},
		{Name: "text/plain PATCH", Request: cookieCall(e.admin, "PATCH", "/api/v1/users/viewer", `{"role":"admin"}`, "text/plain"), Status: 415},
		{Name: "nothing changed", Request: apitest.Request{Method: "GET", Path: "/api/v1/users", Token: e.admin}, Status: 200},
		{Name: "json", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, "application/json"), Status: 200},
		{Name: "json with charset", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, "Application/JSON; charset=utf-8"), Status: 200},
		{Name: "no body needs no content type", Request: cookieCall(e.admin, "DELETE", "/api/v1/classes/ghost", "", ""), Status: 404},
		{Name: "bearer is not affected", Request: apitest.Request{Method: "POST", Path: "/api/v1/classes/test", Token: e.viewer, Body: play,
			Header: map[string]string{"Content-Type": "text/plain"}}, Status: 200},
	})
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/users", Token: e.admin})
	if strings.Contains(string(r.Body), "mallory") {
		t.Errorf("a text/plain cookie request created a user: %s", r.Body)
	}
	r = e.Do(apitest.Request{Method: "GET", Path: "/api/v1/settings", Token: e.admin})
	if strings.Contains(string(r.Body), `"metrics_public":true`) {
		t.Errorf("a text/plain cookie request changed the settings: %s", r.Body)
	}
}

func TestCookieAuthenticatedWritesFromAnotherOriginAre403(t *testing.T) {
	e := newEnv(t)
	const play = `{"patterns":{"a":"a=(\\S+)"},"lines":["a=1"]}`
	own := "http://" + e.Addr
	js := "application/json"
	e.Run(t, []apitest.Scenario{
		{Name: "foreign origin", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, js, "Origin", "http://evil.example"), Status: 403,
			Contains: []string{"Origin"}},
		{Name: "same host other port", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, js, "Origin", "http://127.0.0.1:1"), Status: 403},
		{Name: "null origin", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, js, "Origin", "null"), Status: 403},
		{Name: "cross-site", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, js, "Sec-Fetch-Site", "cross-site"), Status: 403,
			Contains: []string{"Sec-Fetch-Site"}},
		{Name: "same-site is another application", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, js, "Sec-Fetch-Site", "same-site"), Status: 403},
		{Name: "cross-site bodyless logout", Request: cookieCall(e.viewer, "POST", "/api/v1/auth/logout", "", "", "Sec-Fetch-Site", "cross-site"), Status: 403},
		{Name: "cross-site delete", Request: cookieCall(e.admin, "DELETE", "/api/v1/users/viewer", "", "", "Origin", "https://evil.example"), Status: 403},
		{Name: "viewer still exists", Request: apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: e.viewer}, Status: 200},
		{Name: "own origin", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, js, "Origin", own, "Sec-Fetch-Site", "same-origin"), Status: 200},
		{Name: "typed address", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, js, "Sec-Fetch-Site", "none"), Status: 200},
		{Name: "cross-site read is allowed", Request: cookieCall(e.viewer, "GET", "/api/v1/auth/me", "", "", "Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"), Status: 200},
		{Name: "bearer from another origin", Request: apitest.Request{Method: "POST", Path: "/api/v1/classes/test", Token: e.viewer, Body: play,
			Header: map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}}, Status: 200},
		{Name: "cookie ignored under another Authorization scheme", Request: cookieCall(e.viewer, "POST", "/api/v1/classes/test", play, js, "Authorization", "Basic dTpw"), Status: 401},
	})
}

func TestLoginRefusesCrossOriginAndNonJSON(t *testing.T) {
	e := newEnv(t)
	login := `{"username":"admin","password":"` + adminPassword + `"}`
	call := func(hdr ...string) apitest.Request {
		h := map[string]string{}
		for i := 0; i+1 < len(hdr); i += 2 {
			h[hdr[i]] = hdr[i+1]
		}
		return apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: login, Header: h}
	}
	e.Run(t, []apitest.Scenario{
		{Name: "text/plain", Request: call("Content-Type", "text/plain"), Status: 415},
		{Name: "form", Request: call("Content-Type", "application/x-www-form-urlencoded"), Status: 415},
		{Name: "foreign origin", Request: call("Origin", "http://evil.example"), Status: 403},
		{Name: "cross-site", Request: call("Sec-Fetch-Site", "cross-site"), Status: 403},
		{Name: "same-site", Request: call("Sec-Fetch-Site", "same-site"), Status: 403},
		{Name: "own page", Request: call("Origin", "http://"+e.Addr, "Sec-Fetch-Site", "same-origin"), Status: 200,
			Headers: map[string]string{"Set-Cookie": auth.CookieName}},
		{Name: "script without browser headers", Request: call(), Status: 200},
	})
}
