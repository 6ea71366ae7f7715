package spool

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A spool keeps two small files for a caller that hands its records on to
// something other than local files (a cluster ingest node publishing them):
//
//   - idFile names the directory: random, written when the directory is
//     created (again when it was removed), so names made of ID and a
//     record's position are never given to two different records, even
//     when a removed directory starts its positions over;
//   - markFile holds the highest position the caller saved with SaveMark
//     (every record at or below it handed on), fsynced: after a crash the
//     caller skips the records at or below Mark.
const (
	idFile   = "id"
	markFile = "mark"
)

// loadID reads the directory's id, or writes a new one when there is none.
func (s *Spool) loadID() error {
	p := filepath.Join(s.dir, idFile)
	b, err := os.ReadFile(p)
	if err == nil {
		if id := strings.TrimSpace(string(b)); validID(id) {
			s.id = id
			return nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot read the spool id in %q: %w", s.dir, err)
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	id := hex.EncodeToString(r[:])
	if err := writeSynced(s.dir, idFile, id); err != nil {
		return fmt.Errorf("cannot record the spool id in %q: %w", s.dir, err)
	}
	s.id = id
	return nil
}

// keepID writes the id again when the directory lost it (removed while the
// spool ran): records of the new directory keep the running spool's id.
func (s *Spool) keepID() error {
	if s.id == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(s.dir, idFile)); err == nil {
		return nil
	}
	if err := writeSynced(s.dir, idFile, s.id); err != nil {
		return fmt.Errorf("cannot record the spool id in %q: %w", s.dir, err)
	}
	return nil
}

func validID(id string) bool {
	if len(id) != 16 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// readMark reads the saved mark (0 when there is none).
func readMark(dir string) uint64 {
	b, err := os.ReadFile(filepath.Join(dir, markFile))
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// ID returns the directory's identity: 16 hex digits, the same for every
// Open of the directory until it is removed.
func (s *Spool) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// Mark returns the highest position saved with SaveMark, by this run or
// an earlier one (0: none).
func (s *Spool) Mark() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mark
}

// SaveMark records that every record at or below pos has been handed on:
// the mark file is written, fsynced and renamed in place (a crash leaves
// the old mark or the new one) before SaveMark returns. A pos at or below
// the mark changes nothing.
func (s *Spool) SaveMark(pos uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos <= s.mark {
		return nil
	}
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return fmt.Errorf("cannot save the spool mark in %q: %w", s.dir, err)
	}
	if err := writeSynced(s.dir, markFile, strconv.FormatUint(pos, 10)); err != nil {
		return fmt.Errorf("cannot save the spool mark in %q: %w", s.dir, err)
	}
	s.mark = pos
	return nil
}

// writeSynced writes text to dir/name through a temporary file, fsynced,
// renamed, and the directory fsynced.
func writeSynced(dir, name, text string) error {
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p+".tmp", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p+".tmp", p)
	}
	if err != nil {
		_ = os.Remove(p + ".tmp")
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
