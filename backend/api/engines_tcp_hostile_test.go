package api_test

import (
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// A hostile TCP client shows in the API: its counter in /stats and an event
// (warning) in /events naming the peer, and what it framed before stays stored.
func TestTCPHostileClientsShowInStatsAndEvents(t *testing.T) {
	e := newEnv(t)
	e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
	port := freeTCPPort(t)
	r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin, Body: map[string]any{
		"name": "hostile", "class": "t1", "protocol": "tcp", "bind": "127.0.0.1", "port": port, "timezone": "UTC", "max_connections": 2}})
	if r.Status != 201 {
		t.Fatalf("create engine; got %d %s; want 201", r.Status, r.Body)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	send := func(c net.Conn, s string) {
		if _, err := io.WriteString(c, s); err != nil {
			t.Fatal(err)
		}
	}
	type stats struct {
		Received           uint64 `json:"received"`
		Stored             uint64 `json:"stored"`
		Connections        int64  `json:"connections"`
		ConnectionsRefused uint64 `json:"connections_refused"`
		FramingErrors      uint64 `json:"framing_errors"`
	}
	get := func() stats {
		var st stats
		e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/hostile/stats", Token: e.viewer}).JSON(t, &st)
		return st
	}

	cut := dial() // a whole frame, then one cut off by the disconnect
	send(cut, "9 msg=whole12 msg=cut")
	cutPeer := cut.LocalAddr().String()
	cut.Close()
	bogus := dial() // a whole line, then a count no engine takes
	send(bogus, "msg=line\n99999999999 x")
	bogusPeer := bogus.LocalAddr().String()
	apitest.Eventually(t, 10*time.Second, "two framing errors, two logs stored, no connection", func() bool {
		st := get()
		return st.FramingErrors == 2 && st.Stored == 2 && st.Connections == 0
	})
	held := []net.Conn{dial(), dial()}
	send(held[0], "msg=held\n")
	apitest.Eventually(t, 10*time.Second, "the two held connections", func() bool { st := get(); return st.Connections == 2 && st.Stored == 3 })
	over := dial() // the third is refused: max_connections is 2
	overPeer := over.LocalAddr().String()
	apitest.Eventually(t, 10*time.Second, "a refused connection", func() bool { return get().ConnectionsRefused == 1 })
	if st := get(); st.Received != 3 || st.Stored != 3 {
		t.Fatalf("unexpected stats %+v; want the 3 whole messages received and stored", st)
	}

	var evs []struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/hostile/events", Token: e.viewer}).JSON(t, &evs)
	for _, want := range []string{
		"connection from " + cutPeer + " ended mid-frame: 10 bytes not stored",
		"connection from " + bogusPeer + " closed: octet count 99999999999 above max_message_bytes 65536",
		"connection from " + overPeer + " refused: max_connections (2) are open",
	} {
		found := false
		for _, ev := range evs {
			found = found || (ev.Level == "warning" && ev.Message == want)
		}
		if !found {
			t.Errorf("no warning event %q; got %+v", want, evs)
		}
	}
	p := e.logs(t, "hostile", "order=asc")
	var got []string
	for _, row := range p.Rows {
		got = append(got, *row[col(p, "original_log")])
	}
	sort.Strings(got) // two connections: either may be stored first
	if strings.Join(got, "|") != "msg=held|msg=line|msg=whole" {
		t.Fatalf("unexpected rows; got %q; want the whole frames only", got)
	}
}
