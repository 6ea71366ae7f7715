package api_test

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// sendUDPFrom sends each line as one datagram from the loopback address src to
// 127.0.0.1:port.
func sendUDPFrom(t *testing.T, src string, port int, lines ...string) {
	t.Helper()
	c, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(src)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, l := range lines {
		if _, err := c.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
}

type clientRow struct {
	Name  string `json:"name"`
	Match string `json:"match"`
	Rows  int64  `json:"rows"`
}

func (e *env) clients(t *testing.T, engine string) string {
	t.Helper()
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/" + engine + "/clients", Token: e.viewer})
	if r.Status != 200 {
		t.Fatalf("list clients; got %d %s; want 200", r.Status, r.Body)
	}
	var cs []clientRow
	r.JSON(t, &cs)
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s(%s)=%d", c.Name, c.Match, c.Rows))
	}
	return strings.Join(parts, " ")
}

type statsBody struct {
	State    string `json:"state"`
	Received uint64 `json:"received"`
	Stored   uint64 `json:"stored"`
	Rejected uint64 `json:"rejected"`
	Refused  uint64 `json:"refused"`
}

func (e *env) stats(t *testing.T, engine string) statsBody {
	t.Helper()
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/" + engine + "/stats", Token: e.viewer})
	var st statsBody
	r.JSON(t, &st)
	return st
}

func TestClientsRoutesRejectNameReorderAndPurge(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	port := e.createEngine(t, "edge")
	base := "/api/v1/engines/edge/clients"

	e.Run(t, []apitest.Scenario{
		{Name: "viewer cannot add", Request: apitest.Request{Method: "POST", Path: base, Token: e.viewer, Body: `{"name":"a","match":"*"}`}, Status: 403},
		{Name: "bad match names the field", Request: apitest.Request{Method: "POST", Path: base, Token: e.admin, Body: `{"name":"a","match":"10.0.0.0/99"}`}, Status: 400, Field: "match"},
		{Name: "bad name names the field", Request: apitest.Request{Method: "POST", Path: base, Token: e.admin, Body: `{"name":"A B","match":"*"}`}, Status: 400, Field: "name"},
		{Name: "unknown field", Request: apitest.Request{Method: "POST", Path: base, Token: e.admin, Body: `{"name":"a","match":"*","x":1}`}, Status: 400},
		{Name: "add one", Request: apitest.Request{Method: "POST", Path: base, Token: e.admin, Body: `{"name":"one","match":"127.0.0.1"}`}, Status: 201, Contains: []string{`"name":"one"`}},
		{Name: "duplicate", Request: apitest.Request{Method: "POST", Path: base, Token: e.admin, Body: `{"name":"one","match":"::1"}`}, Status: 409, Field: "name"},
		{Name: "missing client", Request: apitest.Request{Method: "PATCH", Path: base + "/ghost", Token: e.admin, Body: `{"match":"*"}`}, Status: 404},
		{Name: "unknown job", Request: apitest.Request{Method: "GET", Path: "/api/v1/jobs/nope", Token: e.viewer}, Status: 404},
	})

	sendUDPFrom(t, "127.0.0.1", port, "a msg=one1", "a msg=one2")
	sendUDPFrom(t, "127.0.0.2", port, "a msg=two1")
	apitest.Eventually(t, 10*time.Second, "2 stored and 1 rejected", func() bool {
		st := e.stats(t, "edge")
		return st.Stored == 2 && st.Rejected == 1
	})

	r := e.Do(apitest.Request{Method: "POST", Path: base, Token: e.admin, Body: `{"name":"loop","match":"127.0.*"}`})
	if r.Status != 201 {
		t.Fatalf("add loop; got %d %s", r.Status, r.Body)
	}
	sendUDPFrom(t, "127.0.0.2", port, "a msg=two2")
	apitest.Eventually(t, 10*time.Second, "3 stored", func() bool { return e.stats(t, "edge").Stored == 3 })
	if got, want := e.clients(t, "edge"), "one(127.0.0.1)=2 loop(127.0.*)=1"; got != want {
		t.Errorf("clients; got %q; want %q", got, want)
	}
	p := e.logs(t, "edge", "filter=client:loop")
	if len(p.Rows) != 1 || *p.Rows[0][col(p, "log_sender_ip")] != "127.0.0.2" {
		t.Errorf("logs of client loop; got %v; want the one row from 127.0.0.2", p.Rows)
	}

	// Reorder with PUT: loop now names 127.0.0.1 too.
	r = e.Do(apitest.Request{Method: "PUT", Path: base, Token: e.admin,
		Body: `[{"name":"loop","match":"127.0.*"},{"name":"one","match":"127.0.0.1"}]`})
	if r.Status != 200 {
		t.Fatalf("replace; got %d %s", r.Status, r.Body)
	}
	sendUDPFrom(t, "127.0.0.1", port, "a msg=one3")
	apitest.Eventually(t, 10*time.Second, "4 stored", func() bool { return e.stats(t, "edge").Stored == 4 })
	if got, want := e.clients(t, "edge"), "loop(127.0.*)=2 one(127.0.0.1)=2"; got != want {
		t.Errorf("clients after reorder; got %q; want %q", got, want)
	}
	r = e.Do(apitest.Request{Method: "PATCH", Path: base + "/loop", Token: e.admin, Body: `{"match":"127.0.0.2"}`})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"match":"127.0.0.2"`) {
		t.Fatalf("patch; got %d %s", r.Status, r.Body)
	}

	r = e.Do(apitest.Request{Method: "DELETE", Path: base + "/one?purge=true", Token: e.admin})
	if r.Status != 202 {
		t.Fatalf("delete with purge; got %d %s; want 202", r.Status, r.Body)
	}
	var acc struct {
		Job struct {
			ID string `json:"id"`
		} `json:"job"`
	}
	r.JSON(t, &acc)
	apitest.Eventually(t, 10*time.Second, "the purge job to finish", func() bool {
		r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/jobs/" + acc.Job.ID, Token: e.viewer})
		var j struct {
			State    string  `json:"state"`
			Progress float64 `json:"progress"`
		}
		r.JSON(t, &j)
		return j.State == "done" && j.Progress == 1
	})
	p = e.logs(t, "edge", "")
	var clients []string
	for _, row := range p.Rows {
		if c := row[col(p, "client")]; c != nil {
			clients = append(clients, *c)
		}
	}
	if got := strings.Join(clients, ","); got != "loop,loop" {
		t.Errorf("clients of the rows left; got %q; want loop,loop", got)
	}
	if r := e.Do(apitest.Request{Method: "DELETE", Path: base + "/loop", Token: e.admin}); r.Status != 204 {
		t.Errorf("delete without purge; got %d %s; want 204", r.Status, r.Body)
	}
	if got := e.clients(t, "edge"); got != "" {
		t.Errorf("clients after deleting all; got %q; want none", got)
	}
}

func TestEventsRouteAndWebsocketPush(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	e.createEngine(t, "ev")
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+e.Addr+"/api/v1/ws", http.Header{"Authorization": {"Bearer " + e.viewer}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var first struct{ Type string }
	if err := conn.ReadJSON(&first); err != nil || first.Type != "stats" { // the client is registered now
		t.Fatalf("first message; got %+v, %v; want stats", first, err)
	}
	if r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/engines/ev/stop", Token: e.admin}); r.Status != 200 {
		t.Fatalf("stop; got %d %s", r.Status, r.Body)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var msg struct {
			Type, Engine, Level, Message string
			T                            int64
		}
		if err := conn.ReadJSON(&msg); err != nil {
			t.Fatalf("waiting for the stop event: %v", err)
		}
		if msg.Type == "event" && msg.Engine == "ev" && strings.HasPrefix(msg.Message, "started") {
			continue // the start event may still be on its way when the client registers
		}
		if msg.Type == "event" {
			if msg.Engine != "ev" || msg.Level != "info" || !strings.HasPrefix(msg.Message, "stopped") || msg.T == 0 {
				t.Errorf("event message; got %+v; want the stop of ev", msg)
			}
			break
		}
	}
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/ev/events?limit=1", Token: e.viewer})
	var evs []struct {
		T       int64  `json:"t"`
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	r.JSON(t, &evs)
	if len(evs) != 1 || !strings.HasPrefix(evs[0].Message, "stopped") {
		t.Errorf("newest event; got %+v; want the stop", evs)
	}
	r = e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/ev/events", Token: e.viewer})
	r.JSON(t, &evs)
	if len(evs) != 2 || !strings.HasPrefix(evs[1].Message, "started") {
		t.Errorf("all events; got %+v; want stop then start", evs)
	}
	for _, q := range []string{"limit=0", "limit=x", "limit=" + strconv.Itoa(5000)} {
		if r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/ev/events?" + q, Token: e.viewer}); r.Status != 400 {
			t.Errorf("events?%s; got %d; want 400", q, r.Status)
		}
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/ghost/events", Token: e.viewer}); r.Status != 404 {
		t.Errorf("events of a missing engine; got %d; want 404", r.Status)
	}
}
