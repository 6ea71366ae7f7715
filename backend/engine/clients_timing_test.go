package engine

import (
	"fmt"
	"net/netip"
	"testing"
)

// BenchmarkClientMatch measures the per-log cost of naming the sender with a
// client list (cached per parse worker, as in parseChunk).
func BenchmarkClientMatch(b *testing.B) {
	var clients []Client
	for i := 0; i < 50; i++ {
		clients = append(clients, Client{Name: fmt.Sprint("c", i), Match: fmt.Sprintf("10.%d.0.0/16", i)})
	}
	clients = append(clients, Client{Name: "wild", Match: "192.168.*"})
	l, err := CompileClients(clients, false)
	if err != nil {
		b.Fatal(err)
	}
	senders := make([]netip.Addr, 0, 32)
	for i := 0; i < 32; i++ {
		senders = append(senders, netip.AddrFrom4([4]byte{10, byte(i), 1, byte(i)}))
	}
	var c senderCache
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		if c.lookup(l, senders[i&31]) >= 0 {
			hits++
		}
	}
	if hits != b.N {
		b.Fatalf("hits; got %d; want %d", hits, b.N)
	}
}

// BenchmarkClientResolveUncached is the cost of a cache miss (a new sender).
func BenchmarkClientResolveUncached(b *testing.B) {
	var clients []Client
	for i := 0; i < 50; i++ {
		clients = append(clients, Client{Name: fmt.Sprint("c", i), Match: fmt.Sprintf("10.%d.0.0/16", i)})
	}
	l, _ := CompileClients(clients, false)
	a := netip.MustParseAddr("10.49.1.1")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = l.resolve(a)
	}
}
