// Package spool keeps an append-only overflow spool on disk: records are
// appended to numbered segment files, each framed with its length and a
// CRC-32C, and read back oldest first. It knows nothing of engines or logs;
// a record is opaque bytes.
//
// A record's position is its segment number << 32 | its index in the
// segment: positions only grow, also across restarts when Options.After is
// the highest position a caller has committed. Records are written with one
// write(2) each and never fsynced: they survive the process being killed,
// not a power loss.
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

const (
	headerBytes = 8 // payload length (uint32 LE) + CRC-32C of the payload (uint32 LE)
	// MaxRecordBytes is the largest payload; a header announcing more is
	// corrupt.
	MaxRecordBytes = 64 << 20
	// DefaultSegmentBytes is the size at which a segment is closed and a new
	// one started.
	DefaultSegmentBytes = 64 << 20
	segSuffix           = ".seg"
	readBuf             = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrFull is returned by Append when the record would take the spool past
// Options.MaxBytes.
var ErrFull = errors.New("spool is full")

// Options tune a spool. Zero values take the defaults noted.
type Options struct {
	// MaxBytes bounds the segment files' total size; 0 means no bound.
	// Records already committed count until their segment goes: a sealed
	// one once all its records are committed, the one being written by Tidy
	// (or by an Append that finds the spool full and everything committed).
	MaxBytes int64
	// SegmentBytes is the size at which a segment is rolled; default
	// DefaultSegmentBytes.
	SegmentBytes int64
	// After, called only when the directory has no record of the positions
	// it gave (new, or deleted meanwhile), returns the highest position the
	// caller ever committed: new records get greater positions. Nil: 0.
	After func() (uint64, error)
	// OnCorrupt is called (with the spool's lock held) for every corrupt or
	// torn record found while reading: the rest of that segment is skipped.
	OnCorrupt func(file string, offset int64, reason string)
	// WriteFault, when set, is called before every write to a segment; an
	// error it returns is the write's error (tests simulate a full disk).
	WriteFault func() error
}

// segment is one file of the spool. Its file stays open from Open (or its
// creation) until it is deleted, so its records stay readable even if the
// directory is removed under a running spool.
type segment struct {
	num   uint64
	path  string
	f     *os.File
	size  int64
	count uint32 // records appended; for a segment of an earlier run, read once the reader is done with it
	old   bool   // found by Open: written by an earlier run
}

// Spool is one directory of segments. Its methods are safe for concurrent
// use.
type Spool struct {
	dir string
	opt Options

	mu        sync.Mutex
	segs      []*segment // oldest first; the last one is w when w != nil
	w         *segment   // the segment appended to; nil until the next Append
	nextNum   uint64
	size      int64 // bytes of every segment on disk
	unread    int64 // bytes not yet returned by Next (or skipped)
	r         *segment
	roff      int64  // offset of the next record in r
	ridx      uint32 // index of the next record in r
	rbuf      []byte
	rstart    int64 // file offset of rbuf[0]
	committed uint64
	corrupt   uint64
	scratch   []byte
	id        string // ID (mark.go)
	mark      uint64 // SaveMark (mark.go)
}

// Open opens the spool in dir (created when missing) with the segments a
// previous run left there; Next returns their records first.
func Open(dir string, opt Options) (*Spool, error) {
	if opt.SegmentBytes <= 0 {
		opt.SegmentBytes = DefaultSegmentBytes
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create spool directory %q: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list spool directory %q: %w", dir, err)
	}
	s := &Spool{dir: dir, opt: opt, nextNum: 1}
	if n, ok := readNext(dir); ok {
		s.nextNum = n
	} else if opt.After != nil {
		after, err := opt.After()
		if err != nil {
			return nil, fmt.Errorf("cannot open spool %q: %w", dir, err)
		}
		s.nextNum = after>>32 + 1
	}
	for _, e := range ents {
		num, ok := segNum(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, err := os.Open(p)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("cannot open spool segment %q: %w", p, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			s.Close()
			return nil, fmt.Errorf("cannot stat spool segment %q: %w", p, err)
		}
		s.segs = append(s.segs, &segment{num: num, path: p, f: f, size: fi.Size(), old: true})
		s.size += fi.Size()
		s.nextNum = max(s.nextNum, num+1)
	}
	slices.SortFunc(s.segs, func(a, b *segment) int { return cmpU64(a.num, b.num) })
	if err := s.writeNext(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.loadID(); err != nil {
		s.Close()
		return nil, err
	}
	s.mark = readMark(dir)
	s.unread = s.size
	if len(s.segs) > 0 {
		s.r = s.segs[0]
	}
	return s, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// nextFile keeps the number of the next segment, so positions keep growing
// after the segments holding the highest ones were deleted.
const nextFile = "next"

// readNext reads the next segment number kept in dir.
func readNext(dir string) (uint64, bool) {
	b, err := os.ReadFile(filepath.Join(dir, nextFile))
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	return n, err == nil && n > 0
}

// writeNext records s.nextNum (write and rename: a kill leaves the old or the
// new number, both at most what the segments on disk need).
func (s *Spool) writeNext() error {
	p := filepath.Join(s.dir, nextFile)
	if err := os.WriteFile(p+".tmp", []byte(strconv.FormatUint(s.nextNum, 10)+"\n"), 0o640); err != nil {
		return fmt.Errorf("cannot record the next spool segment in %q: %w", s.dir, err)
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		return fmt.Errorf("cannot record the next spool segment in %q: %w", s.dir, err)
	}
	return nil
}

// segNum parses a segment file name (000000000001.seg).
func segNum(name string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, segSuffix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(base, 10, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
}

// Dir returns the spool's directory.
func (s *Spool) Dir() string { return s.dir }

// Append writes payload as one record and returns its position. It fails
// with ErrFull when the spool would exceed MaxBytes, and with the write's
// error otherwise (the record is then not in the spool, and the segment is
// cut back to its last whole record or closed).
func (s *Spool) Append(payload []byte) (uint64, error) {
	if len(payload) > MaxRecordBytes {
		return 0, fmt.Errorf("cannot spool a record of %d bytes (at most %d)", len(payload), MaxRecordBytes)
	}
	n := int64(headerBytes + len(payload))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opt.MaxBytes > 0 && s.size+n > s.opt.MaxBytes {
		s.tidy() // a drained write segment does not count
		if s.size+n > s.opt.MaxBytes {
			return 0, ErrFull
		}
	}
	if s.w != nil && (s.w.size+n > s.opt.SegmentBytes && s.w.size > 0 || s.w.count == 1<<32-1) {
		s.w = nil // sealed: the reader finishes it, then moves on
	}
	if s.w == nil {
		if err := s.newSegment(); err != nil {
			return 0, err
		}
	}
	buf := s.scratch[:0]
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(payload)))
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(payload, castagnoli))
	buf = append(buf, payload...)
	s.scratch = buf
	var err error
	if s.opt.WriteFault != nil {
		err = s.opt.WriteFault()
	}
	if err == nil {
		var k int
		k, err = s.w.f.WriteAt(buf, s.w.size)
		if err != nil && k > 0 {
			// Cut the torn record off; if that fails too, leave the segment:
			// the reader skips a torn record and the next Append starts a new one.
			if s.w.f.Truncate(s.w.size) != nil {
				s.w = nil
			}
		}
	}
	if err != nil {
		return 0, fmt.Errorf("cannot append to spool %q: %w", s.dir, err)
	}
	pos := s.w.num<<32 | uint64(s.w.count)
	s.w.count++
	s.w.size += n
	s.size += n
	s.unread += n
	return pos, nil
}

// createTries bounds how often newSegment starts over when the directory
// vanishes while it creates a segment (removed again meanwhile).
const createTries = 5

// beforeCreate, when set (tests), runs between creating the directory and
// the segment file.
var beforeCreate func()

// newSegment creates the next segment file and makes it the write segment.
// The directory may have been removed, also while this runs (an operator's
// rm -r walking it): it is created again and the segment retried.
func (s *Spool) newSegment() error {
	var err error
	for range createTries {
		if err = s.createSegment(); !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return err
}

func (s *Spool) createSegment() error {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return fmt.Errorf("cannot create spool directory %q: %w", s.dir, err)
	}
	if beforeCreate != nil {
		beforeCreate()
	}
	num := s.nextNum
	p := filepath.Join(s.dir, fmt.Sprintf("%012d%s", num, segSuffix))
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("cannot create spool segment %q: %w", p, err)
	}
	s.nextNum++
	err = s.writeNext()
	if err == nil {
		err = s.keepID()
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(p)
		s.nextNum--
		return err
	}
	g := &segment{num: num, path: p, f: f}
	s.segs = append(s.segs, g)
	s.w = g
	if s.r == nil {
		s.r, s.roff, s.ridx, s.rstart, s.rbuf = g, 0, 0, 0, s.rbuf[:0]
	}
	return nil
}

// Record is one record read from the spool. Data is valid until the next
// call of Next. Old records were in the directory when it was opened
// (written by an earlier run; some may have been committed by it).
type Record struct {
	Pos  uint64
	Data []byte
	Old  bool
}

// Next returns the oldest record not yet returned, or false when there is
// none now. A torn or corrupt record is counted (Corrupt), reported to
// OnCorrupt, and the rest of its segment is skipped.
func (s *Spool) Next() (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.r != nil {
		g := s.r
		rec, ok, reason := s.read(g)
		if ok {
			return rec, true
		}
		if reason != "" {
			s.corrupt++
			if s.opt.OnCorrupt != nil {
				s.opt.OnCorrupt(g.path, s.roff, reason)
			}
			s.unread -= g.size - s.roff
			s.roff = g.size
			if g == s.w {
				s.w = nil // appends go to a new segment
			}
		}
		if g == s.w {
			return Record{}, false // caught up with the writer
		}
		// The segment is done: move on to the next one.
		g.count = s.ridx
		i := slices.Index(s.segs, g)
		s.r, s.roff, s.ridx, s.rstart, s.rbuf = nil, 0, 0, 0, s.rbuf[:0]
		if i+1 < len(s.segs) {
			s.r = s.segs[i+1]
		}
		s.gc()
	}
	return Record{}, false
}

// read returns the record at s.roff of g; ok false with an empty reason at
// the end of the segment's records, with a reason when the record there is
// torn or corrupt.
func (s *Spool) read(g *segment) (rec Record, ok bool, reason string) {
	if s.roff >= g.size {
		return Record{}, false, ""
	}
	if g.size-s.roff < headerBytes {
		return Record{}, false, "torn record header"
	}
	h, err := s.bytesAt(g, s.roff, headerBytes)
	if err != nil {
		return Record{}, false, err.Error()
	}
	n := int64(binary.LittleEndian.Uint32(h))
	sum := binary.LittleEndian.Uint32(h[4:])
	if n > MaxRecordBytes {
		return Record{}, false, fmt.Sprintf("record length %d is impossible", n)
	}
	if g.size-s.roff-headerBytes < n {
		return Record{}, false, "torn record"
	}
	data, err := s.bytesAt(g, s.roff+headerBytes, int(n))
	if err != nil {
		return Record{}, false, err.Error()
	}
	if crc32.Checksum(data, castagnoli) != sum {
		return Record{}, false, "checksum mismatch"
	}
	pos := g.num<<32 | uint64(s.ridx)
	s.ridx++
	s.roff += headerBytes + n
	s.unread -= headerBytes + n
	return Record{Pos: pos, Data: data, Old: g.old}, true, ""
}

// bytesAt returns n bytes of g at off through the read buffer.
func (s *Spool) bytesAt(g *segment, off int64, n int) ([]byte, error) {
	end := s.rstart + int64(len(s.rbuf))
	if off >= s.rstart && off+int64(n) <= end {
		return s.rbuf[off-s.rstart : off-s.rstart+int64(n)], nil
	}
	want := max(n, readBuf)
	if int64(want) > g.size-off {
		want = int(g.size - off)
	}
	if cap(s.rbuf) < want {
		s.rbuf = make([]byte, want)
	}
	s.rbuf = s.rbuf[:want]
	k, err := g.f.ReadAt(s.rbuf, off)
	if k < n {
		s.rbuf, s.rstart = s.rbuf[:0], 0
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("cannot read spool segment: %w", err)
	}
	s.rbuf, s.rstart = s.rbuf[:k], off
	return s.rbuf[:n], nil
}

// Commit tells the spool that every record at or before pos is stored: the
// segments whose records all are are deleted.
func (s *Spool) Commit(pos uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos > s.committed {
		s.committed = pos
	}
	s.gc()
}

// gc deletes the segments the reader is done with whose records are all
// committed. The write segment stays (see Tidy): a spool that empties and
// fills again many times a second appends to one file.
func (s *Spool) gc() {
	for len(s.segs) > 0 {
		g := s.segs[0]
		if g == s.r || g == s.w {
			break
		}
		if g.count > 0 && s.committed < g.num<<32|uint64(g.count-1) {
			break
		}
		s.remove(g)
	}
}

// Tidy deletes what Commit keeps: the last segment, once every record in
// the spool has been read and committed, so an idle spool leaves no file (the
// next Append starts a new segment). Call it when the spool has been idle
// for a while.
func (s *Spool) Tidy() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tidy()
}

func (s *Spool) tidy() {
	s.gc()
	if w := s.w; w != nil && s.r == w && len(s.segs) == 1 && s.roff == w.size &&
		(w.count == 0 || s.committed >= w.num<<32|uint64(w.count-1)) {
		s.remove(w)
		s.w, s.r, s.roff, s.ridx, s.rstart, s.rbuf = nil, nil, 0, 0, 0, s.rbuf[:0]
	}
}

// remove closes and deletes the oldest segment g.
func (s *Spool) remove(g *segment) {
	_ = g.f.Close()
	_ = os.Remove(g.path) // already gone when the directory was removed
	s.size -= g.size
	s.segs = s.segs[1:]
}

// Empty reports whether every record appended has been returned by Next.
func (s *Spool) Empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unread == 0
}

// Bytes returns the size of the segment files on disk (what MaxBytes
// bounds).
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size
}

// Unread returns the bytes of the records not yet returned by Next.
func (s *Spool) Unread() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unread
}

// Corrupt returns how many torn or corrupt records were skipped.
func (s *Spool) Corrupt() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.corrupt
}

// Close closes the segment files; what is in them stays for the next Open
// (a drained and committed spool leaves nothing, as after Tidy).
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tidy()
	var err error
	for _, g := range s.segs {
		err = errors.Join(err, g.f.Close())
	}
	s.segs, s.w, s.r = nil, nil, nil
	return err
}
