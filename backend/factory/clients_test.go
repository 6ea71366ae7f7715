package factory

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sendFrom sends msg n times from the loopback address src to 127.0.0.1:port.
func sendFrom(t *testing.T, src string, port int, msg string, n int) {
	t.Helper()
	conn, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(src)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := 0; i < n; i++ {
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
}

// waitSettled waits until every log an engine received is accounted for.
func waitSettled(t *testing.T, f *Factory, name string, received uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := f.Stats(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Received >= received && st.Stored+st.Rejected+st.Dropped+st.Refused+st.WriteErrors == st.Received {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine %q: timed out waiting for %d logs to settle; stats %+v", name, received, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rowsPerClient renders Clients as "name=rows" in match order.
func rowsPerClient(t *testing.T, f *Factory, name string) string {
	t.Helper()
	cs, err := f.Clients(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+"="+strconv.FormatInt(c.Rows, 10))
	}
	return strings.Join(parts, " ")
}

func TestClientsNameRejectReorderPersistAndPurge(t *testing.T) {
	dir := t.TempDir()
	e := openSeeded(t, dir)
	s := e.create(t, "edge")
	if err := e.f.AddClient("edge", ClientSpec{Name: "one", Match: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	sendFrom(t, "127.0.0.1", s.Port, mikrotikLog, 3)
	sendFrom(t, "127.0.0.2", s.Port, mikrotikLog, 2)
	waitSettled(t, e.f, "edge", 5)
	if st, _ := e.f.Stats("edge"); st.Rejected != 2 || st.Stored != 3 {
		t.Errorf("rejected, stored; got %d, %d; want 2, 3", st.Rejected, st.Stored)
	}

	if err := e.f.AddClient("edge", ClientSpec{Name: "loop", Match: "127.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	sendFrom(t, "127.0.0.2", s.Port, mikrotikLog, 4)
	waitSettled(t, e.f, "edge", 9)
	if got, want := rowsPerClient(t, e.f, "edge"), "one=3 loop=4"; got != want {
		t.Errorf("rows per client; got %q; want %q", got, want)
	}
	// Reorder: loop now wins for 127.0.0.1 as well.
	if err := e.f.ReplaceClients("edge", []ClientSpec{{Name: "loop", Match: "127.0.0.0/8"}, {Name: "one", Match: "127.0.0.1"}}); err != nil {
		t.Fatal(err)
	}
	sendFrom(t, "127.0.0.1", s.Port, mikrotikLog, 1)
	waitSettled(t, e.f, "edge", 10)

	e.close()
	e = openFactory(t, dir)
	if got, want := rowsPerClient(t, e.f, "edge"), "loop=5 one=3"; got != want {
		t.Errorf("rows per client after reorder and reboot; got %q; want %q", got, want)
	}

	job, err := e.f.DeleteClient("edge", "one", true)
	if err != nil || job == nil {
		t.Fatalf("delete with purge; got %v, %v; want a job", job, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := e.f.Job(job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == JobDone {
			if j.Progress != 1 || j.Deleted != 3 {
				t.Errorf("finished job; got %+v; want progress 1, 3 deleted", j)
			}
			break
		}
		if j.State == JobFailed || time.Now().After(deadline) {
			t.Fatalf("purge job; got %+v; want done", j)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, want := rowsPerClient(t, e.f, "edge"), "loop=5"; got != want {
		t.Errorf("rows per client after purge; got %q; want %q", got, want)
	}
	evs, _ := e.f.Events("edge", 0)
	if len(evs) == 0 || !strings.Contains(evs[0].Message, `purged 3 rows of client "one"`) {
		t.Errorf("newest event; got %+v; want the purge", evs)
	}
}

func TestClientValidationNamesTheField(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	e.create(t, "v")
	f := func(c []ClientSpec, wantKind Kind, wantField string) {
		t.Helper()
		err := e.f.ReplaceClients("v", c)
		var fe *Error
		if !asError(err, &fe) || fe.Kind != wantKind || fe.Field != wantField {
			t.Errorf("clients %v; got %v; want kind %d field %q", c, err, wantKind, wantField)
		}
	}
	f([]ClientSpec{{Name: "Bad Name", Match: "*"}}, Invalid, "name")
	f([]ClientSpec{{Name: "ok", Match: "10.0.0.0/40"}}, Invalid, "match")
	f([]ClientSpec{{Name: "ok", Match: "*"}, {Name: "ok", Match: "::1"}}, Conflict, "name")
	if _, err := e.f.DeleteClient("v", "none", false); kind(err) != NotFound {
		t.Errorf("delete of a missing client; got %v; want not found", err)
	}
}

func TestAcceptUnknownAppliesWithoutRestart(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	s := e.create(t, "au")
	if err := e.f.AddClient("au", ClientSpec{Name: "two", Match: "127.0.0.2"}); err != nil {
		t.Fatal(err)
	}
	s.AcceptUnknown = true
	if err := e.f.UpdateEngine("au", s); err != nil {
		t.Fatal(err)
	}
	sendFrom(t, "127.0.0.1", s.Port, mikrotikLog, 2)
	waitSettled(t, e.f, "au", 2)
	if st, _ := e.f.Stats("au"); st.Stored != 2 || st.Rejected != 0 || st.StartedAt == 0 {
		t.Errorf("stored, rejected; got %d, %d; want 2, 0 (stats %+v)", st.Stored, st.Rejected, st)
	}
}

func asError(err error, target **Error) bool { return errors.As(err, target) }
