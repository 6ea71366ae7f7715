package store

import (
	"database/sql"
	"testing"
	"time"
)

// TestReadGateWriterWaitsForStatementsAndGivesUp: the writer's close waits
// for a statement in progress, gives up after its wait when the statement
// goes on, and a reader that opens a second statement on its connection
// while the writer waits is not blocked (it would deadlock otherwise).
func TestReadGateWriterWaitsForStatementsAndGivesUp(t *testing.T) {
	w, _ := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}}
	mustWrite(t, w, s, []Row{{ReceivedAt: ns(t, time.UTC, queryDate+" 10:00:00"), SenderIP: "10.0.0.1", Values: []sql.NullString{str("a")}}})
	v, err := w.Days().Open(t.Context(), queryDate)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
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
