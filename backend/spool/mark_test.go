package spool

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSpoolIDLastsUntilTheDirectoryIsRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sp")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := s.ID()
	if !validID(id) {
		t.Fatalf("unexpected id %q", id)
	}
	appendN(t, s, 0, 3)
	s.Close()
	if got := open(t, dir, Options{}).ID(); got != id {
		t.Fatalf("unexpected id after reopening; got %q; want %q", got, id)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if got := open(t, dir, Options{}).ID(); got == id {
		t.Fatalf("a removed directory kept its id %q: its positions start over, so names would repeat", got)
	}
}

// A directory removed under a running spool gets the spool's id back with
// its next segment: a crash then replays those records under the same names.
func TestSpoolIDIsWrittenAgainWhenTheDirectoryIsRecreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sp")
	s := open(t, dir, Options{SegmentBytes: 64})
	id := s.ID()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 5)
	b, err := os.ReadFile(filepath.Join(dir, idFile))
	if err != nil || string(b) != id+"\n" {
		t.Fatalf("unexpected id file %q, %v; want %q", b, err, id)
	}
}

func TestSpoolMarkSurvivesReopenAndOnlyRises(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m := s.Mark(); m != 0 {
		t.Fatalf("unexpected mark of a new spool %d", m)
	}
	pos := appendN(t, s, 0, 4)
	if err := s.SaveMark(pos[2]); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveMark(pos[1]); err != nil {
		t.Fatal(err)
	}
	if m := s.Mark(); m != pos[2] {
		t.Fatalf("unexpected mark %x; want %x", m, pos[2])
	}
	s.Close()
	s2 := open(t, dir, Options{})
	if m := s2.Mark(); m != pos[2] {
		t.Fatalf("unexpected mark after reopening %x; want %x", m, pos[2])
	}
	// The records are all still there (the mark deletes nothing).
	nums, _ := drain(t, s2)
	if len(nums) != 4 {
		t.Fatalf("unexpected records after reopening; got %v", nums)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(m) != 0 {
		t.Fatalf("temporary files left: %q", m)
	}
}
