package loadgen

import (
	"context"
	"net"
	"regexp"
	"testing"
	"time"
)

func TestMessagesAreVariedAndSized(t *testing.T) {
	ms := Messages(500, 0, 1)
	seen := map[string]bool{}
	dst := regexp.MustCompile(`->(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+)`)
	for _, m := range ms {
		seen[string(m)] = true
		if len(m) < 150 || len(m) > 320 {
			t.Fatalf("unexpected message length %d: %q", len(m), m)
		}
		if !dst.Match(m) {
			t.Fatalf("message lacks a destination IP:port: %q", m)
		}
	}
	if len(seen) < 490 {
		t.Fatalf("messages are not varied: %d distinct of 500", len(seen))
	}
	for _, m := range Messages(20, 300, 2) {
		if len(m) != 300 {
			t.Fatalf("got size %d; want 300", len(m))
		}
	}
}

func TestSendDeliversCountToLoopback(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	_ = pc.(*net.UDPConn).SetReadBuffer(4 << 20)
	got := make(chan int)
	go func() {
		buf := make([]byte, 65536)
		n := 0
		for {
			_ = pc.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, _, err := pc.ReadFrom(buf); err != nil {
				got <- n
				return
			}
			n++
		}
	}()
	res, err := Send(context.Background(), Options{Target: pc.LocalAddr().String(), Rate: 20000, Count: 2000})
	if err != nil || res.Sent != 2000 {
		t.Fatalf("got sent=%d err=%v; want 2000", res.Sent, err)
	}
	if res.Elapsed < 80*time.Millisecond {
		t.Fatalf("rate not respected: 2000 at 20000/s took %v", res.Elapsed)
	}
	if n := <-got; n != 2000 {
		t.Fatalf("receiver got %d datagrams; want 2000", n)
	}
}
