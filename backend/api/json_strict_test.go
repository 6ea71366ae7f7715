package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

func TestCaseVariantOrDuplicateKeysAreRefusedAtEveryLevel(t *testing.T) {
	e := newEnv(t)
	post := func(path, body string) apitest.Request {
		return apitest.Request{Method: "POST", Path: path, Token: e.admin, Body: body}
	}
	const pw = `"password":"long enough pw"`
	e.Run(t, []apitest.Scenario{
		{Name: "case variant role", Request: post("/api/v1/users", `{"username":"mallory",`+pw+`,"role":"viewer","Role":"admin"}`), Status: 400, Field: "Role",
			Contains: []string{"case-sensitive"}},
		{Name: "case variant alone", Request: post("/api/v1/users", `{"username":"mallory",`+pw+`,"ROLE":"admin"}`), Status: 400, Field: "ROLE"},
		{Name: "kelvin sign folds to k", Request: post("/api/v1/engines", `{"name":"e1","class":"x","\u212aeep_original":true}`), Status: 400, Field: "\u212aeep_original"},
		{Name: "duplicate role", Request: post("/api/v1/users", `{"username":"mallory",`+pw+`,"role":"viewer","role":"admin"}`), Status: 400, Field: "role",
			Contains: []string{"duplicate key role"}},
		{Name: "duplicate login password", Request: apitest.Request{Method: "POST", Path: "/api/v1/auth/login",
			Body: `{"username":"admin","password":"x","password":"` + adminPassword + `"}`}, Status: 400, Field: "password"},
		{Name: "no user was created", Request: apitest.Request{Method: "GET", Path: "/api/v1/users", Token: e.admin}, Status: 200},
		{Name: "duplicate pattern key", Request: post("/api/v1/classes", `{"name":"c1","patterns":{"a":"a=(\\S+)","a":"b=(\\S+)"}}`), Status: 400, Field: "patterns.a"},
		{Name: "duplicate after many keys", Request: post("/api/v1/classes/test",
			`{"patterns":{"a":"x","b":"x","c":"x","d":"x","e":"x","f":"x","g":"x","h":"x","i":"x","j":"x","e":"y"},"lines":[]}`), Status: 400, Field: "patterns.e"},
		{Name: "duplicate in playground", Request: post("/api/v1/classes/test", `{"patterns":{"a":"x"},"lines":["x"],"lines":["y"]}`), Status: 400, Field: "lines"},
		{Name: "case variant in a list element", Request: apitest.Request{Method: "PUT", Path: "/api/v1/engines/edge/clients", Token: e.admin,
			Body: `[{"name":"a","match":"*","Match":"10.0.0.1"}]`}, Status: 400, Field: "Match"},
		{Name: "duplicate setting", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin,
			Body: `{"metrics_public":false,"metrics_public":true}`}, Status: 400, Field: "metrics_public"},
		{Name: "case variant setting", Request: apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin,
			Body: `{"Trusted_Proxies":["0.0.0.0/0"]}`}, Status: 400, Field: "Trusted_Proxies"},
		{Name: "duplicate in import", Request: post("/api/v1/classes/import", `{"ENGINE_CLASSES":{"a":{"k":"x"}},"ENGINE_CLASSES":{"b":{"k":"y"}}}`), Status: 400,
			Field: "ENGINE_CLASSES"},
		{Name: "nested duplicate in import", Request: post("/api/v1/classes/import", `{"ENGINE_CLASSES":{"a":{"k":"x","k":"y"}}}`), Status: 400,
			Field: "ENGINE_CLASSES.a.k"},
		{Name: "settings unchanged", Request: apitest.Request{Method: "GET", Path: "/api/v1/settings", Token: e.admin}, Status: 200,
			Contains: []string{`"metrics_public":false`, `"trusted_proxies":["127.0.0.1/8","::1/128"]`}},
		{Name: "the same key in two objects is fine", Request: post("/api/v1/classes/test", `{"patterns":{"lines":"l=(\\S+)"},"lines":["l=1"]}`), Status: 200},
	})
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/users", Token: e.admin})
	if strings.Contains(string(r.Body), "mallory") {
		t.Fatalf("a refused body created a user: %s", r.Body)
	}
}

func TestInvalidUTF8IsRefusedNotReplaced(t *testing.T) {
	e := newEnv(t)
	post := func(path, body string) apitest.Request {
		return apitest.Request{Method: "POST", Path: path, Token: e.admin, Body: body}
	}
	e.Run(t, []apitest.Scenario{
		{Name: "bad byte in a value", Request: post("/api/v1/classes/test", "{\"patterns\":{\"a\":\"a=(\\\\S+)\"},\"lines\":[\"a=\xff\"]}"), Status: 400, Field: "lines",
			Contains: []string{"UTF-8"}},
		{Name: "bad byte in a key", Request: post("/api/v1/classes/test", "{\"patterns\":{\"\xc3\":\"x\"},\"lines\":[]}"), Status: 400, Field: "patterns"},
		{Name: "overlong encoding", Request: post("/api/v1/users", "{\"username\":\"bob\",\"password\":\"long enough \xc0\xaf\",\"role\":\"viewer\"}"), Status: 400, Field: "password"},
		{Name: "lone high surrogate", Request: post("/api/v1/classes", `{"name":"c\ud800","patterns":{"a":"x"}}`), Status: 400, Field: "name",
			Contains: []string{"surrogate"}},
		{Name: "lone low surrogate", Request: post("/api/v1/classes/test", `{"patterns":{"a":"(.*)"},"lines":["\udc00"]}`), Status: 400, Field: "lines"},
		{Name: "reversed pair", Request: post("/api/v1/classes/test", `{"patterns":{"a":"(.*)"},"lines":["\udc00\ud800"]}`), Status: 400},
		{Name: "bad byte in an import", Request: post("/api/v1/classes/import", "{\"ENGINE_CLASSES\":{\"a\":{\"k\":\"\xfe\"}}}"), Status: 400,
			Field: "ENGINE_CLASSES.a.k"},
		{Name: "valid pair and escapes pass", Request: post("/api/v1/classes/test", `{"patterns":{"a":"(.*)"},"lines":["\ud83d\ude00 \\ud800 \u00e9 é"]}`), Status: 200,
			Contains: []string{"😀 \\\\ud800 é é"}},
	})
}

func TestClassPatternOrderFollowsTheJSONText(t *testing.T) {
	e := newEnv(t)
	r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin,
		Body: `{"name":"ordered","patterns":{"zeta":"z=(\\S+)","alpha":"a=(\\S+)","mid":"m=(\\S+)"}}`})
	if r.Status != 201 {
		t.Fatalf("create; got %d %s", r.Status, r.Body)
	}
	var c struct {
		Keys []string `json:"keys"`
	}
	r.JSON(t, &c)
	if strings.Join(c.Keys, ",") != "zeta,alpha,mid" {
		t.Fatalf("unexpected keys; got %q; want zeta,alpha,mid", c.Keys)
	}
}

func TestWebsocketClientMessagesAreStrict(t *testing.T) {
	e := newEnv(t)
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+e.Addr+"/api/v1/ws", http.Header{"Authorization": {"Bearer " + e.viewer}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"untail","Type":"tail","engine":"edge"}`)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m struct {
			Type  string `json:"type"`
			Error string `json:"error"`
		}
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("waiting for the error message: %v", err)
		}
		if m.Type == "tail" {
			t.Fatalf("a case-variant type key started a tail")
		}
		if m.Type == "error" {
			if !strings.Contains(m.Error, "Type") {
				t.Fatalf("unexpected error; got %q; want it to name the key Type", m.Error)
			}
			return
		}
	}
}

// TestStrictJSONErrorBodyNamesTheKey pins the error shape: {"error", "field"}.
func TestStrictJSONErrorBodyNamesTheKey(t *testing.T) {
	e := newEnv(t)
	r := e.Do(apitest.Request{Method: "PATCH", Path: "/api/v1/users/viewer", Token: e.admin, Body: `{"role":"viewer","role":"admin"}`})
	var b map[string]string
	if err := json.Unmarshal(r.Body, &b); err != nil || r.Status != 400 || b["field"] != "role" || b["error"] == "" {
		t.Fatalf("unexpected answer; got %d %s; want 400 with field role", r.Status, r.Body)
	}
	r = e.Do(apitest.Request{Method: "GET", Path: "/api/v1/users", Token: e.admin})
	if strings.Contains(string(r.Body), `"username":"viewer","role":"admin"`) {
		t.Fatalf("a duplicate role key promoted the viewer: %s", r.Body)
	}
}
