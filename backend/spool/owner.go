package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// OwnerFile names, inside a spool directory, the engine definition the
// spool belongs to (the engine record's spool id, the same on every
// cluster node): a spool is replayed only into the engine that wrote it.
const OwnerFile = "owner"

// LegacyOwner is the identity of an engine defined before engines had one
// (an empty spool id in its record). A spool directory without an owner
// file was written by such a version; it is adopted by a legacy engine of
// the same name (an upgrade loses nothing), and moved aside by an engine
// defined since (which always writes its owner file first).
const LegacyOwner = "legacy"

// Orphan is a spool directory moved aside because it belonged to another
// definition of the engine.
type Orphan struct {
	Path  string // where it is now
	Bytes int64  // size of its files
	Owner string // the identity it had ("" when it had none)
}

// OrphanedDir is the folder, beside an engine's spool directories (under
// <data>/spool and <data>/cluster/unacked), where Claim's callers move a
// spool of an earlier definition of an engine when a later one of the same
// name starts. Its leading '_' keeps it apart from every engine name.
const OrphanedDir = "_orphaned"

// Claim makes dir the spool of owner before it is opened: a directory
// of another owner (or of none, unless owner is LegacyOwner) is moved to
// <orphanRoot>/<name>-<identity>[-<n>] and returned; then dir exists and
// names owner. Nothing is replayed from a moved directory: an operator
// may look at it or delete it.
func Claim(dir, orphanRoot, owner string) (*Orphan, error) {
	if owner == "" {
		owner = LegacyOwner
	}
	var moved *Orphan
	b, err := os.ReadFile(filepath.Join(dir, OwnerFile))
	have := strings.TrimSpace(string(b))
	switch {
	case err == nil && have == owner:
		return nil, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("cannot read the spool's owner: %w", err)
	}
	if _, serr := os.Stat(dir); serr == nil && (err == nil || owner != LegacyOwner) {
		size, serr := dirBytes(dir)
		if serr != nil {
			return nil, serr
		}
		id := have
		if id == "" {
			id = "unknown"
		}
		if err := os.MkdirAll(orphanRoot, 0o700); err != nil {
			return nil, err
		}
		base := filepath.Join(orphanRoot, filepath.Base(dir)+"-"+safeName(id))
		to := base
		for i := 2; ; i++ {
			if _, err := os.Lstat(to); errors.Is(err, fs.ErrNotExist) {
				break
			}
			to = fmt.Sprintf("%s-%d", base, i)
		}
		if err := os.Rename(dir, to); err != nil {
			return nil, fmt.Errorf("cannot move the spool of another engine definition aside: %w", err)
		}
		moved = &Orphan{Path: to, Bytes: size, Owner: have}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return moved, err
	}
	return moved, writeSynced(dir, OwnerFile, owner)
}

// safeName keeps an identity usable in a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}

// NewOwner returns a new spool identity: the creation time and random
// bits, readable in the name of a moved-aside directory.
func NewOwner(now time.Time, random []byte) string {
	return fmt.Sprintf("%s-%x", now.UTC().Format("20060102T150405Z"), random)
}
