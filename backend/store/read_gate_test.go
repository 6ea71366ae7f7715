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

// manySlots gives the test enough scan slots that a second connection waits
// only for the gate (this box may have a single slot).
func manySlots(t *testing.T) {
	old := scanSlots
	scanSlots = make(chan struct{}, 8)
	t.Cleanup(func() { scanSlots = old })
}

// pendingShut opens a one-row day with enough scan slots, walGateWait set to
// wait, a statement in progress (closed when the test ends, if not before)
// and the writer's gate shut over it (pending).
func pendingShut(t *testing.T, wait time.Duration) (*Day, *readGate, *sql.Rows) {
	t.Helper()
	old := walGateWait
	walGateWait = wait
	t.Cleanup(func() { walGateWait = old })
	v := oneRowDay(t)
	manySlots(t)
	rows, err := v.conn.QueryContext(t.Context(), "SELECT id FROM logs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rows.Close() })
	g := &v.d.gate
	if st := g.tryHold(walGateWait); st != gatePending {
		t.Fatalf("tryHold with a statement open = %d; want pending", st)
	}
	return v, g, rows
}

// runsWithin reports whether a new statement on a second connection of v's
// day runs within d (it waits while the writer's gate is shut).
func runsWithin(t *testing.T, v *Day, d time.Duration) (done chan struct{}, ran bool) {
	t.Helper()
	done = make(chan struct{})
	go func() {
		defer close(done)
		var id int64
		_ = v.d.ro.QueryRowContext(t.Context(), "SELECT max(id) FROM logs").Scan(&id)
	}()
	select {
	case <-done:
		return done, true
	case <-time.After(d):
		return done, false
	}
}

// TestReadGateWriterNeverWaitsForStatements: the writer's tryHold shuts the
// gate and returns at once while a statement is in progress (pending: the
// writer goes on with its batches); new statements on other connections
// wait, a second statement on the open connection does not (it would
// deadlock otherwise); a shut that does not drain within walGateWait
// reopens by itself and the writer's next try learns that it expired.
func TestReadGateWriterNeverWaitsForStatements(t *testing.T) {
	v, g, rows := pendingShut(t, 300*time.Millisecond)
	var n int
	if err := v.conn.QueryRowContext(t.Context(), "SELECT count(*) FROM logs").Scan(&n); err != nil || n != 1 {
		t.Fatalf("nested statement: %d rows, %v", n, err)
	}
	done, ran := runsWithin(t, v, 100*time.Millisecond)
	if ran {
		t.Fatal("a new statement ran while the gate was shut")
	}
	if st := g.tryHold(walGateWait); st != gatePending {
		t.Fatalf("second tryHold = %d; want pending", st)
	}
	<-done // the shut expires after walGateWait although rows stays open
	if st := g.tryHold(walGateWait); st != gateExpired {
		t.Fatalf("tryHold after the expiry = %d; want expired", st)
	}
	rows.Close()
	if st := g.tryHold(walGateWait); st != gateHeld {
		t.Fatalf("tryHold with no statement open = %d; want held", st)
	}
	done, ran = runsWithin(t, v, 50*time.Millisecond)
	if ran {
		t.Fatal("a statement ran while the writer held the gate")
	}
	time.Sleep(walGateWait + 100*time.Millisecond) // a held gate does not expire
	select {
	case <-done:
		t.Fatal("the held gate expired")
	default:
	}
	g.reopen()
	<-done
}

// TestReadGateReopensWhenDrainedAndTheWriterPauses: once the last statement
// in progress ends, a writer that has no next batch leaves the gate shut
// only walGateIdle, and that is no expiry (no back-off).
func TestReadGateReopensWhenDrainedAndTheWriterPauses(t *testing.T) {
	v, g, rows := pendingShut(t, time.Minute)
	done, ran := runsWithin(t, v, 50*time.Millisecond)
	if ran {
		t.Fatal("a new statement ran while the gate was shut")
	}
	rows.Close()
	select {
	case <-done:
	case <-time.After(walGateIdle + 5*time.Second):
		t.Fatalf("the drained gate stayed shut past walGateIdle (%v) with walGateWait %v", walGateIdle, walGateWait)
	}
	if st := g.tryHold(walGateWait); st != gateHeld {
		t.Fatalf("tryHold after an idle reopen = %d; want held (no back-off)", st)
	}
	g.reopen()
}

// TestReadGateReleaseReopensAPendingShut: a writer closing its day file
// (dayFile.close) reopens a gate it shut but did not hold.
func TestReadGateReleaseReopensAPendingShut(t *testing.T) {
	v, g, _ := pendingShut(t, time.Minute)
	g.release()
	if _, ran := runsWithin(t, v, 5*time.Second); !ran {
		t.Fatal("a statement waited on a released gate")
	}
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
