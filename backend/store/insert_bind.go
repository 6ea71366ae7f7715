package store

/*
#include <stdint.h>

// The SQLite of go-sqlite3 (its amalgamation, linked into the same binary):
// only what the insert path calls, declared here so that no header of the
// module is needed.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
int sqlite3_reset(sqlite3_stmt*);
int sqlite3_step(sqlite3_stmt*);
int sqlite3_bind_null(sqlite3_stmt*, int);
int sqlite3_bind_int64(sqlite3_stmt*, int, long long);
int sqlite3_bind_text64(sqlite3_stmt*, int, const char*, unsigned long long, void(*)(void*), unsigned char);
int sqlite3_bind_parameter_count(sqlite3_stmt*);
sqlite3 *sqlite3_db_handle(sqlite3_stmt*);
long long sqlite3_last_insert_rowid(sqlite3*);
int sqlite3_extended_errcode(sqlite3*);
const char *sqlite3_errmsg(sqlite3*);
const char *sqlite3_sql(sqlite3_stmt*);

// One argument of an INSERT: kind 0 NULL, 1 text (p, n bytes), 2 integer n.
// p is a Go pointer passed as an integer: see bindCell in insert_bind.go.
typedef struct {
	uintptr_t p;
	int64_t n;
	int64_t kind;
} ls_cell;

// ls_insert binds cells[0..n) to the parameters 1..n of st, runs it and
// resets it, in one call from Go. Text is bound SQLITE_STATIC (no copy): the
// bytes are only read during the step. On success *last is the rowid of the
// last row inserted. It returns SQLite's result code (0: done).
static int ls_insert(sqlite3_stmt *st, const ls_cell *cells, int n, long long *last) {
	static const char empty[1] = "";
	int rc = 0;
	if (sqlite3_bind_parameter_count(st) != n) {
		return 25; // SQLITE_RANGE
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const ls_cell *c = &cells[i];
		switch (c->kind) {
		case 1:
			// A NULL pointer would bind NULL: an empty text gets a real one.
			rc = sqlite3_bind_text64(st, i + 1, c->n ? (const char *)c->p : empty,
				(unsigned long long)c->n, (void (*)(void *))0, 1); // SQLITE_STATIC, SQLITE_UTF8
			break;
		case 2:
			rc = sqlite3_bind_int64(st, i + 1, c->n);
			break;
		default:
			rc = sqlite3_bind_null(st, i + 1);
		}
	}
	if (rc == 0) {
		rc = sqlite3_step(st);
		if (rc == 101) { // SQLITE_DONE
			rc = 0;
			*last = sqlite3_last_insert_rowid(sqlite3_db_handle(st));
		}
	}
	// reset's own code repeats the step's error; the statement must be reset
	// either way (it ends the statement's hold on the write transaction).
	sqlite3_reset(st);
	return rc;
}

static int ls_errcode(sqlite3_stmt *st) { return sqlite3_extended_errcode(sqlite3_db_handle(st)); }
static const char *ls_errmsg(sqlite3_stmt *st) { return sqlite3_errmsg(sqlite3_db_handle(st)); }
*/
import "C"

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"unsafe"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// The insert path of the writer binds a whole multi-row INSERT and steps it
// in one cgo call (ls_insert) on the sqlite3_stmt of a statement prepared
// through go-sqlite3. The driver's own path (runInserts) took ~12 % more of
// the writer's CPU: it copied every text argument into C memory, the cgo
// pointer checks walked its argument records, and each argument went through
// a driver.NamedValue.

// cellKind is ls_cell.kind.
type cellKind int64

const (
	cellNull cellKind = iota
	cellText
	cellInt
)

// cell is the Go view of one ls_cell: the same size and field order, with p a
// real pointer so that the garbage collector keeps the text alive (and
// tracks it) while the cells refer to it.
type cell struct {
	p    unsafe.Pointer
	n    int64
	kind cellKind
}

// The Go and C views of a cell must have the same layout.
var _ = [1]struct{}{}[unsafe.Sizeof(cell{})-C.sizeof_ls_cell]
var _ = [1]struct{}{}[C.sizeof_ls_cell-unsafe.Sizeof(cell{})]

// textCell refers to the bytes of s (no copy).
func textCell(s string) cell {
	return cell{p: unsafe.Pointer(unsafe.StringData(s)), n: int64(len(s)), kind: cellText}
}

// intCell holds the integer v.
func intCell(v int64) cell { return cell{n: v, kind: cellInt} }

// value returns c as the driver value the driver path binds.
func (c cell) value() driver.Value {
	switch c.kind {
	case cellText:
		return unsafe.String((*byte)(c.p), int(c.n))
	case cellInt:
		return c.n
	}
	return nil
}

// stmtHandleOffset is the offset of the sqlite3_stmt pointer (field s) in
// go-sqlite3's SQLiteStmt; ok is false when the driver's layout is not the
// expected one (then the writer binds through the driver: slower, same rows).
// TestStmtHandleLayout fails when that happens.
var stmtHandleOffset, stmtHandleOK = func() (uintptr, bool) {
	f, ok := reflect.TypeFor[sqlite3.SQLiteStmt]().FieldByName("s")
	if !ok || f.Type.Kind() != reflect.Pointer || f.Type.Elem().Name() != "_Ctype_struct_sqlite3_stmt" {
		return 0, false
	}
	return f.Offset, true
}()

// rawInserts tells the writer to use ls_insert (tests turn it off to compare
// with the driver path).
var rawInserts = stmtHandleOK

// stmtHandle returns the sqlite3_stmt of a go-sqlite3 statement; nil when it
// cannot (another driver, or an unknown layout).
func stmtHandle(st driver.Stmt) unsafe.Pointer {
	s, ok := st.(*sqlite3.SQLiteStmt)
	if !ok || !stmtHandleOK {
		return nil
	}
	return *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(s), stmtHandleOffset))
}

// insertCells runs the prepared INSERT h with cells as its arguments, in
// order, and returns the rowid of the last row it inserted. The caller holds
// the statement's connection (the writer's pinned one) and keeps the texts
// unchanged during the call.
//
// The cells hold Go pointers that C receives as integers: the cgo rules ask
// for pinned memory there. The texts live in the Go heap (the caller's rows),
// which the collector does not move, and stay reachable through the cells
// until the call returns (runtime.KeepAlive); SQLite reads them only during
// the step and keeps no pointer past the call's reset (a STATIC binding is
// replaced by the next call's binding before anything reads it again).
// Pinning each text would add a runtime call per value.
func insertCells(stmt unsafe.Pointer, cells []cell) (int64, error) {
	h := (*C.sqlite3_stmt)(stmt)
	if len(cells) == 0 {
		return 0, errors.New("cannot insert: no values")
	}
	var last C.longlong
	rc := C.ls_insert(h, (*C.ls_cell)(unsafe.Pointer(&cells[0])), C.int(len(cells)), &last)
	runtime.KeepAlive(cells)
	if rc != 0 {
		ext := C.ls_errcode(h)
		msg := C.GoString(C.ls_errmsg(h))
		if rc == 25 && ext != 25 {
			msg = fmt.Sprintf("%d values for %d parameters", len(cells), C.sqlite3_bind_parameter_count(h))
		}
		return 0, fmt.Errorf("%s: %w", msg, sqlite3.Error{Code: sqlite3.ErrNo(rc & 0xff), ExtendedCode: sqlite3.ErrNoExtended(rc)})
	}
	return int64(last), nil
}

// stmtSQL returns the SQL text of the sqlite3_stmt h (TestStmtHandleLayout
// checks with it that stmtHandle finds the statement).
func stmtSQL(h unsafe.Pointer) string {
	return C.GoString(C.sqlite3_sql((*C.sqlite3_stmt)(h)))
}
