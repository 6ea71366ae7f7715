package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/alert"
	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// hookReceiver is a local webhook endpoint that checks each POST's signature
// with secret and passes on the verified bodies.
func hookReceiver(t *testing.T, secret string) (*httptest.Server, <-chan []byte) {
	t.Helper()
	got := make(chan []byte, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if sig := r.Header.Get(alert.SignatureHeader); sig != alert.Sign(body, secret) {
			t.Errorf("webhook signature; got %q; want %q", sig, alert.Sign(body, secret))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("X-Team") != "netops" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook headers; got %v", r.Header)
		}
		got <- body
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// waitBody returns the next body of ch, failing after 10 s.
func waitBody(t *testing.T, ch <-chan []byte) []byte {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook call within 10 s")
		return nil
	}
}

func TestLogRuleFiresASignedWebhookOnUDPTraffic(t *testing.T) {
	e := newEnv(t)
	hook, got := hookReceiver(t, "s3cret")
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	port := e.createEngine(t, "fw")
	e.Run(t, []apitest.Scenario{
		{Name: "create webhook", Request: apitest.Request{Method: "POST", Path: "/api/v1/alerts/channels", Token: e.admin,
			Body: map[string]any{"name": "hook", "type": "webhook", "url": hook.URL, "secret": "s3cret", "headers": map[string]string{"X-Team": "netops"}}},
			Status: 201, Contains: []string{`"secret_set":true`, `"enabled":true`}},
		{Name: "create rule", Request: apitest.Request{Method: "POST", Path: "/api/v1/alerts/rules", Token: e.admin,
			Body: map[string]any{"name": "deny", "engine": "fw", "when": []map[string]any{{"column": "msg", "op": "equals", "value": "deny"}},
				"count": 2, "window_s": 60, "channels": []string{"hook"}}},
			Status: 201, Contains: []string{`"cooldown_s":300`, `"kind":"log"`, `"firing":false`}},
	})
	if r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/alerts/channels/hook", Token: e.viewer}); strings.Contains(string(r.Body), "s3cret") {
		t.Fatalf("the channel shows its secret: %s", r.Body)
	}
	sendUDP(t, port, "msg=allow ->1.1.1.1", "msg=deny ->2.2.2.2")
	sendUDP(t, port, "msg=deny ->3.3.3.3", "msg=deny ->4.4.4.4")
	var a alert.Alert
	if err := json.Unmarshal(waitBody(t, got), &a); err != nil {
		t.Fatal(err)
	}
	if a.Rule != "deny" || a.Engine != "fw" || a.Count != 2 || a.WindowS != 60 || len(a.Rows) != 2 || a.Rows[0]["msg"] != "deny" {
		t.Fatalf("unexpected alert; got %+v", a)
	}
	if a.Rows[0]["dst_ip"] != "2.2.2.2" || !strings.Contains(a.Link, "/engines/fw/logs?") || !strings.Contains(a.Link, "filter=msg%3Ddeny") {
		t.Fatalf("unexpected rows or link; got %v %q", a.Rows, a.Link)
	}
	// The third deny is within the cooldown: no second call.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var h []alert.Alert
		e.Do(apitest.Request{Method: "GET", Path: "/api/v1/alerts/history?rule=deny", Token: e.viewer}).JSON(t, &h)
		if len(h) == 1 && len(h[0].Deliveries) == 1 && h[0].Deliveries[0].Status == "sent" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history; got %+v; want one alert delivered to hook", h)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.Run(t, []apitest.Scenario{
		{Name: "firing", Request: apitest.Request{Method: "GET", Path: "/api/v1/alerts/firing", Token: e.viewer}, Status: 200,
			Contains: []string{`"rule":"deny"`, `"engine":"fw"`}},
		{Name: "rule state", Request: apitest.Request{Method: "GET", Path: "/api/v1/alerts/rules/deny", Token: e.viewer}, Status: 200,
			Contains: []string{`"firing":true`, `"fired_total":1`}},
		{Name: "deliveries", Request: apitest.Request{Method: "GET", Path: "/api/v1/alerts/channels/hook/deliveries?limit=5", Token: e.viewer}, Status: 200,
			Contains: []string{`"status":"sent"`, `"attempt":1`, `"rule":"deny"`, `"http_status":200`}},
		{Name: "metrics", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: e.viewer}, Status: 200,
			Contains: []string{"logsieve_alert_skipped_batches_total 0"}},
		{Name: "send test", Request: apitest.Request{Method: "POST", Path: "/api/v1/alerts/channels/hook/test", Token: e.admin}, Status: 200,
			Contains: []string{`"ok":true`, `"status":"sent"`}},
	})
	select {
	case b := <-got:
		if !strings.Contains(string(b), `"rule":"test"`) {
			t.Fatalf("a second alert was sent within the cooldown: %s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the test message did not arrive")
	}
}

func TestAlertValidationNamesTheField(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	e.createEngine(t, "fw")
	post := func(path string, body any) apitest.Request {
		return apitest.Request{Method: "POST", Path: "/api/v1/alerts/" + path, Token: e.admin, Body: body}
	}
	rule := func(kv ...any) map[string]any {
		m := map[string]any{"name": "r1", "engine": "fw", "when": []map[string]any{{"column": "msg", "op": "equals", "value": "x"}}}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	e.Run(t, []apitest.Scenario{
		{Name: "bad url", Request: post("channels", map[string]any{"name": "h", "type": "webhook", "url": "ftp://x"}), Status: 400, Field: "url"},
		{Name: "bad type", Request: post("channels", map[string]any{"name": "h", "type": "pager"}), Status: 400, Field: "type"},
		{Name: "bad name", Request: post("channels", map[string]any{"name": "a b", "type": "webhook", "url": "http://x"}), Status: 400, Field: "name"},
		{Name: "telegram without token", Request: post("channels", map[string]any{"name": "tg", "type": "telegram", "chat_id": "1"}), Status: 400, Field: "token"},
		{Name: "email without to", Request: post("channels", map[string]any{"name": "m", "type": "email", "host": "mx", "from": "a@b.c"}), Status: 400, Field: "to"},
		{Name: "email bad tls", Request: post("channels", map[string]any{"name": "m", "type": "email", "host": "mx", "from": "a@b.c", "to": []string{"x@y.z"}, "tls": "ssl"}), Status: 400, Field: "tls"},
		{Name: "good webhook", Request: post("channels", map[string]any{"name": "h", "type": "webhook", "url": "http://127.0.0.1:9/x"}), Status: 201},
		{Name: "duplicate channel", Request: post("channels", map[string]any{"name": "h", "type": "webhook", "url": "http://127.0.0.1:9/x"}), Status: 409, Field: "name"},
		{Name: "invalid regex", Request: post("rules", rule("when", []map[string]any{{"column": "msg", "op": "equals", "value": "x"},
			{"column": "msg", "op": "matches", "value": "(["}})), Status: 400, Field: "when[1].value"},
		{Name: "unknown column", Request: post("rules", rule("when", []map[string]any{{"column": "nope", "op": "equals", "value": "x"}})), Status: 400, Field: "when[0].column"},
		{Name: "bad op", Request: post("rules", rule("when", []map[string]any{{"column": "msg", "op": "like", "value": "x"}})), Status: 400, Field: "when[0].op"},
		{Name: "in needs a list", Request: post("rules", rule("when", []map[string]any{{"column": "msg", "op": "in", "value": "x"}})), Status: 400, Field: "when[0].value"},
		{Name: "unknown channel", Request: post("rules", rule("channels", []string{"nope"})), Status: 400, Field: "channels"},
		{Name: "unknown engine", Request: post("rules", rule("engine", "nope")), Status: 400, Field: "engine"},
		{Name: "bad group_by", Request: post("rules", rule("group_by", "nope")), Status: 400, Field: "group_by"},
		{Name: "zero count", Request: post("rules", rule("count", 0)), Status: 400, Field: "count"},
		{Name: "zero cooldown", Request: post("rules", rule("cooldown_s", 0)), Status: 400, Field: "cooldown_s"},
		{Name: "bad health", Request: post("rules", map[string]any{"name": "h1", "kind": "health", "health": "on_fire"}), Status: 400, Field: "health"},
		{Name: "disk without threshold", Request: post("rules", map[string]any{"name": "h1", "kind": "health", "health": "disk_free_below"}), Status: 400, Field: "threshold"},
		{Name: "unknown field", Request: post("rules", rule("severity", "high")), Status: 400, Field: "severity"},
		{Name: "good rule", Request: post("rules", rule("channels", []string{"h"}, "when", []map[string]any{{"column": "dst_ip", "op": "in", "value": []string{"1.1.1.1", "2.2.2.2"}}})),
			Status: 201, Contains: []string{`"value":["1.1.1.1","2.2.2.2"]`}},
		{Name: "duplicate rule", Request: post("rules", rule()), Status: 409, Field: "name"},
		{Name: "channel in use", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/alerts/channels/h", Token: e.admin}, Status: 409, Field: "name"},
		{Name: "type is fixed", Request: apitest.Request{Method: "PUT", Path: "/api/v1/alerts/channels/h", Token: e.admin,
			Body: map[string]any{"type": "telegram", "token": "1:a", "chat_id": "1"}}, Status: 400, Field: "type"},
		{Name: "put keeps the type and the secret", Request: apitest.Request{Method: "PUT", Path: "/api/v1/alerts/channels/h", Token: e.admin,
			Body: map[string]any{"url": "https://hooks.example.net/x", "secret": "", "enabled": false}}, Status: 200,
			Contains: []string{`"type":"webhook"`, `"url":"https://hooks.example.net/x"`, `"enabled":false`}},
		{Name: "unknown rule", Request: apitest.Request{Method: "GET", Path: "/api/v1/alerts/rules/nope", Token: e.viewer}, Status: 404},
		{Name: "delete rule", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/alerts/rules/r1", Token: e.admin}, Status: 204},
		{Name: "delete channel", Request: apitest.Request{Method: "DELETE", Path: "/api/v1/alerts/channels/h", Token: e.admin}, Status: 204},
	})
}

func TestFailedDeliveryIsAnEventOfTheEngine(t *testing.T) {
	e := newEnv(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	port := e.createEngine(t, "edge")
	e.Run(t, []apitest.Scenario{
		{Name: "create webhook", Request: apitest.Request{Method: "POST", Path: "/api/v1/alerts/channels", Token: e.admin,
			Body: map[string]any{"name": "down", "type": "webhook", "url": down.URL}}, Status: 201},
		{Name: "rule on every engine", Request: apitest.Request{Method: "POST", Path: "/api/v1/alerts/rules", Token: e.admin,
			Body: map[string]any{"name": "panic", "engine": "", "word": "PANIC", "channels": []string{"down"}}}, Status: 201},
	})
	sendUDP(t, port, "msg=kernel panic now")
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/events", Token: e.viewer})
		if strings.Contains(string(r.Body), `alert \"panic\": delivery to channel \"down\" failed, retrying: answered 503`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery event within 10 s; events %s", r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.Run(t, []apitest.Scenario{
		{Name: "recorded", Request: apitest.Request{Method: "GET", Path: "/api/v1/alerts/channels/down/deliveries", Token: e.viewer}, Status: 200,
			Contains: []string{`"status":"retrying"`, `"http_status":503`, `maintenance`}},
		{Name: "ingest goes on", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/edge/stats", Token: e.viewer}, Status: 200,
			Contains: []string{`"stored":1`, `"dropped":0`}},
	})
}
