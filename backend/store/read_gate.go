package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"runtime"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// walGateWait bounds how long the writer waits for the statements in
// progress on a day to end before it truncates the WAL (boundWAL); past it
// the writer lets readers go on and tries again walGateRetry later (a
// statement that long would otherwise stall every batch). A reader
// statement is one bounded chunk (see Query, Export, CountByClient), so the
// wait is normally a few milliseconds; ingest stalls for the wait, the
// engine's queue holds what arrives meanwhile.
var (
	walGateWait  = 500 * time.Millisecond
	walGateRetry = 500 * time.Millisecond
)

// readGate lets the writer of a day restart its WAL although readers query
// the day back to back. SQLite can only restart a WAL when no reader holds
// a snapshot, and every statement in progress on a read connection holds
// one; with ten viewers looping some statement always was in progress, so
// the WAL grew with the day. Every statement on a day's read connections
// (and the purge's) enters the gate for as long as it runs (from query to
// Rows.Close); the writer closes it, waits for those statements to end,
// checkpoints and reopens it. New statements wait while the writer waits or
// holds it (writer-preferring, so readers cannot starve the writer); the
// writer gives up after walGateWait, so a reader that holds one statement
// and starts another (which would wait for the writer forever) delays
// ingest at most that long. All readers of a day file are in this process.
type readGate struct {
	mu      sync.Mutex
	readers int           // statements in progress
	shut    chan struct{} // non-nil while the writer waits or holds the gate; closed on reopen
	drained chan struct{} // non-nil while the writer waits; closed when readers reaches 0
}

// enter waits until the writer does not hold or wait for the gate and
// counts one statement in.
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

// leave counts one statement out.
func (g *readGate) leave() {
	g.mu.Lock()
	g.readers--
	if g.readers == 0 && g.drained != nil {
		close(g.drained)
		g.drained = nil
	}
	g.mu.Unlock()
}

// close shuts the gate to new statements and waits up to wait for those in
// progress to end. ok reports whether they did; reopen must be called
// either way (exactly once). Only one goroutine (the day's writer) closes
// the gate at a time.
func (g *readGate) close(wait time.Duration) (ok bool) {
	g.mu.Lock()
	g.shut = make(chan struct{})
	var drained chan struct{}
	if g.readers > 0 {
		drained = make(chan struct{})
		g.drained = drained
	}
	g.mu.Unlock()
	if drained == nil {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-drained:
		return true
	case <-t.C:
		return false
	}
}

// reopen lets statements in again.
func (g *readGate) reopen() {
	g.mu.Lock()
	close(g.shut)
	g.shut, g.drained = nil, nil
	g.mu.Unlock()
}

// gatedOpen opens a database/sql handle on the file at path with query whose
// every statement passes g (see readGate).
func gatedOpen(path, query string, g *readGate) *sql.DB {
	if hook := testHookOpen.Load(); hook != nil {
		(*hook)(path)
	}
	return sql.OpenDB(&gatedConnector{dsn: fileDSN(path, query), g: g})
}

// gatedConnector makes the SQLite connections of gatedOpen.
type gatedConnector struct {
	dsn string
	g   *readGate
}

var sqliteDriver = &sqlite3.SQLiteDriver{}

func (c *gatedConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := sqliteDriver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &gatedConn{c: conn.(*sqlite3.SQLiteConn), g: c.g}, nil
}

func (c *gatedConnector) Driver() driver.Driver { return sqliteDriver }

// gatedConn is a SQLite connection whose statements pass its gate. A
// connection counts in once however many of its statements are open, so a
// second statement on the same connection never waits for the writer.
type gatedConn struct {
	c    *sqlite3.SQLiteConn
	g    *readGate
	mu   sync.Mutex
	open int // statements (and transactions) in progress on this connection
}

func (c *gatedConn) in() {
	c.mu.Lock()
	if c.open == 0 {
		scanSlots <- struct{}{}
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
		<-scanSlots
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
	c.in()
	return c.rows(c.c.QueryContext(ctx, query, args))
}

func (c *gatedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.in()
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
	c.in()
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
	s.c.in()
	defer s.c.out()
	return s.st.Exec(args)
}

func (s *gatedStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.c.in()
	return s.c.rows(s.st.Query(args))
}

func (s *gatedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.in()
	defer s.c.out()
	return s.st.ExecContext(ctx, args)
}

func (s *gatedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.in()
	return s.c.rows(s.st.QueryContext(ctx, args))
}
