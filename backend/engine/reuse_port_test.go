package engine

import (
	"net"
	"testing"
	"time"
)

// Two engines with ReusePort (two cluster ingest nodes on one box) share a
// UDP port and, between them, receive every datagram; without ReusePort
// the second one is a port conflict.
func TestReusePortSharesTheUDPPort(t *testing.T) {
	a, addr := startEngine(t, Config{ReusePort: true, Sink: &memSink{}}, mikrotik(t))
	p := a.cfg.Port
	if p == 0 {
		p = a.conn.LocalAddr().(*net.UDPAddr).Port
	}
	b := New(Config{Name: "b", Bind: "127.0.0.1", Port: p, Dir: t.TempDir(), ReusePort: true, Sink: &memSink{}}, mikrotik(t))
	if err := b.Start(); err != nil {
		t.Fatalf("second engine on the port with ReusePort: %v", err)
	}
	t.Cleanup(func() { _ = b.Stop() })
	c := New(Config{Name: "c", Bind: "127.0.0.1", Port: p, Dir: t.TempDir()}, mikrotik(t))
	if err := c.Start(); err == nil {
		_ = c.Stop()
		t.Fatal("an engine without ReusePort started on a shared port")
	}
	// Many source ports: the kernel hashes each to one of the two sockets.
	for i := 0; i < 40; i++ {
		send(t, addr, mikrotikLog)
	}
	waitFor(t, 20*time.Second, "40 logs between the two engines", func() bool {
		return a.Stats().Stored+b.Stats().Stored == 40
	})
}
