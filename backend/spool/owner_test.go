package spool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func owner(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, OwnerFile))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestClaimKeepsItsOwnAndMovesAnotherOwnersSpool(t *testing.T) {
	root := t.TempDir()
	dir, orph := filepath.Join(root, "edge"), filepath.Join(root, "_orphaned")
	if o, err := Claim(dir, orph, "a"); err != nil || o != nil {
		t.Fatalf("new directory; got %+v, %v; want created, nothing moved", o, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seg"), []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if o, err := Claim(dir, orph, "a"); err != nil || o != nil || owner(t, dir) != "a" {
		t.Fatalf("same owner; got %+v, %v; want kept", o, err)
	}
	o, err := Claim(dir, orph, "b")
	if err != nil || o == nil || o.Path != filepath.Join(orph, "edge-a") || o.Owner != "a" || o.Bytes != 5+int64(len("a\n")) {
		t.Fatalf("other owner; got %+v, %v; want moved to edge-a with 7 bytes", o, err)
	}
	if _, err := os.Stat(filepath.Join(o.Path, "seg")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "seg")); !os.IsNotExist(err) || owner(t, dir) != "b" {
		t.Fatalf("claimed directory; got %v; want empty, owner b", err)
	}
	// The same identity twice (moved back and forth): a second name.
	if err := os.WriteFile(filepath.Join(dir, OwnerFile), []byte("a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if o, err := Claim(dir, orph, "b"); err != nil || o == nil || o.Path != filepath.Join(orph, "edge-a-2") {
		t.Fatalf("second move of identity a; got %+v, %v", o, err)
	}
}

// A spool without an owner file was written by a version before owners: an
// engine of that time (LegacyOwner, or "") adopts it, a newer one does not.
func TestClaimOfASpoolWithoutOwner(t *testing.T) {
	root := t.TempDir()
	dir, orph := filepath.Join(root, "edge"), filepath.Join(root, "_orphaned")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if o, err := Claim(dir, orph, ""); err != nil || o != nil || owner(t, dir) != LegacyOwner {
		t.Fatalf("legacy engine; got %+v, %v; want adopted", o, err)
	}
	if err := os.Remove(filepath.Join(dir, OwnerFile)); err != nil {
		t.Fatal(err)
	}
	o, err := Claim(dir, orph, "new")
	if err != nil || o == nil || o.Path != filepath.Join(orph, "edge-unknown") || o.Owner != "" {
		t.Fatalf("new engine; got %+v, %v; want moved to edge-unknown", o, err)
	}
}
