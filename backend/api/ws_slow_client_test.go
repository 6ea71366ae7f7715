package api_test

import (
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// TestWebsocketClientThatDoesNotReadIsDropped: a client that sends requests but never
// reads its answers fills its send queue and is dropped at once (long before the 10 s
// write timeout), while another client keeps getting its stats pushes.
func TestWebsocketClientThatDoesNotReadIsDropped(t *testing.T) {
	e := newEnv(t)
	bystander := dialWatch(t, e.Addr, e.viewer, "", 0)

	// A tiny receive buffer makes the server's socket fill after a few answers.
	d := websocket.Dialer{NetDialContext: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}).DialContext}
	conn, _, err := d.Dial("ws://"+e.Addr+"/api/v1/ws", http.Header{"Authorization": {"Bearer " + e.viewer}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Each request is answered by an error message of about 3 KiB that the client never reads.
	req := []byte(`{"type":"` + strings.Repeat("x", 3000) + `"}`)
	start := time.Now()
	sent := 0
	for ; sent < 20000; sent++ {
		_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if err := conn.WriteMessage(websocket.TextMessage, req); err != nil {
			break // the server closed the connection
		}
	}
	// Read what is left, up to the end of the connection.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var end error
	for end == nil {
		_, _, end = conn.ReadMessage()
	}
	took := time.Since(start)
	t.Logf("%d requests sent; the connection ended %v after the first: %v", sent, took.Round(time.Millisecond), end)
	// The 10 s write timeout would end it too, later: the queue-full drop must come first.
	if took >= 5*time.Second {
		t.Errorf("the client that does not read was dropped after %v; want well before the 10s write timeout", took)
	}
	answered := time.Now()
	bystander.waitFor(t, "stats for the other client after the drop", func(m wsMsg) bool { return m.Type == "stats" && m.T > answered.UnixMilli() })
	select {
	case <-bystander.ended:
		t.Fatalf("the other client's websocket closed: %d %q", bystander.code, bystander.reason)
	default:
	}
}
