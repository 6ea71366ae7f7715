package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// walGateWait bounds how long the day's read gate stays shut to new
// statements while the statements in progress end, before the writer can
// checkpoint and restart the WAL (boundWAL). The writer does not wait for them: it shuts
// the gate after a batch and goes on writing; at each later batch it looks
// whether the statements in progress have ended and then restarts at once.
// Readers wait instead (new statements, at most this long plus a
// checkpoint); when the statements in progress outlast it, the gate
// reopens by itself and the writer tries again walGateRetry later. A
// reader statement is one bounded chunk (see Query, Export, CountByClient),
// so the drain normally takes a few milliseconds.
var (
	walGateWait  = 2 * time.Second
	walGateRetry = 500 * time.Millisecond
	walGateIdle  = 100 * time.Millisecond
)

// readGate lets the writer of a day restart its WAL although readers query
// the day back to back. SQLite can only restart a WAL when no reader holds
// a snapshot, and every statement in progress on a read connection holds
// one; with ten viewers looping some statement always was in progress, so
// the WAL grew with the day. Every statement on a day's read connections
// (and the purge's) enters the gate for as long as it runs (from query to
// Rows.Close). The writer shuts it (tryHold): new statements wait, so the
// ones in progress drain (writer-preferring: readers cannot starve the
// writer); once none is left the writer holds the gate, checkpoints and
// reopens it. A shut gate that the writer has not held within walGateWait
// reopens by itself (expire), so a reader that holds one statement and
// starts another on a second connection (which waits for the gate) delays
// readers, never ingest, and a writer that stops writing never leaves the
// gate shut. All readers of a day file are in this process.
type readGate struct {
	mu      sync.Mutex
	readers int           // statements in progress
	shut    chan struct{} // non-nil while the gate is shut; closed on reopen
	gen     uint64        // counts shuts, so an old expiry timer cannot reopen a later shut
	held    bool          // the writer holds the shut gate (truncating): it does not expire
	expired bool          // the last shut expired; the writer's next tryHold learns it
	timer   *time.Timer   // expiry of the current shut
}

// enter waits until the gate is open and counts one statement in.
func (g *readGate) enter() {
	g.mu.Lock()
	for g.shut != nil {
		c := g.shut
		g.mu.Unlock()
		<-c
		g.mu.Lock()
	}
	g.readers++
	g.mu.Unlock()
}

// leave counts one statement out. The last one out of a shut gate gives
// the writer walGateIdle to take it (its batches come every few
// milliseconds under load); when ingest has paused meanwhile the gate
// reopens then, not after walGateWait.
func (g *readGate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.readers--
	if g.readers == 0 && g.shut != nil && !g.held {
		g.timer.Stop()
		gen := g.gen
		g.timer = time.AfterFunc(walGateIdle, func() { g.expire(gen, false) })
	}
}

// gateState is the answer of tryHold.
type gateState int

const (
	gatePending gateState = iota // shut, statements still in progress: ask again after the next batch
	gateHeld                     // shut and drained: the writer holds it and must reopen it
	gateExpired                  // the last shut expired before it drained: back off
)

// tryHold is the writer's step: it shuts an open gate (expiring after wait)
// and reports whether the statements in progress have ended, in which case
// the writer holds the gate until reopen. Only the day's writer calls it.
func (g *readGate) tryHold(wait time.Duration) gateState {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut == nil {
		if g.expired {
			g.expired = false
			return gateExpired
		}
		g.shut = make(chan struct{})
		g.gen++
		gen := g.gen
		g.timer = time.AfterFunc(wait, func() { g.expire(gen, true) })
	}
	if g.readers > 0 {
		return gatePending
	}
	g.held = true
	g.timer.Stop()
	return gateHeld
}

// waitHold is tryHold repeated until the gate is held, its shut expires or
// wait has passed: the writer waits for the statements in progress.
func (g *readGate) waitHold(wait time.Duration) gateState {
	deadline := time.Now().Add(wait)
	for {
		st := g.tryHold(wait)
		if st != gatePending || time.Now().After(deadline) {
			return st
		}
		time.Sleep(time.Millisecond)
	}
}

// expire reopens the shut gate of generation gen unless the writer holds
// it; late means the statements in progress outlasted walGateWait, so the
// writer backs off.
func (g *readGate) expire(gen uint64, late bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut != nil && g.gen == gen && !g.held {
		g.open()
		g.expired = late
	}
}

// reopen lets statements in again after the writer held the gate.
func (g *readGate) reopen() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut != nil {
		g.open()
	}
}

// release reopens a gate the writer shut but has not held (its day file is
// closing): readers need not wait for the expiry.
func (g *readGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut != nil && !g.held {
		g.timer.Stop()
		g.open()
	}
}

// open lets statements in; g.mu is held.
func (g *readGate) open() {
	close(g.shut)
	g.shut, g.held, g.timer = nil, false, nil
}

// gatedOpen opens a database/sql handle on the file at path with query whose
// every statement passes g (see readGate). With mapped, its connections read
// the file through a memory map (readMapBytes).
func gatedOpen(path, query string, g *readGate, mapped bool) *sql.DB {
	if hook := testHookOpen.Load(); hook != nil {
		(*hook)(path)
	}
	return sql.OpenDB(&gatedConnector{dsn: fileDSN(path, query), g: g, mapped: mapped})
}

// readMapBytes is the PRAGMA mmap_size of a day's read connections; 0, they
// copy each page into SQLite's cache (pread). Mapped (1 << 40), they read
// the pages where the kernel's page cache holds them: on an Intel KVM guest
// a substring search of a 20M-row day, which spent a quarter of its CPU in
// that copy (perf: _copy_to_iter), scanned 6.1M rows/s idle instead of
// 4.7M and about 1.2x faster under ingest; on an AMD EPYC guest whose page
// faults are expensive (paravirtualized MMU: perf showed a quarter of the
// search's time in btreeInitPage's first touch of each mapped page) it
// scanned half as fast mapped (3.2-3.7M rows/s against 5.5-7.4M under
// ingest, README "The memory map off by default"). Off: the slower box
// loses a fifth, not half. SQLite maps at most SQLITE_MAX_MMAP_SIZE, 2 GiB
// unless the build raises it: the Makefile builds with a limit of 1 TiB
// (CGO_CFLAGS) so that turning the map on maps whole day files. Writes never
// go through the map (the writer's connections do not map).
const readMapBytes = 0

// gatedConnector makes the SQLite connections of gatedOpen.
type gatedConnector struct {
	dsn    string
	g      *readGate
	mapped bool
}

var sqliteDriver = &sqlite3.SQLiteDriver{}

func (c *gatedConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := sqliteDriver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	sc := conn.(*sqlite3.SQLiteConn)
	if c.mapped && readMapBytes > 0 { // 0 is SQLite's own default: nothing to set
		if _, err := sc.Exec(fmt.Sprintf("PRAGMA mmap_size=%d", readMapBytes), nil); err != nil {
			sc.Close()
			return nil, fmt.Errorf("cannot map the file: %w", err)
		}
	}
	return &gatedConn{c: sc, g: c.g}, nil
}

func (c *gatedConnector) Driver() driver.Driver { return sqliteDriver }

// gatedConn is a SQLite connection whose statements pass its gate. A
// connection counts in once however many of its statements are open, so a
// second statement on the same connection never waits for the writer.
type gatedConn struct {
	c    *sqlite3.SQLiteConn
	g    *readGate
	mu   sync.Mutex
	open int           // statements (and transactions) in progress on this connection
	slot chan struct{} // the semaphore of the slot it holds while open > 0
}

// in counts a statement in: the connection's first open statement takes a
// scan slot (takeSlot; ahead: a scan's read-ahead, see aheadKey) and
// enters the gate.
func (c *gatedConn) in(ahead bool) {
	c.mu.Lock()
	if c.open == 0 {
		c.slot = takeSlot(ahead)
		c.g.enter()
	}
	c.open++
	c.mu.Unlock()
}

func (c *gatedConn) out() {
	c.mu.Lock()
	c.open--
	if c.open == 0 {
		c.g.leave()
		<-c.slot
	}
	c.mu.Unlock()
}

// scanSlots bounds the read statements that run at once on all the day
// files of the process: half the CPUs, at least one. Each statement is one
// bounded step (a scan chunk, an export step), so readers take turns step
// by step; without the bound ten viewers scanning on a 2-vCPU box left the
// engines' receivers and writers a sixth of the CPU, and ingest at
// 100,000 logs/s lost most of its logs. The engines' writers never take a
// slot. A connection takes one slot however many of its statements are
// open, so a statement opened while another runs never waits for one.
var scanSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// spareSlot lets one read-ahead statement (aheadKey) run beside those that
// hold every scan slot while no statement waits for one: on a 2-vCPU box
// (one slot) a search then reads on both cores while nothing else reads,
// and takes turns with the other readers as soon as one waits.
var spareSlot = make(chan struct{}, 1)

// slotWaiters counts the statements waiting for a scan slot.
var slotWaiters atomic.Int32

// aheadKey marks the context of a read-ahead statement: scanAhead's
// readers after the first.
type aheadKey struct{}

func isAhead(ctx context.Context) bool { return ctx.Value(aheadKey{}) != nil }

// takeSlot takes a free scan slot; else, for a read-ahead statement while
// none waits, the spare slot when it is free; else it waits for a scan
// slot. It returns the semaphore taken (release: receive from it).
func takeSlot(ahead bool) chan struct{} {
	select {
	case scanSlots <- struct{}{}:
		return scanSlots
	default:
	}
	if ahead && slotWaiters.Load() == 0 {
		select {
		case spareSlot <- struct{}{}:
			return spareSlot
		default:
		}
	}
	slotWaiters.Add(1)
	defer slotWaiters.Add(-1)
	scanSlots <- struct{}{}
	return scanSlots
}

// gatedRows counts its connection out once closed.
type gatedRows struct {
	driver.Rows
	c    *gatedConn
	done bool
}

func (r *gatedRows) Close() error {
	err := r.Rows.Close()
	if !r.done {
		r.done = true
		r.c.out()
	}
	return err
}

func (c *gatedConn) rows(rows driver.Rows, err error) (driver.Rows, error) {
	if err != nil {
		c.out()
		return nil, err
	}
	return &gatedRows{Rows: rows, c: c}, nil
}

func (c *gatedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.in(isAhead(ctx))
	return c.rows(c.c.QueryContext(ctx, query, args))
}

func (c *gatedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.in(false)
	defer c.out()
	return c.c.ExecContext(ctx, query, args)
}

func (c *gatedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *gatedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &gatedStmt{st: st.(*sqlite3.SQLiteStmt), c: c}, nil
}

func (c *gatedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx holds the gate until the transaction ends: its statements share
// one snapshot.
func (c *gatedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.in(false)
	tx, err := c.c.BeginTx(ctx, opts)
	if err != nil {
		c.out()
		return nil, err
	}
	return &gatedTx{tx: tx, c: c}, nil
}

func (c *gatedConn) Ping(ctx context.Context) error { return c.c.Ping(ctx) }

func (c *gatedConn) Close() error { return c.c.Close() }

type gatedTx struct {
	tx driver.Tx
	c  *gatedConn
}

func (t *gatedTx) Commit() error {
	defer t.c.out()
	return t.tx.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.c.out()
	return t.tx.Rollback()
}

// gatedStmt is a prepared statement whose runs pass the gate (a prepared
// statement that is not running holds no snapshot).
type gatedStmt struct {
	st *sqlite3.SQLiteStmt
	c  *gatedConn
}

func (s *gatedStmt) Close() error  { return s.st.Close() }
func (s *gatedStmt) NumInput() int { return s.st.NumInput() }

func (s *gatedStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.c.in(false)
	defer s.c.out()
	return s.st.Exec(args)
}

func (s *gatedStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.c.in(false)
	return s.c.rows(s.st.Query(args))
}

func (s *gatedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.in(false)
	defer s.c.out()
	return s.st.ExecContext(ctx, args)
}

func (s *gatedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.in(isAhead(ctx))
	return s.c.rows(s.st.QueryContext(ctx, args))
}
