package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/logsieve/logsieve/backend/class"
)

// Writer writes the day files of one engine, which it gets from the
// engine's Days. It is called by one goroutine at a time (the engine's
// writer); its methods are not safe for concurrent use.
type Writer struct {
	ds      *Days
	ownDays bool // opened by OpenWriter: closed with the Writer
	loc     *time.Location
	tz      any             // Options.TZName, boxed once
	days    map[string]*day // the days this Writer has open

	// Clock cache: rows arrive in receive order, so the formatted second
	// and its date are reused across rows.
	lastSec  int64
	lastTime any // HH:MM:SS of lastSec, boxed once per second
	lastDate string
	dayStart int64 // unix seconds of lastDate's first instant
	dayEnd   int64 // unix seconds of the next date's first instant

	// Scratch reused across Write calls.
	rowTime []any
	groups  []dayGroup
	cells   []cell              // the arguments of one INSERT (writeDay)
	args    []driver.NamedValue // the same for the driver path; Ordinal = position + 1
	plan    []insertStep        // the INSERTs of the batch in progress (writeDay)

	// batch is the id of the WriteBatch in progress (""; plain Write); dup
	// counts its rows skipped because their file already held it.
	batch     string
	batchNode string // the node writing it (WriteBatchBy)
	dup       int

	closeErr error
	closed   bool
}

// dayGroup lists the rows of one Write that belong to one date.
type dayGroup struct {
	date string
	rows []int32
}

// OpenWriter returns a Writer storing day files in dir (created when
// missing) with a Days of its own, closed with the Writer (see Writer.Days).
// The caller must Close it.
func OpenWriter(dir string, opt Options) (*Writer, error) {
	w, err := NewDays(dir).OpenWriter(opt)
	if err != nil {
		return nil, err
	}
	w.ownDays = true
	return w, nil
}

// OpenWriter returns the Writer of the day files of ds (their directory is
// created when missing). One Writer at a time per Days; the caller must Close
// it.
func (ds *Days) OpenWriter(opt Options) (*Writer, error) {
	if err := os.MkdirAll(ds.dir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create day directory %q: %w", ds.dir, err)
	}
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	tz := opt.TZName
	if tz == "" {
		tz = loc.String()
	}
	return &Writer{
		ds:       ds,
		loc:      loc,
		tz:       tz,
		days:     make(map[string]*day),
		lastSec:  -1 << 63,
		dayStart: 1,
		dayEnd:   0,
	}, nil
}

// Write stores rows in one transaction per day file touched; a row goes to
// the file of the date of its ReceivedAt in the Writer's location. A new file
// is created with the fixed column order (createTableSQL); columns of s that an existing
// file lacks are added first (no row is lost). Every row must have
// len(s.Columns) values. Write returns how many rows were committed and, on
// failure, an error naming the file.
func (w *Writer) Write(s *Schema, rows []Row) (stored int, err error) {
	if w.closed {
		return 0, errors.New("cannot write: store writer is closed")
	}
	if len(rows) == 0 {
		return 0, nil
	}
	for i := range rows {
		if len(rows[i].Values) != len(s.Columns) {
			return 0, fmt.Errorf("cannot write row %d: %d values for %d columns", i, len(rows[i].Values), len(s.Columns))
		}
	}
	w.group(rows)
	key := insertKey(s)
	for gi := range w.groups {
		g := &w.groups[gi]
		d, err := w.day(g.date, s)
		if err != nil {
			return stored, err
		}
		n, err := w.writeDay(d.w, s, key, rows, g.rows)
		d.writes.Add(1)
		d.wmu.Unlock()
		stored += n
		if err != nil {
			return stored, err
		}
	}
	return stored, nil
}

// group fills w.rowTime and w.groups for rows.
func (w *Writer) group(rows []Row) {
	if cap(w.rowTime) < len(rows) {
		w.rowTime = make([]any, len(rows))
	}
	w.rowTime = w.rowTime[:len(rows)]
	for i := range w.groups {
		w.groups[i].rows = w.groups[i].rows[:0]
	}
	w.groups = w.groups[:0]
	cur := -1
	for i := range rows {
		t, date := w.clock(rows[i].ReceivedAt)
		w.rowTime[i] = t
		if cur < 0 || w.groups[cur].date != date {
			cur = -1
			for gi := range w.groups {
				if w.groups[gi].date == date {
					cur = gi
					break
				}
			}
			if cur < 0 {
				if len(w.groups) < cap(w.groups) {
					w.groups = w.groups[:len(w.groups)+1]
				} else {
					w.groups = append(w.groups, dayGroup{})
				}
				cur = len(w.groups) - 1
				w.groups[cur].date = date
				w.groups[cur].rows = w.groups[cur].rows[:0]
			}
		}
		w.groups[cur].rows = append(w.groups[cur].rows, int32(i))
	}
}

// clock returns the boxed HH:MM:SS and the date of ns in the Writer's
// location, reusing the previous result within the same second.
func (w *Writer) clock(ns int64) (any, string) {
	sec := ns / 1e9
	if ns%1e9 < 0 {
		sec--
	}
	if sec == w.lastSec {
		return w.lastTime, w.lastDate
	}
	t := time.Unix(sec, 0).In(w.loc)
	if sec < w.dayStart || sec >= w.dayEnd {
		y, m, d := t.Date()
		w.dayStart = time.Date(y, m, d, 0, 0, 0, 0, w.loc).Unix()
		w.dayEnd = time.Date(y, m, d+1, 0, 0, 0, 0, w.loc).Unix()
		w.lastDate = t.Format(DateLayout)
	}
	hh, mm, ss := t.Clock()
	b := [8]byte{
		byte('0' + hh/10), byte('0' + hh%10), ':',
		byte('0' + mm/10), byte('0' + mm%10), ':',
		byte('0' + ss/10), byte('0' + ss%10),
	}
	w.lastSec = sec
	w.lastTime = string(b[:])
	return w.lastTime, w.lastDate
}

// day returns the day of date with its file open for writing (opened or
// created with s) and its wmu held: the caller unlocks it after the batch.
// The lock is uncontended unless Days.Delete is closing the file; a file
// closed that way is opened afresh here.
func (w *Writer) day(date string, s *Schema) (*day, error) {
	if d, ok := w.days[date]; ok {
		d.wmu.Lock()
		if d.w != nil {
			return d, nil
		}
		d.wmu.Unlock() // deleted: its next rows go to a fresh file
		delete(w.days, date)
	}
	d, err := w.ds.writeDay(date, s)
	if err != nil {
		return nil, err
	}
	w.days[date] = d
	return d, nil
}

// Days returns the owner of the Writer's day files.
func (w *Writer) Days() *Days { return w.ds }

// insertStep is one INSERT of a batch: rows idx[off:off+n] with st (a
// statement of the day file, valid while the file is open).
type insertStep struct {
	off, n int
	st     insertStmt
}

// writeDay inserts rows[idx...] into d in one transaction.
func (w *Writer) writeDay(d *dayFile, s *Schema, key string, rows []Row, idx []int32) (int, error) {
	if err := d.ensureColumns(s); err != nil {
		return 0, err
	}
	set := d.inserts(key, s)
	ncols := len(set.cols)
	if need := set.per * ncols; len(w.cells) < need {
		w.cells = make([]cell, need)
	}
	// Statements are prepared before the batch: runInserts holds the
	// connection. Full statements of set.per rows, then the rest in
	// statements of powers of two rows (63 = 32+16+8+4+2+1): a day file
	// keeps at most 7 prepared INSERTs, not one for every remainder up to
	// 63 (about 3 MB of SQLite memory per busy engine).
	full, rest := len(idx)/set.per, len(idx)%set.per
	plan := w.plan[:0]
	if full > 0 {
		st, err := d.stmt(set, set.per)
		if err != nil {
			return 0, err
		}
		for i := 0; i < full; i++ {
			plan = append(plan, insertStep{off: i * set.per, n: set.per, st: st})
		}
	}
	off := full * set.per
	for p := 1 << max(bits.Len(uint(rest))-1, 0); rest > 0; p >>= 1 {
		if rest&p == 0 {
			continue
		}
		st, err := d.stmt(set, p)
		if err != nil {
			return 0, err
		}
		plan = append(plan, insertStep{off: off, n: p, st: st})
		off, rest = off+p, rest-p
	}
	w.plan = plan
	if err := d.exec("BEGIN"); err != nil {
		return 0, err
	}
	if w.batch != "" {
		seen, err := d.recordBatch(w.batch, len(idx))
		if err != nil {
			d.rollback()
			return 0, err
		}
		if seen {
			d.rollback()
			w.dup += len(idx)
			return 0, nil
		}
	}
	tz := w.tz.(string)
	if err := d.recordZone(tz); err != nil {
		d.rollback()
		return 0, err
	}
	d.sum.start(s, rows, idx, w.rowTime, tz)
	committed := false
	defer func() {
		if !committed {
			d.sum.abort()
		}
	}()
	nv := len(s.Columns)
	var mask []bool // columns whose values must be in the line (file_facts.go)
	if !d.notInLine {
		mask = lineMask(s)
	}
	notInLine, ipZone := false, false
	lastIP := ""
	// Client names the file does not list yet (clientsTable), checked once
	// per run of rows of one client.
	var newClients []string
	lastClient, clientRun := "", false
	tzCell := textCell(tz)
	var lastID int64 // rowid of the last row inserted; 0: ask the connection
	var err error
	for si := range plan {
		off, n, st := plan[si].off, plan[si].n, plan[si].st
		cells := w.cells[:n*ncols]
		k := 0
		for _, i := range idx[off : off+n] {
			r := &rows[i]
			a := cells[k : k+ncols]
			a[0] = textCell(r.SenderIP)
			if r.SenderIP != lastIP { // runs of rows share a sender
				lastIP = r.SenderIP
				ipZone = ipZone || strings.IndexByte(r.SenderIP, '%') >= 0
			}
			if r.Client.Valid {
				a[1] = textCell(r.Client.String)
				if d.clients != nil && (!clientRun || r.Client.String != lastClient) {
					lastClient, clientRun = r.Client.String, true
					if !d.clients[lastClient] && !slices.Contains(newClients, lastClient) {
						newClients = append(newClients, lastClient)
					}
				}
			} else {
				a[1] = cell{}
			}
			a[2] = textCell(w.rowTime[i].(string))
			a[3] = tzCell
			for j := range r.Values {
				if r.Values[j].Valid {
					a[4+j] = textCell(r.Values[j].String)
				} else {
					a[4+j] = cell{}
				}
			}
			if s.KeepOriginal {
				a[4+nv] = textCell(r.Original)
				if mask != nil && !notInLine && !valuesInLine(r, mask) {
					notInLine = true
				}
			}
			a[ncols-1] = intCell(r.ReceivedAt)
			k += ncols
		}
		if st.h != nil && rawInserts {
			lastID, err = insertCells(st.h, cells)
		} else {
			lastID, err = 0, w.insertDriver(d, st.st, cells)
		}
		if err != nil {
			break
		}
	}
	clear(w.cells) // drop references to the rows' text
	clear(w.plan)
	if err != nil {
		d.rollback()
		return 0, fmt.Errorf("cannot insert into day file %q: %w", d.path, err)
	}
	// One writer, one transaction: the batch's ids are consecutive, ending
	// at the last id inserted.
	if lastID == 0 {
		if err := d.conn.QueryRowContext(context.Background(), "SELECT last_insert_rowid()").Scan(&lastID); err != nil {
			d.rollback()
			return 0, fmt.Errorf("cannot read the last id of day file %q: %w", d.path, err)
		}
	}
	firstID := lastID - int64(len(idx)) + 1
	if w.batch != "" {
		if err := d.recordBatchRows(w.batch, w.batchNode, firstID, lastID); err != nil {
			d.rollback()
			return 0, err
		}
	}
	if err := d.recordTimeBreaks(w.rowTime, idx, firstID); err != nil {
		d.rollback()
		return 0, err
	}
	if err := d.sum.finish(s, rows, idx, w.rowTime, tz, firstID, d.has); err != nil {
		d.rollback()
		return 0, err
	}
	if err := d.recordMinutes(w.rowTime, idx); err != nil {
		d.rollback()
		return 0, err
	}
	if err := d.recordSpoolMark(rows, idx); err != nil {
		d.rollback()
		return 0, err
	}
	for _, f := range []struct {
		set, known bool
		flag       string
	}{{notInLine, d.notInLine, flagValuesNotInLine}, {ipZone, d.ipZone, flagIPZone}} {
		if f.set && !f.known {
			if err := d.recordFlag(f.flag); err != nil {
				d.rollback()
				return 0, err
			}
		}
	}
	if err := d.recordClients(newClients); err != nil {
		d.rollback()
		return 0, err
	}
	if err := d.exec("COMMIT"); err != nil {
		d.rollback()
		return 0, err
	}
	committed = true
	for _, c := range newClients {
		d.clients[strings.Clone(c)] = true
	}
	d.lastTime = d.pendingTime
	d.zone = tz
	d.notInLine = d.notInLine || notInLine
	d.ipZone = d.ipZone || ipZone
	d.boundWAL()
	return len(idx), nil
}

// insertDriver runs st with cells through the driver (runInserts).
func (w *Writer) insertDriver(d *dayFile, st driver.Stmt, cells []cell) error {
	if len(w.args) < len(cells) {
		w.args = make([]driver.NamedValue, len(cells))
		for i := range w.args {
			w.args[i].Ordinal = i + 1
		}
	}
	args := w.args[:len(cells)]
	for i, c := range cells {
		args[i].Value = c.value()
	}
	err := d.runInserts(st, args)
	for i := range args {
		args[i].Value = nil // drop references to the rows' text
	}
	return err
}

// insertKey identifies the insert column set of s.
func insertKey(s *Schema) string {
	var b strings.Builder
	for _, c := range s.Columns {
		b.WriteString(c)
		b.WriteByte(0)
	}
	if s.KeepOriginal {
		b.WriteString(class.ColOriginal)
	}
	return b.String()
}

// CloseDaysBefore closes the open files of dates before date (YYYY-MM-DD) and
// queues a background index build for each of them. Call it on rollover.
func (w *Writer) CloseDaysBefore(date string) {
	for dd, d := range w.days {
		if dd >= date {
			continue
		}
		if err := w.ds.closeWrite(d, true); err != nil {
			w.closeErr = errors.Join(w.closeErr, err)
		}
		delete(w.days, dd)
	}
}

// Close closes every open day file and, when the Writer came from OpenWriter,
// its Days (stopping the background index build). It returns the first
// errors met closing files, including those of earlier CloseDaysBefore calls.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.closeErr
	for dd, d := range w.days {
		err = errors.Join(err, w.ds.closeWrite(d, false))
		delete(w.days, dd)
	}
	if w.ownDays {
		err = errors.Join(err, w.ds.Close())
	}
	return err
}
