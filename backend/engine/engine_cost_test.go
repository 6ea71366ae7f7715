package engine

import (
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
)

// TestIdleEnginesHoldNoReceiveBuffers: many UDP engines share the recvmmsg
// buffer sets (4 MiB each): once they are idle none holds one, and the
// process made about one per P, not one per engine.
func TestIdleEnginesHoldNoReceiveBuffers(t *testing.T) {
	const engines = 30
	cls := mikrotik(t)
	es := make([]*Engine, engines)
	addrs := make([]string, engines)
	for i := range es {
		es[i], addrs[i] = startEngine(t, Config{}, cls)
	}
	var wg sync.WaitGroup
	for i := range es {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				send(t, addrs[i], fmt.Sprintf("%s #%d", mikrotikLog, j))
			}
		}(i)
	}
	wg.Wait()
	for _, e := range es {
		waitStored(t, e, 20)
	}
	// Every chunk is stored, so every receiver has handed its set back.
	live, free := recvSets.counts()
	if held := live - free; held != 0 {
		t.Fatalf("idle receivers hold %d receive sets; want 0", held)
	}
	if live > engines/3 {
		t.Fatalf("%d receive sets of %d MiB made for %d engines; want at most %d (about one per P)",
			live, readBatch*maxDatagram>>20, engines, engines/3)
	}
}

// TestEnginesShareOneClock: the per-second work of every running engine
// (history sample, day check) runs on one shared ticker goroutine, not one
// per engine: an idle UDP engine with one parse worker runs 5 goroutines
// (receiver, parser, the parsers' closer, writer, the run's waiter), and
// once every engine stopped the clock's goroutine is gone too.
func TestEnginesShareOneClock(t *testing.T) {
	const engines = 20
	cls := mikrotik(t)
	before := runtime.NumGoroutine()
	es := make([]*Engine, engines)
	for i := range es {
		es[i], _ = startEngine(t, Config{Workers: 1}, cls)
	}
	if got, most := runtime.NumGoroutine()-before, engines*5+1; got > most {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d engines run %d goroutines; want at most %d (5 each and one clock)\n%s", engines, got, most, buf[:runtime.Stack(buf, true)])
	}
	for _, e := range es {
		if err := e.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	engineClock.mu.Lock()
	running := engineClock.stop != nil
	engineClock.mu.Unlock()
	if running {
		t.Fatal("the clock still runs with no engine running")
	}
}

// TestSenderAddressOfEachFamilyIsStored: the shared recvmmsg sets decode the
// sender of an IPv4 socket, an IPv6 one, and an IPv4 sender on a dual-stack
// socket (stored unmapped).
func TestSenderAddressOfEachFamilyIsStored(t *testing.T) {
	f := func(bind, dial, want string) {
		t.Helper()
		dir := t.TempDir()
		e, addr := startEngine(t, Config{Dir: dir, Bind: bind}, mikrotik(t))
		_, port, _ := net.SplitHostPort(addr)
		send(t, net.JoinHostPort(dial, port), mikrotikLog)
		waitStored(t, e, 1)
		rows := readRows(t, dayFiles(t, dir)[0])
		if got := rows[0]["log_sender_ip"]; got != want {
			t.Fatalf("bind %s, sent from %s: unexpected log_sender_ip; got %q; want %q", bind, dial, got, want)
		}
	}
	f("127.0.0.1", "127.0.0.1", "127.0.0.1")
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Logf("no IPv6 loopback (%v): the IPv6 cases are skipped", err)
		return
	}
	pc.Close()
	f("::1", "::1", "::1")
	f("::", "127.0.0.1", "127.0.0.1")
}
