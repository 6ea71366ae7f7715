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
	// Each request is answered by an error message of about 3 KiB that the client never
	// reads. The requests are written as raw masked frames on the socket under one long
	// deadline, so that a server slow to read (a loaded box) only makes the client wait:
	// the write fails once the server drops the client and closes the connection.
	frame := maskedTextFrame([]byte(`{"type":"` + strings.Repeat("x", 3000) + `"}`))
	raw := conn.NetConn()
	start := time.Now()
	_ = raw.SetWriteDeadline(start.Add(20 * time.Second))
	sent := 0
	var werr error
	for ; sent < 20000 && werr == nil; sent++ {
		_, werr = raw.Write(frame)
	}
	// Read what is left, up to the end of the connection.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var end error
	for end == nil {
		_, _, end = conn.ReadMessage()
	}
	took := time.Since(start)
	t.Logf("%d requests sent (%v); the connection ended %v after the first: %v", sent, werr, took.Round(time.Millisecond), end)
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

// maskedTextFrame frames payload as one client-to-server text message (RFC 6455 §5.2:
// FIN, opcode 1, masked, 16-bit length).
func maskedTextFrame(payload []byte) []byte {
	key := [4]byte{0x5a, 0xc3, 0x17, 0x88}
	f := []byte{0x81, 0x80 | 126, byte(len(payload) >> 8), byte(len(payload))}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}
