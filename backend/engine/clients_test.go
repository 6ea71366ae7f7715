package engine

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"
)

// sendFrom sends each message as one datagram from the loopback address src
// (127.0.0.1 or 127.0.0.2) to addr.
func sendFrom(t *testing.T, src, addr string, msgs ...string) {
	t.Helper()
	laddr := &net.UDPAddr{IP: net.ParseIP(src)}
	raddr, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp4", laddr, raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, m := range msgs {
		if _, err := conn.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
}

// waitSettled waits until every received log is accounted for.
func waitSettled(t *testing.T, e *Engine, received uint64) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := e.Stats()
		done := st.Stored + st.Rejected + st.Dropped + st.Refused + st.WriteErrors
		if st.Received >= received && done == st.Received {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d logs to settle; stats %+v", received, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// clientsOf returns "sender=client" of every stored row, sorted.
func clientsOf(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range dayFiles(t, dir) {
		for _, r := range readRows(t, f) {
			out = append(out, r["log_sender_ip"]+"="+r["client"])
		}
	}
	sort.Strings(out)
	return out
}

func TestClientListsAcceptRejectAndNameSenders(t *testing.T) {
	f := func(name string, clients []Client, acceptUnknown bool, wantRejected uint64, want ...string) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			e, addr := startEngine(t, Config{Dir: dir}, mikrotik(t))
			if clients != nil {
				l, err := CompileClients(clients, acceptUnknown)
				if err != nil {
					t.Fatal(err)
				}
				e.SetClients(l)
			}
			sendFrom(t, "127.0.0.1", addr, "one", "two")
			sendFrom(t, "127.0.0.2", addr, "three")
			st := waitSettled(t, e, 3)
			if st.Rejected != wantRejected {
				t.Errorf("rejected; got %d; want %d", st.Rejected, wantRejected)
			}
			if got := clientsOf(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("stored sender=client; got %q; want %q", got, want)
			}
		})
	}
	f("no clients accepts everyone", nil, false, 0,
		"127.0.0.1=<nil>", "127.0.0.1=<nil>", "127.0.0.2=<nil>")
	f("exact IP rejects the other sender", []Client{{"one", "127.0.0.1"}}, false, 1,
		"127.0.0.1=one", "127.0.0.1=one")
	f("accept_unknown keeps the other sender without a name", []Client{{"one", "127.0.0.1"}}, true, 0,
		"127.0.0.1=one", "127.0.0.1=one", "127.0.0.2=<nil>")
	f("CIDR /32", []Client{{"two", "127.0.0.2/32"}}, false, 2, "127.0.0.2=two")
	f("CIDR /8 matches both", []Client{{"lo", "127.0.0.0/8"}}, false, 0,
		"127.0.0.1=lo", "127.0.0.1=lo", "127.0.0.2=lo")
	f("wildcard", []Client{{"two", "127.0.0.2*"}, {"rest", "127.0.*"}}, false, 0,
		"127.0.0.1=rest", "127.0.0.1=rest", "127.0.0.2=two")
	f("star", []Client{{"all", "*"}}, false, 0,
		"127.0.0.1=all", "127.0.0.1=all", "127.0.0.2=all")
	f("IPv6 CIDR matches no IPv4 sender", []Client{{"v6", "2001:db8::/32"}}, false, 3)
	f("first match wins", []Client{{"first", "127.0.0.0/8"}, {"second", "127.0.0.1"}}, false, 0,
		"127.0.0.1=first", "127.0.0.1=first", "127.0.0.2=first")
	f("reordered, the other wins", []Client{{"second", "127.0.0.1"}, {"first", "127.0.0.0/8"}}, false, 0,
		"127.0.0.1=second", "127.0.0.1=second", "127.0.0.2=first")
}

func TestClientListSwapAppliesToTheNextLogs(t *testing.T) {
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir}, mikrotik(t))
	l1, _ := CompileClients([]Client{{"a", "127.0.0.1"}}, false)
	e.SetClients(l1)
	sendFrom(t, "127.0.0.1", addr, "x")
	waitSettled(t, e, 1)
	l2, _ := CompileClients([]Client{{"b", "127.0.0.1"}}, false)
	e.SetClients(l2)
	sendFrom(t, "127.0.0.1", addr, "y")
	waitSettled(t, e, 2)
	want := []string{"127.0.0.1=a", "127.0.0.1=b"}
	if got := clientsOf(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("stored sender=client; got %q; want %q", got, want)
	}
}

func TestResolveMatchesEachKind(t *testing.T) {
	f := func(match, addr string, want bool) {
		t.Helper()
		l, err := CompileClients([]Client{{"c", match}}, false)
		if err != nil {
			t.Fatalf("match %q: %v", match, err)
		}
		got := l.resolve(netip.MustParseAddr(addr)) == 0
		if got != want {
			t.Errorf("match %q against %s; got %v; want %v", match, addr, got, want)
		}
	}
	f("10.0.0.1", "10.0.0.1", true)
	f("10.0.0.1", "10.0.0.2", false)
	f("10.0.0.0/8", "10.200.1.1", true)
	f("10.0.0.0/8", "11.0.0.1", false)
	f("10.0.*", "10.0.3.4", true)
	f("10.0.*", "10.1.3.4", false)
	f("*", "2001:db8::1", true)
	f("2001:db8::/32", "2001:db8:1::1", true)
	f("2001:db8::/32", "2001:db9::1", false)
	f("2001:db8:*", "2001:db8::5", true)
	f("2001:DB8::1", "2001:db8::1", true)
	f("::ffff:10.0.0.1", "10.0.0.1", true)
}

func TestParseMatchRejectsNonsense(t *testing.T) {
	for _, m := range []string{"", "host.example", "10.0.0.0/33", "10.*.1", "1..2/x", "10.0.0.256", "*.*"} {
		if err := ParseMatch(m); err == nil {
			t.Errorf("ParseMatch(%q); got nil; want an error", m)
		}
	}
	for _, m := range []string{"10.0.0.1", "10.0.0.0/8", "10.0.*", "*", "::1", "2001:db8::/32"} {
		if err := ParseMatch(m); err != nil {
			t.Errorf("ParseMatch(%q); got %v; want nil", m, err)
		}
	}
}

func TestLossAccountingStaysExactWithRejects(t *testing.T) {
	e, addr := startEngine(t, Config{}, mikrotik(t))
	l, _ := CompileClients([]Client{{"one", "127.0.0.1"}}, false)
	e.SetClients(l)
	var msgs []string
	for i := 0; i < 200; i++ {
		msgs = append(msgs, fmt.Sprint("log ", i))
	}
	sendFrom(t, "127.0.0.1", addr, msgs...)
	sendFrom(t, "127.0.0.2", addr, msgs[:50]...)
	st := waitSettled(t, e, 250)
	if st.Stored+st.Dropped != 200 || st.Rejected != 50 {
		t.Errorf("stored+dropped, rejected; got %d, %d; want 200, 50 (stats %+v)", st.Stored+st.Dropped, st.Rejected, st)
	}
	if st.QueueDepth != 0 {
		t.Errorf("queue depth; got %d; want 0", st.QueueDepth)
	}
}
