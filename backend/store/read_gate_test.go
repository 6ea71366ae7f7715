package store

import (
	"database/sql"
	"testing"
	"time"
)

// oneRowDay opens the read handle of a day file of one row (released when
// the test ends).
func oneRowDay(t *testing.T) *Day {
	t.Helper()
	w, _ := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}}
	mustWrite(t, w, s, []Row{{ReceivedAt: ns(t, time.UTC, queryDate+" 10:00:00"), SenderIP: "10.0.0.1", Values: []sql.NullString{str("a")}}})
	v, err := w.Days().Open(t.Context(), queryDate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Release)
	return v
}

// TestReadGateWriterWaitsForStatementsAndGivesUp: the writer's close waits
// for a statement in progress, gives up after its wait when the statement
// goes on, and a reader that opens a second statement on its connection
// while the writer waits is not blocked (it would deadlock otherwise).
func TestReadGateWriterWaitsForStatementsAndGivesUp(t *testing.T) {
	v := oneRowDay(t)
	g := &v.d.gate
	rows, err := v.conn.QueryContext(t.Context(), "SELECT id FROM logs")
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan bool)
	go func() { closed <- g.close(300 * time.Millisecond) }()
	for { // wait until the writer waits
		g.mu.Lock()
		waiting := g.shut != nil
		g.mu.Unlock()
		if waiting {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// A second statement on the same connection passes the shut gate.
	var n int
	if err := v.conn.QueryRowContext(t.Context(), "SELECT count(*) FROM logs").Scan(&n); err != nil || n != 1 {
		t.Fatalf("nested statement: %d rows, %v", n, err)
	}
	if <-closed {
		t.Fatal("the gate closed while a statement was open")
	}
	g.reopen()
	rows.Close()
	if !g.close(time.Second) {
		t.Fatal("the gate did not close with no statement open")
	}
	// A new statement waits for the writer to reopen the gate.
	done := make(chan struct{})
	go func() {
		defer close(done)
		var id int64
		_ = v.conn.QueryRowContext(t.Context(), "SELECT max(id) FROM logs").Scan(&id)
	}()
	select {
	case <-done:
		t.Fatal("a statement ran while the writer held the gate")
	case <-time.After(50 * time.Millisecond):
	}
	g.reopen()
	<-done
}

// TestScanSlotsBoundTheReadStatementsRunningAtOnce: with two slots, a third
// connection's statement waits until one of two open statements ends, while
// a second statement on a connection that holds a slot does not wait.
func TestScanSlotsBoundTheReadStatementsRunningAtOnce(t *testing.T) {
	old := scanSlots
	scanSlots = make(chan struct{}, 2)
	defer func() { scanSlots = old }()
	v := oneRowDay(t)
	pool := v.d.ro
	var open []*sql.Rows
	for range 2 {
		c, err := pool.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		rows, err := c.QueryContext(t.Context(), "SELECT id FROM logs")
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, rows)
		// A second statement on a connection that holds a slot runs.
		var n int
		if err := c.QueryRowContext(t.Context(), "SELECT count(*) FROM logs").Scan(&n); err != nil || n != 1 {
			t.Fatalf("nested statement: %d rows, %v", n, err)
		}
	}
	c3, err := pool.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var n int
		_ = c3.QueryRowContext(t.Context(), "SELECT count(*) FROM logs").Scan(&n)
	}()
	select {
	case <-done:
		t.Fatal("a third statement ran while two held both slots")
	case <-time.After(200 * time.Millisecond):
	}
	open[0].Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the third statement did not run once a slot was free")
	}
	open[1].Close()
}
