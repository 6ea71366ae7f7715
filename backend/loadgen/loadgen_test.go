package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/tlstest"
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
	for _, noGSO := range []bool{false, true} {
		t.Run(fmt.Sprintf("no_gso=%v", noGSO), func(t *testing.T) { testSendDelivers(t, noGSO) })
	}
}

// testSendDelivers checks that every datagram arrives on its own, byte for
// byte one of the pool's messages: GSO must cut runs at message boundaries.
func testSendDelivers(t *testing.T, noGSO bool) {
	pool := map[string]bool{}
	for _, m := range Messages(8192, 0, 1) {
		pool[string(m)] = true
	}
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
			k, _, err := pc.ReadFrom(buf)
			if err != nil {
				got <- n
				return
			}
			if !pool[string(buf[:k])] {
				t.Errorf("datagram %d (%d bytes) is not one of the messages: %.80q", n, k, buf[:k])
			}
			n++
		}
	}()
	res, err := Send(context.Background(), Options{Target: pc.LocalAddr().String(), Rate: 20000, Count: 2000, NoGSO: noGSO})
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

func TestUnitsPackEqualLengthsAndKeepEveryMessage(t *testing.T) {
	pool := Messages(3000, 0, 9)
	want := map[string]int{}
	for _, m := range pool {
		want[string(m)]++
	}
	us := units(pool, true, 1)
	if len(us) >= len(pool)/4 {
		t.Fatalf("%d units for %d messages: runs are not packed", len(us), len(pool))
	}
	for _, u := range us {
		if u.n < 1 || u.n > maxSegs || len(u.buf) != u.n*u.seg || len(u.buf) > maxGSOBytes || u.cmsg == nil {
			t.Fatalf("bad unit: n=%d seg=%d len=%d", u.n, u.seg, len(u.buf))
		}
		for i := 0; i < u.n; i++ {
			want[string(u.buf[i*u.seg:(i+1)*u.seg])]--
		}
	}
	for m, c := range want {
		if c != 0 {
			t.Fatalf("message count off by %d after packing: %.60q", c, m)
		}
	}
}

func TestRewindStepsBackAcrossUnits(t *testing.T) {
	us := []unit{{n: 3}, {n: 2}, {n: 4}}
	cases := []struct{ next, off, k, wantNext, wantOff int }{
		{1, 1, 1, 1, 0},
		{1, 1, 2, 0, 2},
		{2, 0, 5, 0, 0},
		{0, 1, 2, 2, 3}, // wraps to the last unit
	}
	for _, c := range cases {
		n, o := rewind(us, c.next, c.off, c.k)
		if n != c.wantNext || o != c.wantOff {
			t.Errorf("rewind(%d,%d,%d) = (%d,%d); want (%d,%d)", c.next, c.off, c.k, n, o, c.wantNext, c.wantOff)
		}
	}
}

func TestSendTCPFramesEveryMessage(t *testing.T) {
	ca := tlstest.NewCA(t, t.TempDir(), "bench")
	cert := tlstest.KeyPair(t, ca, "server")
	for _, c := range []struct{ protocol, framing string }{{"tcp", "octet"}, {"tcp", "lf"}, {"tls", "octet"}} {
		protocol, framing := c.protocol, c.framing
		t.Run(protocol+"-"+framing, func(t *testing.T) {
			var ln net.Listener
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if protocol == "tls" { // a certificate loadgen cannot verify: it trusts any
				ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
			}
			defer ln.Close()
			got := make(chan []byte, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					got <- nil
					return
				}
				defer c.Close()
				b, _ := io.ReadAll(c)
				got <- b
			}()
			const n = 10000 // more than the pool: the stream wraps around
			res, err := Send(context.Background(), Options{Target: ln.Addr().String(), Count: n, Seed: 3, Protocol: protocol, Framing: framing})
			if err != nil || res.Sent != n {
				t.Fatalf("sent %d, %v; want %d", res.Sent, err, n)
			}
			b := <-got
			pool := poolOf(Messages(8192, 0, 4))
			frames, err := countFrames(b, framing, pool)
			if err != nil || frames != n {
				t.Fatalf("got %d frames (%v); want %d", frames, err, n)
			}
		})
	}
}

// poolOf is the set of ms.
func poolOf(ms [][]byte) map[string]bool {
	pool := map[string]bool{}
	for _, m := range ms {
		pool[string(m)] = true
	}
	return pool
}

// countFrames splits a received stream into its frames (octet counting or
// LF); an error unless each is one of pool's messages.
func countFrames(b []byte, framing string, pool map[string]bool) (int, error) {
	frames := 0
	for len(b) > 0 {
		var msg []byte
		if framing == "lf" {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				return frames, fmt.Errorf("frame %d has no LF: %.80q", frames, b)
			}
			msg, b = b[:i], b[i+1:]
		} else {
			sp := bytes.IndexByte(b, ' ')
			l, err := strconv.Atoi(string(b[:max(sp, 0)]))
			if err != nil || sp+1+l > len(b) {
				return frames, fmt.Errorf("frame %d: bad octet count in %.40q", frames, b)
			}
			msg, b = b[sp+1:sp+1+l], b[sp+1+l:]
		}
		if !pool[string(msg)] {
			return frames, fmt.Errorf("frame %d is not a pool message: %q", frames, msg)
		}
		frames++
	}
	return frames, nil
}

// With Conns, a send opens that many connections at once, all before the
// first message, and each carries its even share, paced, framed whole.
func TestSendOverManyConnectionsSharesCountOverEveryConnection(t *testing.T) {
	ca := tlstest.NewCA(t, t.TempDir(), "bench")
	cert := tlstest.KeyPair(t, ca, "server")
	pool := poolOf(Messages(8192, 0, 6))
	for _, c := range []struct {
		protocol, framing string
		conns, count      int
		rate              int
	}{
		{"tcp", "octet", 100, 3001, 3000}, // 30 or 31 a connection, 30/s each: about a second
		{"tcp", "lf", 30, 9000, 0},        // unpaced: the workers take turns
		{"tls", "octet", 40, 1201, 2400},
	} {
		t.Run(fmt.Sprintf("%s-%s-%d", c.protocol, c.framing, c.conns), func(t *testing.T) {
			var ln net.Listener
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if c.protocol == "tls" {
				ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
			}
			defer ln.Close()
			var mu sync.Mutex
			open, peak := 0, 0
			perConn := make(chan int, 2*c.conns)
			go func() {
				for {
					conn, err := ln.Accept()
					if err != nil {
						return
					}
					mu.Lock()
					open++
					peak = max(peak, open)
					mu.Unlock()
					go func() {
						defer conn.Close()
						b, err := io.ReadAll(conn)
						if err != nil {
							t.Errorf("read: %v", err)
						}
						mu.Lock()
						open--
						mu.Unlock()
						k, err := countFrames(b, c.framing, pool)
						if err != nil {
							t.Error(err)
						}
						perConn <- k
					}()
				}
			}()
			res, err := Send(context.Background(), Options{Target: ln.Addr().String(), Count: c.count, Rate: c.rate,
				Seed: 5, Protocol: c.protocol, Framing: c.framing, Conns: c.conns})
			if err != nil || res.Sent != c.count {
				t.Fatalf("sent %d, %v; want %d", res.Sent, err, c.count)
			}
			share, extra := c.count/c.conns, c.count%c.conns
			total, bigger := 0, 0
			for i := 0; i < c.conns; i++ {
				select {
				case k := <-perConn:
					if k != share && k != share+1 {
						t.Fatalf("a connection carried %d frames; want %d or %d", k, share, share+1)
					}
					total += k
					if k == share+1 {
						bigger++
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%d of %d connections ended; want every one", i, c.conns)
				}
			}
			if total != c.count || bigger != extra {
				t.Fatalf("frames %d (%d connections with one more); want %d (%d)", total, bigger, c.count, extra)
			}
			select {
			case k := <-perConn:
				t.Fatalf("a connection beyond the %d: %d frames", c.conns, k)
			default:
			}
			mu.Lock()
			defer mu.Unlock()
			if c.rate > 0 && peak != c.conns {
				t.Fatalf("at most %d connections open at once; want all %d", peak, c.conns)
			}
		})
	}
}

func TestSendRejectsBadConns(t *testing.T) {
	f := func(o Options, want string) {
		t.Helper()
		if _, err := Send(context.Background(), o); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Send(%+v): %v; want an error naming %q", o, err, want)
		}
	}
	f(Options{Target: "127.0.0.1:9", Count: 1, Conns: 2}, "udp")
	f(Options{Target: "127.0.0.1:9", Count: 1, Protocol: "tcp", Conns: MaxConns + 1}, "conns")
	f(Options{Target: "127.0.0.1:9", Count: 1, Protocol: "tcp", Conns: -1}, "conns")
}
