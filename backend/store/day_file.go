package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/logsieve/logsieve/backend/class"
)

// maxVars bounds the parameters of one statement (SQLITE_MAX_VARIABLE_NUMBER
// is 32766 in the bundled SQLite).
const maxVars = 32000

// rowsPerInsert is the number of rows of one full multi-row INSERT.
const rowsPerInsert = 64

// writerDSN are the connection settings of a writer's day file. _mutex=no
// opens it without SQLite's per-call mutex: only the writer's goroutine uses
// the connection. Appends need little page cache: 4 MiB (with the engine's
// 8,000-row transactions) stored as fast as 16 MiB with 20,000 rows in
// `make bench`, and cut the server's RSS from ~142 MB to ~80 MB per busy engine.
const writerDSN = "_mutex=no&_synchronous=NORMAL&_busy_timeout=10000&_cache_size=-4096"

// writerBusyTimeoutMs is the busy timeout of writerDSN (restored after the
// writer's truncating checkpoint, see boundWAL).
const writerBusyTimeoutMs = 10000

// dayFile is one day file open for writing on a single pinned connection.
type dayFile struct {
	date  string
	path  string
	db    *sql.DB
	conn  *sql.Conn
	has   map[string]bool
	sets  map[string]*insertSet
	stmts []driver.Stmt // every prepared statement, for close
	cp    *checkpointer
	sum   *summarizer // block summaries (summary_bloom.go)
	gate  *readGate   // the day's read gate, shut while the WAL is truncated; nil in tests
	// gateRetry is when boundWAL may shut the gate again after it did not
	// drain in time.
	gateRetry time.Time

	// lastTime is the time of the file's last committed row, pendingTime
	// that of the batch in progress (see recordTimeBreaks).
	lastTime, pendingTime string

	minuteScratch []minuteCount // reused by recordMinutes

	// zone is the time zone this file's zones table is known to hold (the
	// writer's, once a batch of it committed): see recordZone.
	zone string
	// notInLine, ipZone: the file has flagValuesNotInLine, flagIPZone (no
	// more checks needed).
	notInLine, ipZone bool
	// batchRows: the batch table has its row id columns (batch_rows.go).
	batchRows bool
	// clients are the names the file's clients table holds (committed);
	// nil when the file has no such table (see clientsTable).
	clients map[string]bool
}

// insertSet holds the INSERT statements of one column set.
type insertSet struct {
	cols []string
	per  int                // rows of a full statement
	byN  map[int]insertStmt // statements by row count
}

// insertStmt is a prepared INSERT: the driver's statement (which owns it and
// finalizes it on Close) and its sqlite3_stmt for insertCells (nil: bind
// through the driver, see runInserts).
type insertStmt struct {
	st driver.Stmt
	h  unsafe.Pointer
}

// querier is what *sql.DB and *sql.Conn share for reading.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// openDayFile opens the day file of date in dir, creating its table with the
// columns of s when the file is new.
func openDayFile(dir, date string, s *Schema) (*dayFile, error) {
	path := dayPath(dir, date)
	fail := func(err error) (*dayFile, error) {
		return nil, fmt.Errorf("cannot open day file %q: %w", path, err)
	}
	db, err := sqlOpen(path, writerDSN)
	if err != nil {
		return fail(err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return fail(err)
	}
	d := &dayFile{date: date, path: path, db: db, conn: conn, sets: make(map[string]*insertSet)}
	setSoftHeapLimit(ctx, conn)
	// page_size only takes on a new file, and only before WAL mode is set: 16 KiB
	// pages made append-only inserts about 20 % cheaper than 4 KiB in
	// BenchmarkWrite.
	for _, p := range []string{"PRAGMA page_size=16384", "PRAGMA journal_mode=WAL",
		"PRAGMA temp_store=MEMORY", "PRAGMA wal_autocheckpoint=0", walLimitPragma()} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			d.close()
			return fail(err)
		}
	}
	cols, err := tableColumns(ctx, conn)
	if err != nil {
		d.close()
		return fail(err)
	}
	if len(cols) == 0 {
		if _, err := conn.ExecContext(ctx, createTableSQL(s)); err != nil {
			d.close()
			return fail(err)
		}
		if cols, err = tableColumns(ctx, conn); err != nil {
			d.close()
			return fail(err)
		}
	}
	if d.lastTime, err = initTimeBreaks(ctx, conn); err != nil {
		d.close()
		return fail(err)
	}
	if err := initMinutes(ctx, conn); err != nil {
		d.close()
		return fail(err)
	}
	if err := initZones(ctx, conn); err != nil {
		d.close()
		return fail(err)
	}
	if err := initFlags(ctx, conn); err != nil {
		d.close()
		return fail(err)
	}
	if d.clients, err = initClients(ctx, conn); err != nil {
		d.close()
		return fail(err)
	}
	if d.notInLine, err = hasFlag(ctx, conn, flagValuesNotInLine); err == nil {
		d.ipZone, err = hasFlag(ctx, conn, flagIPZone)
	}
	if err != nil {
		d.close()
		return fail(err)
	}
	if d.sum, err = openSummarizer(ctx, conn, path); err != nil {
		d.close()
		return fail(err)
	}
	d.has = make(map[string]bool, len(cols))
	for _, c := range cols {
		d.has[c] = true
	}
	d.cp = startCheckpointer(path)
	return d, nil
}

// createTableSQL returns the CREATE TABLE of a new day file for s: id,
// class.HeadColumns, the value columns of s, original_log when kept and
// received_at. The fixed names are plain identifiers; value columns are quoted.
func createTableSQL(s *Schema) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS logs (" + class.ColID + " INTEGER PRIMARY KEY")
	for _, c := range class.HeadColumns() {
		b.WriteString(", " + c + " TEXT")
	}
	for _, c := range s.Columns {
		b.WriteString(", ")
		b.WriteString(quoteIdent(c))
		b.WriteString(" TEXT")
	}
	if s.KeepOriginal {
		b.WriteString(", " + class.ColOriginal + " TEXT")
	}
	b.WriteString(", " + class.ColReceivedAt + " INTEGER)")
	return b.String()
}

// tableColumns returns the columns of table logs in table order; none when
// the table does not exist.
func tableColumns(ctx context.Context, q querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT name FROM pragma_table_info('logs') ORDER BY cid")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// ensureColumns appends to the table the columns of s it lacks.
func (d *dayFile) ensureColumns(s *Schema) error {
	add := func(c string) error {
		if d.has[c] {
			return nil
		}
		if err := d.exec("ALTER TABLE logs ADD COLUMN " + quoteIdent(c) + " TEXT"); err != nil {
			return err
		}
		d.has[c] = true
		return nil
	}
	for _, c := range s.Columns {
		if err := add(c); err != nil {
			return err
		}
	}
	if s.KeepOriginal {
		return add(class.ColOriginal)
	}
	return nil
}

// inserts returns the insert set of key, creating it for s.
func (d *dayFile) inserts(key string, s *Schema) *insertSet {
	if set, ok := d.sets[key]; ok {
		return set
	}
	cols := append(class.ShownColumns(s.Columns, s.KeepOriginal), class.ColReceivedAt)
	set := &insertSet{cols: cols, per: max(1, min(rowsPerInsert, maxVars/len(cols))), byN: make(map[int]insertStmt)}
	d.sets[key] = set
	return set
}

// stmt returns the prepared INSERT of n rows of set.
func (d *dayFile) stmt(set *insertSet, n int) (insertStmt, error) {
	if st, ok := set.byN[n]; ok {
		return st, nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO logs (")
	for i, c := range set.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quoteIdent(c))
	}
	b.WriteString(") VALUES ")
	tuple := "(" + strings.Repeat("?,", len(set.cols)-1) + "?)"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	var st driver.Stmt
	err := d.conn.Raw(func(dc any) error {
		var err error
		st, err = dc.(driver.ConnPrepareContext).PrepareContext(context.Background(), b.String())
		return err
	})
	if err != nil {
		return insertStmt{}, fmt.Errorf("cannot prepare insert into day file %q: %w", d.path, err)
	}
	is := insertStmt{st: st, h: stmtHandle(st)}
	set.byN[n] = is
	d.stmts = append(d.stmts, st)
	return is, nil
}

// exec runs one statement without arguments, naming the file on failure.
func (d *dayFile) exec(query string) error {
	if _, err := d.conn.ExecContext(context.Background(), query); err != nil {
		return fmt.Errorf("cannot run %q on day file %q: %w", query, d.path, err)
	}
	return nil
}

// rollback ends a failed transaction; its own error adds nothing useful.
func (d *dayFile) rollback() {
	_, _ = d.conn.ExecContext(context.Background(), "ROLLBACK")
}

// close releases the statements and the connection (checkpointing the WAL).
func (d *dayFile) close() error {
	if d.gate != nil {
		d.gate.release()
	}
	if d.cp != nil {
		d.cp.stop()
		d.cp = nil
	}
	err := d.sum.close()
	d.sum = nil
	if len(d.stmts) > 0 {
		err = errors.Join(err, d.conn.Raw(func(any) error {
			var err error
			for _, st := range d.stmts {
				err = errors.Join(err, st.Close())
			}
			return err
		}))
	}
	d.stmts = nil
	d.sets = nil
	if d.conn != nil {
		err = errors.Join(err, d.conn.Close())
	}
	err = errors.Join(err, d.db.Close())
	if err != nil {
		return fmt.Errorf("cannot close day file %q: %w", d.path, err)
	}
	return nil
}

// runInserts runs each (statement, arguments) pair of an insert batch on the
// driver connection itself, the path of statements without a handle for
// insertCells: database/sql's per-argument conversion checks cost about 5 %
// of ingest CPU and add nothing for arguments that are already driver values
// (string, int64, nil). Query, not Exec: go-sqlite3 binds every argument and
// takes the first step in one cgo crossing there, where Exec crosses once per
// argument (about twice as slow for 64-row statements).
func (d *dayFile) runInserts(st driver.Stmt, args []driver.NamedValue) error {
	return d.conn.Raw(func(any) error {
		rows, err := st.(driver.StmtQueryContext).QueryContext(context.Background(), args)
		if err != nil {
			return err
		}
		return rows.Close()
	})
}
