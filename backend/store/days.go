package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DayInfo describes one day file.
type DayInfo struct {
	Date  string `json:"date"`
	Rows  int64  `json:"rows"`  // rows in the file, read without counting them (see dayRows)
	Bytes int64  `json:"bytes"` // size of the file plus its WAL
}

// DaySize is a day's date and bytes (file plus WAL), read with stat only.
type DaySize struct {
	Date  string
	Bytes int64
}

// ErrClosed is returned by the methods of a closed Days.
var ErrClosed = errors.New("the day files of this engine are closed")

// tombPrefix starts the name a deleted day file is renamed to while readers
// still hold it; such files are never listed and are removed at the latest by
// the next scan after a restart.
const tombPrefix = ".deleted-"

// readPoolConns bounds the read connections of one open day.
const readPoolConns = 8

// readIdle is how long an idle read connection of a day stays open.
var readIdle = 30 * time.Second

// testHookOpen, when set, is called with the path of every SQLite handle the
// store opens (tests count them). Atomic: the background indexer opens files
// while a test sets it.
var testHookOpen atomic.Pointer[func(path string)]

// Days is the one owner of an engine's day files: it lists them, hands out
// reference-counted read handles (Open), gives the engine's Writer its files,
// deletes days (coordinating with readers and the writer), and runs the
// queries, exports, retention, client purges and client counts. A factory
// holds one per engine and shares it with the engine's writer. Its methods are
// safe for concurrent use.
//
// Lifecycle of a day: a day is listed once its file exists (the directory is
// rescanned by List, Sizes and Sweep, so files made or removed by other means
// are noticed). Open takes a reference and a pooled read connection; Release
// gives them back. Delete drops the day from the list at once, closes the
// writer's connection to it (waiting for a batch in progress; the writer's
// next batch of that date creates a fresh file), and removes the files: at
// once when nobody reads the day, else it renames them aside and the last
// reader's Release removes them.
type Days struct {
	dir string

	mu     sync.Mutex
	days   map[string]*day // listed days by date
	gone   map[string]*day // dropped days whose files still sit at their path
	seq    int             // tombstone names
	closed bool
	idx    *indexer // started on first use
}

// day is one day file and its users. Fields are guarded by Days.mu, except w
// (guarded by wmu).
type day struct {
	date, path string
	refs       int     // read handles and background users (indexer, purge)
	ro         *sql.DB // pooled read connections; nil until the first Open
	dropped    bool
	tomb       string        // where the files went while readers hold them
	removed    chan struct{} // closed once the files left path (after drop)

	rows      int64 // cached row count and the file state it was read at
	rowsStamp fileStamp
	counts    *clientCountEntry

	wmu sync.Mutex // held by the writer for a batch, by Delete to close w
	w   *dayFile   // the writer's connection; nil when none
	// gate is passed by every statement on the read connections and shut by
	// the writer while it truncates the WAL (see readGate).
	gate readGate
	// writes counts the writer's committed batches: a stat alone can miss a
	// batch (a reused WAL keeps its size; mtime has a coarse clock).
	writes atomic.Uint64
}

// fileStamp identifies the state of a day file cheaply (stat only).
type fileStamp struct {
	size, walSize int64
	mtime         time.Time
	writes        uint64 // day.writes when stamped
}

// stamp is the state of d's file now: stat plus the writer's batch count.
func (d *day) stamp() (fileStamp, error) {
	w := d.writes.Load()
	st, err := stampOf(d.path)
	st.writes = w
	return st, err
}

func stampOf(path string) (fileStamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	s := fileStamp{size: st.Size(), mtime: st.ModTime()}
	if wal, err := os.Stat(path + "-wal"); err == nil {
		s.walSize = wal.Size()
		if wal.ModTime().After(s.mtime) {
			s.mtime = wal.ModTime()
		}
	}
	return s, nil
}

// NewDays returns the owner of the day files in dir. Nothing is opened until
// used; the caller must Close it.
func NewDays(dir string) *Days {
	return &Days{dir: dir, days: map[string]*day{}, gone: map[string]*day{}}
}

// Dir returns the directory of the day files.
func (ds *Days) Dir() string { return ds.dir }

// Close closes the read pools and stops the background index builds. Writers
// must be closed first. Read handles still out stay usable until released.
func (ds *Days) Close() error {
	ds.mu.Lock()
	if ds.closed {
		ds.mu.Unlock()
		return nil
	}
	ds.closed = true
	idx := ds.idx
	var pools []*sql.DB
	for _, d := range ds.days {
		if d.ro != nil && d.refs == 0 {
			pools = append(pools, d.ro)
			d.ro = nil
		}
	}
	ds.mu.Unlock()
	if idx != nil {
		idx.stop()
	}
	var err error
	for _, p := range pools {
		err = errors.Join(err, p.Close())
	}
	return err
}

// dayDates returns the dates of the day files in dir, oldest first; none
// when dir does not exist. Leftover files of deleted days are removed.
func dayDates(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list day files in %q: %w", dir, err)
	}
	var dates []string
	for _, e := range ents {
		date, ok := strings.CutSuffix(e.Name(), fileExt)
		if !ok || !e.Type().IsRegular() || ValidDate(date) != nil {
			continue
		}
		dates = append(dates, date)
	}
	slices.Sort(dates)
	return dates, nil
}

// scan reconciles the listed days with the directory (ds.mu held): files
// made by other means are listed, days whose file went by other means are
// dropped (closing the writer's connection, so its next batch makes a fresh
// file). It returns the listed days, oldest first.
func (ds *Days) scan() ([]*day, error) {
	if ds.closed {
		return nil, ErrClosed
	}
	dates, err := dayDates(ds.dir)
	if err != nil {
		return nil, err
	}
	on := make(map[string]bool, len(dates))
	for _, date := range dates {
		on[date] = true
		if _, ok := ds.days[date]; !ok && ds.gone[date] == nil {
			ds.days[date] = ds.newDay(date)
		}
	}
	var vanished []*day
	for date, d := range ds.days {
		if !on[date] && !ds.writerCreating(d) {
			vanished = append(vanished, d)
		}
	}
	for _, d := range vanished {
		ds.dropLocked(d)
	}
	if len(vanished) > 0 {
		ds.mu.Unlock()
		for _, d := range vanished {
			ds.finishDrop(d)
		}
		ds.mu.Lock()
	}
	out := make([]*day, 0, len(ds.days))
	for _, d := range ds.days {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *day) int { return strings.Compare(a.date, b.date) })
	return out, nil
}

// scanLocked is scan under ds.mu.
func (ds *Days) scanLocked() ([]*day, error) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return ds.scan()
}

// writerCreating reports a day entry the writer made that has no file yet
// (ds.mu held): it is not a vanished file.
func (ds *Days) writerCreating(d *day) bool {
	if !d.wmu.TryLock() {
		return true // the writer is opening or writing it
	}
	defer d.wmu.Unlock()
	return false
}

func (ds *Days) newDay(date string) *day {
	return &day{date: date, path: dayPath(ds.dir, date), rows: -1}
}

// lookup returns the listed day of date (ds.mu held), listing its file when
// it exists but is not listed yet.
func (ds *Days) lookup(date string) (*day, error) {
	if ds.closed {
		return nil, ErrClosed
	}
	if d, ok := ds.days[date]; ok {
		return d, nil
	}
	path := dayPath(ds.dir, date)
	if ds.gone[date] != nil {
		return nil, fmt.Errorf("cannot open day file %q: %w", path, fs.ErrNotExist)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("cannot open day file %q: %w", path, err)
	}
	d := ds.newDay(date)
	ds.days[date] = d
	return d, nil
}

// acquire takes a reference on the day of date; release gives it back.
func (ds *Days) acquire(date string) (*day, error) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	d, err := ds.lookup(date)
	if err != nil {
		return nil, err
	}
	d.refs++
	return d, nil
}

// release drops a reference; the last one of a dropped day removes its files.
func (ds *Days) release(d *day) {
	ds.mu.Lock()
	d.refs--
	last := d.refs == 0
	var pool *sql.DB
	if last && (d.dropped || ds.closed) {
		pool, d.ro = d.ro, nil
	}
	tomb := ""
	if last && d.dropped {
		tomb, d.tomb = d.tomb, ""
	}
	ds.mu.Unlock()
	if pool != nil {
		_ = pool.Close()
	}
	if tomb != "" {
		removeDayFiles(tomb)
	}
}

// sqlOpen opens a database/sql handle on the file at path with query.
func sqlOpen(path, query string) (*sql.DB, error) {
	if hook := testHookOpen.Load(); hook != nil {
		(*hook)(path)
	}
	return sql.Open("sqlite3", fileDSN(path, query))
}

// Day is a read handle of one day: one pooled read-only connection, held
// until Release. The day's files stay readable until then even when the day
// is deleted meanwhile.
type Day struct {
	ds   *Days
	d    *day
	conn *sql.Conn
	cols []string // table order; none when the file has no table yet
	has  map[string]bool
	once sync.Once

	factsOnce sync.Once
	fileFacts *fileFacts // see facts
}

// openExisting is Open for a read of what a day holds: a day without a file
// gives no handle and no error (the caller answers "nothing").
func (ds *Days) openExisting(ctx context.Context, date string) (*Day, error) {
	h, err := ds.Open(ctx, date)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return h, err
}

// Open returns a read handle of the day of date; a day without a file is an
// error wrapping fs.ErrNotExist. The caller must Release it.
func (ds *Days) Open(ctx context.Context, date string) (*Day, error) {
	if err := ValidDate(date); err != nil {
		return nil, err
	}
	d, err := ds.acquire(date)
	if err != nil {
		return nil, err
	}
	h, err := ds.openHandle(ctx, d)
	if err != nil {
		ds.release(d)
		return nil, err
	}
	return h, nil
}

func (ds *Days) openHandle(ctx context.Context, d *day) (*Day, error) {
	ds.mu.Lock()
	if d.dropped {
		ds.mu.Unlock()
		return nil, fmt.Errorf("cannot open day file %q: %w", d.path, fs.ErrNotExist)
	}
	if d.ro == nil {
		db := gatedOpen(d.path, "mode=ro&_busy_timeout=5000", &d.gate, true)
		db.SetMaxOpenConns(readPoolConns)
		db.SetMaxIdleConns(2)
		db.SetConnMaxIdleTime(readIdle)
		d.ro = db
	}
	pool := d.ro
	ds.mu.Unlock()
	conn, err := pool.Conn(ctx)
	if err == nil {
		var cols []string
		if cols, err = tableColumns(ctx, conn); err == nil {
			h := &Day{ds: ds, d: d, conn: conn, cols: cols, has: make(map[string]bool, len(cols))}
			for _, c := range cols {
				h.has[c] = true
			}
			return h, nil
		}
		conn.Close()
	}
	if _, serr := os.Stat(d.path); errors.Is(serr, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot open day file %q: %w", d.path, serr)
	}
	return nil, fmt.Errorf("cannot read columns of day file %q: %w", d.path, err)
}

// Date returns the handle's date.
func (h *Day) Date() string { return h.d.date }

// Release gives the connection back to the day's pool and drops the
// reference; it may be called more than once.
func (h *Day) Release() {
	h.once.Do(func() {
		h.conn.Close()
		h.ds.release(h.d)
	})
}

// List returns the days, newest first, with their rows (see dayRows; cached
// while a file does not change) and bytes.
func (ds *Days) List(ctx context.Context) ([]DayInfo, error) {
	all, err := ds.scanLocked()
	if err != nil {
		return nil, err
	}
	out := make([]DayInfo, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		info, err := ds.dayInfo(ctx, all[i].date)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

func (ds *Days) dayInfo(ctx context.Context, date string) (DayInfo, error) {
	d, err := ds.acquire(date)
	if err != nil {
		return DayInfo{}, err
	}
	defer ds.release(d)
	st, err := d.stamp()
	if err != nil {
		return DayInfo{}, fmt.Errorf("cannot stat day file %q: %w", d.path, err)
	}
	info := DayInfo{Date: date, Bytes: st.size + st.walSize}
	ds.mu.Lock()
	rows, cached := d.rows, d.rows >= 0 && d.rowsStamp == st
	ds.mu.Unlock()
	if cached {
		info.Rows = rows
		return info, nil
	}
	h, err := ds.openHandle(ctx, d)
	if err != nil {
		return DayInfo{}, err
	}
	defer h.conn.Close()
	if info.Rows, err = dayRows(ctx, h); err != nil {
		return DayInfo{}, err
	}
	ds.mu.Lock()
	d.rows, d.rowsStamp = info.Rows, st
	ds.mu.Unlock()
	return info, nil
}

// Sizes returns the date and bytes of every day, oldest first, from stat
// alone: no day file is opened (the disk guard calls it every few seconds).
func (ds *Days) Sizes() ([]DaySize, error) {
	all, err := ds.scanLocked()
	if err != nil {
		return nil, err
	}
	out := make([]DaySize, 0, len(all))
	for _, d := range all {
		st, err := stampOf(d.path)
		if err != nil {
			continue // deleted meanwhile, or not created yet
		}
		out = append(out, DaySize{Date: d.date, Bytes: st.size + st.walSize})
	}
	return out, nil
}

// dayRows returns the rows of the day h (0 when empty) without counting them:
// max(id), since ids run 1, 2, 3... in a file nobody purged. After a purge,
// the count recorded then (see recordRowCount) plus the rows inserted since.
func dayRows(ctx context.Context, h *Day) (int64, error) {
	if len(h.cols) == 0 {
		return 0, nil
	}
	var n sql.NullInt64
	if err := h.conn.QueryRowContext(ctx, "SELECT max(id) FROM logs").Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count rows of day file %q: %w", h.d.path, err)
	}
	var rows, maxID int64
	err := h.conn.QueryRowContext(ctx, "SELECT rows, max_id FROM "+rowCountTable+" WHERE id = 1").Scan(&rows, &maxID)
	switch {
	case err == nil:
		return rows + max(0, n.Int64-maxID), nil
	case errors.Is(err, sql.ErrNoRows) || strings.Contains(err.Error(), "no such table"):
		return n.Int64, nil
	default:
		return 0, fmt.Errorf("cannot count rows of day file %q: %w", h.d.path, err)
	}
}

// Delete deletes the day of date: it leaves the list at once; the writer's
// connection to it is closed (after a batch in progress), so rows written
// from then on go to a fresh file; the files are removed at once, or, while
// read handles hold the day, renamed aside and removed by the last Release.
// date must be a strict YYYY-MM-DD date (*FieldError otherwise); a missing
// day is an error wrapping fs.ErrNotExist.
func (ds *Days) Delete(date string) error {
	if err := ValidDate(date); err != nil {
		return err
	}
	ds.mu.Lock()
	d, err := ds.lookup(date)
	if err != nil {
		ds.mu.Unlock()
		return fmt.Errorf("cannot delete day %q: %w", date, fs.ErrNotExist)
	}
	ds.dropLocked(d)
	ds.mu.Unlock()
	return ds.finishDrop(d)
}

// dropLocked takes d off the list (ds.mu held).
func (ds *Days) dropLocked(d *day) {
	delete(ds.days, d.date)
	d.dropped = true
	d.removed = make(chan struct{})
	ds.gone[d.date] = d
	d.refs++ // held by the deletion until the files are away
}

// closeWriter closes the writer's connection to d, if any, after a batch in
// progress.
func (d *day) closeWriter() error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if d.w == nil {
		return nil
	}
	err := d.w.close()
	d.w = nil
	return err
}

// finishDrop closes the writer's connection to d and removes or renames its
// files, then lets a new file of the date be made.
func (ds *Days) finishDrop(d *day) error {
	err := d.closeWriter()
	ds.mu.Lock()
	readers := d.refs > 1
	if readers {
		ds.seq++
		d.tomb = filepath.Join(ds.dir, tombPrefix+strconv.Itoa(ds.seq)+"-"+d.date+fileExt)
	}
	ds.mu.Unlock()
	if readers {
		for _, side := range []string{"", "-wal", "-shm"} {
			if rerr := os.Rename(d.path+side, d.tomb+side); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = errors.Join(err, fmt.Errorf("cannot delete day %q: %w", d.date, rerr))
			}
		}
	} else {
		err = errors.Join(err, removeDayFiles(d.path))
	}
	ds.mu.Lock()
	delete(ds.gone, d.date)
	close(d.removed)
	ds.mu.Unlock()
	ds.release(d)
	return err
}

// removeDayFiles removes the day file at path with its -wal and -shm files.
func removeDayFiles(path string) error {
	var err error
	for _, side := range []string{"", "-wal", "-shm"} {
		if rerr := os.Remove(path + side); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("cannot delete day file %q: %w", path+side, rerr))
		}
	}
	return err
}

// Sweep deletes the days older than the retentionDays most recent calendar
// dates, today (YYYY-MM-DD) included: retentionDays 1 keeps only today.
// retentionDays <= 0 keeps everything. It returns the deleted dates, oldest
// first.
func (ds *Days) Sweep(today string, retentionDays int) (deleted []string, err error) {
	if retentionDays <= 0 {
		return nil, nil
	}
	if err := ValidDate(today); err != nil {
		return nil, err
	}
	t, _ := time.Parse(DateLayout, today)
	cutoff := t.AddDate(0, 0, -(retentionDays - 1)).Format(DateLayout)
	all, err := ds.scanLocked()
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		if d.date >= cutoff {
			break
		}
		if derr := ds.Delete(d.date); derr != nil {
			if !errors.Is(derr, fs.ErrNotExist) {
				err = errors.Join(err, derr)
			}
			continue
		}
		deleted = append(deleted, d.date)
	}
	return deleted, err
}

// writeDay returns the day of date for the writer with its connection open,
// wmu held: the writer unlocks it after its batch. A day being deleted is
// waited for, so the fresh file never meets the old one's files.
func (ds *Days) writeDay(date string, s *Schema) (*day, error) {
	for {
		ds.mu.Lock()
		if ds.closed {
			ds.mu.Unlock()
			return nil, ErrClosed
		}
		if g := ds.gone[date]; g != nil {
			ds.mu.Unlock()
			<-g.removed
			continue
		}
		d, ok := ds.days[date]
		if !ok {
			d = ds.newDay(date)
			ds.days[date] = d
		}
		ds.mu.Unlock()
		d.wmu.Lock()
		ds.mu.Lock()
		dropped := d.dropped
		ds.mu.Unlock()
		if dropped {
			d.wmu.Unlock()
			continue
		}
		if d.w == nil {
			f, err := openDayFile(ds.dir, date, s)
			if err != nil {
				d.wmu.Unlock()
				return nil, err
			}
			f.gate = &d.gate
			d.w = f
		}
		return d, nil
	}
}

// closeWrite closes the writer's connection to d (rollover, writer close) and
// queues the index build of a past day when index is set.
func (ds *Days) closeWrite(d *day, index bool) error {
	err := d.closeWriter()
	if index {
		ds.queueIndex(d.date)
	}
	return err
}

// queueIndex queues the background index build of the day of date.
func (ds *Days) queueIndex(date string) {
	ds.mu.Lock()
	if ds.closed {
		ds.mu.Unlock()
		return
	}
	if ds.idx == nil {
		ds.idx = startIndexer(ds)
	}
	idx := ds.idx
	ds.mu.Unlock()
	idx.add(date)
}
