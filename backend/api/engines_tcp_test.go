package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// freeTCPPort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestTCPEngineFieldsConnectionsStatsAndMetrics(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	port := freeTCPPort(t)
	body := func(m map[string]any) map[string]any {
		b := map[string]any{"name": "tcp1", "class": "t1", "protocol": "tcp", "bind": "127.0.0.1", "port": port, "timezone": "UTC"}
		for k, v := range m {
			b[k] = v
		}
		return b
	}
	post := func(m map[string]any) apitest.Request {
		return apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin, Body: body(m)}
	}
	e.Run(t, []apitest.Scenario{
		{Name: "unknown protocol", Request: post(map[string]any{"protocol": "quic"}), Status: 400, Field: "protocol"},
		{Name: "message size too small", Request: post(map[string]any{"max_message_bytes": 10}), Status: 400, Field: "max_message_bytes"},
		{Name: "message size type", Request: post(map[string]any{"max_message_bytes": "big"}), Status: 400, Field: "max_message_bytes"},
		{Name: "connections zero", Request: post(map[string]any{"max_connections": 0}), Status: 400, Field: "max_connections"},
		{Name: "create tcp", Request: post(map[string]any{"max_message_bytes": 2048, "max_connections": 8}), Status: 201,
			Contains: []string{`"protocol":"tcp"`, `"max_message_bytes":2048`, `"max_connections":8`, `"state":"running"`}},
		{Name: "defaults for udp", Request: apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin,
			Body: map[string]any{"name": "udp1", "class": "t1", "bind": "127.0.0.1", "port": port, "timezone": "UTC"}}, Status: 201,
			Contains: []string{`"protocol":"udp"`, `"max_message_bytes":65536`, `"max_connections":1024`}},
		{Name: "patch a limit", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/engines/tcp1", Token: e.admin,
			Body: map[string]any{"max_connections": 9}}, Status: 200, Contains: []string{`"max_connections":9`, `"state":"running"`}},
		{Name: "patch nonsense", Request: apitest.Request{Method: "PATCH", Path: "/api/v1/engines/tcp1", Token: e.admin,
			Body: map[string]any{"max_message_bytes": -1}}, Status: 400, Field: "max_message_bytes"},
		{Name: "no connections yet", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/tcp1/connections", Token: e.viewer},
			Status: 200, Contains: []string{`[]`}},
		{Name: "udp has none", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/udp1/connections", Token: e.viewer},
			Status: 200, Contains: []string{`[]`}},
		{Name: "unknown engine", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/ghost/connections", Token: e.viewer}, Status: 404},
	})

	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "x msg=one\n7 msg=two"); err != nil {
		t.Fatal(err)
	}
	apitest.Eventually(t, 10*time.Second, "two rows stored", func() bool { return len(e.logs(t, "tcp1", "").Rows) == 2 })
	peer := c.LocalAddr().String()
	e.Run(t, []apitest.Scenario{
		{Name: "connections", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/tcp1/connections", Token: e.viewer},
			Status: 200, Contains: []string{`"peer":"` + peer + `"`, `"messages":2`, `"bytes":19`, `"since":`}},
		{Name: "stats", Request: apitest.Request{Method: "GET", Path: "/api/v1/engines/tcp1/stats", Token: e.viewer}, Status: 200,
			Contains: []string{`"connections":1`, `"connections_total":1`, `"framing_errors":0`, `"backpressure_ms":0`, `"received":2`}},
		{Name: "metrics", Request: apitest.Request{Method: "GET", Path: "/metrics", Token: e.viewer}, Status: 200,
			Contains: []string{`logsieve_engine_connections{engine="tcp1"} 1`, `logsieve_engine_connections_total{engine="tcp1"} 1`,
				`logsieve_engine_framing_errors_total{engine="tcp1"} 0`, `logsieve_engine_backpressure_seconds_total{engine="tcp1"} 0`}},
	})

	var msg struct {
		Type    string `json:"type"`
		Engines map[string]struct {
			Connections      *int64  `json:"connections"`
			ConnectionsTotal *uint64 `json:"connections_total"`
			FramingErrors    *uint64 `json:"framing_errors"`
			BackpressureMs   *uint64 `json:"backpressure_ms"`
		} `json:"engines"`
	}
	e.firstWSStats(t, &msg)
	st := msg.Engines["tcp1"]
	if st.Connections == nil || *st.Connections != 1 || st.ConnectionsTotal == nil || st.FramingErrors == nil || st.BackpressureMs == nil {
		b, _ := json.Marshal(msg)
		t.Fatalf("websocket stats of tcp1; got %s; want connections 1 and the stream counters", b)
	}
}

// firstWSStats reads the websocket as the viewer until its first stats
// message and decodes that into msg.
func (e *env) firstWSStats(t *testing.T, msg any) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+e.Addr+"/api/v1/ws", http.Header{"Authorization": {"Bearer " + e.viewer}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var raw json.RawMessage
		if err := ws.ReadJSON(&raw); err != nil {
			t.Fatal(err)
		}
		var head struct{ Type string }
		if err := json.Unmarshal(raw, &head); err != nil {
			t.Fatal(err)
		}
		if head.Type == "stats" {
			if err := json.Unmarshal(raw, msg); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
}
