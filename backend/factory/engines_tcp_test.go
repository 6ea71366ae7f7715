package factory

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func TestTCPEngineStoresPersistsItsLimitsAndSharesAPortWithUDP(t *testing.T) {
	dir := t.TempDir()
	e := openSeeded(t, dir)
	udp := e.spec(t, "udp1")
	udp.Port = freeBothPort(t) // its TCP side must be free too: a tcp engine joins it
	if err := e.f.CreateEngine(udp); err != nil {
		t.Fatal(err)
	}
	s := e.spec(t, "tcp1")
	s.Protocol, s.Port, s.MaxMessageBytes, s.MaxConnections = "tcp", udp.Port, 1000, 7
	if err := e.f.CreateEngine(s); err != nil {
		t.Fatalf("a tcp engine on the port of a udp engine: %v", err)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, fmt.Sprintf("%d %s", len(mikrotikLog), mikrotikLog)); err != nil {
		t.Fatal(err)
	}
	waitStored(t, e.f, "tcp1", 1)
	conns, err := e.f.Connections("tcp1")
	if err != nil || len(conns) != 1 || conns[0].Messages != 1 {
		t.Fatalf("unexpected connections %+v %v; want one with one message", conns, err)
	}
	c.Close()
	if u, _ := e.f.Connections("udp1"); len(u) != 0 {
		t.Fatalf("a udp engine lists connections %+v", u)
	}

	// A second tcp engine on the same port clashes.
	s2 := e.spec(t, "tcp2")
	s2.Protocol, s2.Port = "tcp", s.Port
	if err := e.f.CreateEngine(s2); kind(err) != Conflict {
		t.Fatalf("second tcp engine on port %d: got %v; want Conflict", s.Port, err)
	}

	// The definition survives a reopen, limits included.
	e.close()
	e2 := openFactory(t, dir)
	info, err := e2.f.Engine("tcp1")
	if err != nil || info.Protocol != "tcp" || info.MaxMessageBytes != 1000 || info.MaxConnections != 7 {
		t.Fatalf("after reopen: got %+v %v; want tcp with its limits", info, err)
	}
	if u, _ := e2.f.Engine("udp1"); u.MaxMessageBytes != 65536 || u.MaxConnections != 1024 {
		t.Fatalf("udp engine limits after reopen: got %+v; want the defaults", u)
	}

	// Changing a limit restarts the tcp engine with it.
	info.MaxConnections = 1
	if err := e2.f.UpdateEngine("tcp1", info.EngineSpec); err != nil {
		t.Fatal(err)
	}
	st, _ := e2.f.Stats("tcp1")
	if st.State != "running" {
		t.Fatalf("after the limit change: %+v", st)
	}
	a, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	deadline := time.Now().Add(5 * time.Second)
	for st.Connections != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("first connection not counted: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
		st, _ = e2.f.Stats("tcp1")
	}
	b, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_ = b.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := b.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("second connection not closed with max_connections 1")
	}
	if st, _ := e2.f.Stats("tcp1"); st.ConnectionsRefused != 1 {
		t.Fatalf("unexpected stats %+v; want one connection refused", st)
	}
}
