package engine

import (
	"encoding/binary"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestKernelDropsReadTheSocketsOwnCounter overflows a real UDP socket with a tiny
// receive buffer that nobody reads: the kernel drops datagrams, and the socket's own
// counter (SO_MEMINFO) shows them, equal to what /proc/net/udp says of the same socket.
func TestKernelDropsReadTheSocketsOwnCounter(t *testing.T) {
	conn, err := listenUDP("127.0.0.1", 0, 4096, false)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	kd := newKernelDrops(conn)
	if kd.source != dropsMemInfo {
		t.Fatalf("drop counter source %q; want %q (SO_MEMINFO, Linux >= 4.7)", kd.source, dropsMemInfo)
	}
	if d, ok := kd.read(); !ok || d != 0 {
		t.Fatalf("drops of a new socket; got %d %v; want 0 true", d, ok)
	}
	out, err := net.Dial("udp", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	payload := make([]byte, 1000)
	var drops uint64
	deadline := time.Now().Add(10 * time.Second)
	for drops == 0 {
		for i := 0; i < 200; i++ {
			_, _ = out.Write(payload) // nobody reads: the 4 KiB buffer overflows
		}
		drops, _ = kd.read()
		if time.Now().After(deadline) {
			t.Fatal("no kernel drop seen within 10 s")
		}
	}
	sc, _ := conn.(syscall.Conn)
	rc, _ := sc.SyscallConn()
	proc := procKernelDrops(rc)
	if proc.source != dropsProc {
		t.Skip("socket not in /proc/net/udp: cannot compare with the fallback")
	}
	pd, ok := proc.read()
	if d, _ := kd.read(); !ok || pd != d {
		t.Fatalf("the /proc fallback disagrees; got %d %v; want %d", pd, ok, d)
	}
}

func TestParseMemInfoNeedsTheDropsField(t *testing.T) {
	b := make([]byte, 9*4)
	binary.NativeEndian.PutUint32(b[8*4:], 77)
	if d, ok := parseMemInfo(b); !ok || d != 77 {
		t.Fatalf("got %d %v; want 77 true", d, ok)
	}
	if _, ok := parseMemInfo(b[:8*4]); ok {
		t.Fatal("an answer of an old kernel (no drops field) was read")
	}
}
