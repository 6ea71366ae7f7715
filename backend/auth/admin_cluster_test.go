package auth

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/logsieve/logsieve/backend/meta"
)

// takenReplica refuses every write as a conflict: another cluster node
// created the record first.
type takenReplica struct{}

func (takenReplica) Put(key string, _ []byte) error { return &meta.ConflictError{Key: key} }
func (takenReplica) Delete(key string) error        { return &meta.ConflictError{Key: key} }

// In a cluster, two nodes starting at once may both find no user: the one
// whose create of the admin loses creates none, keeps no password file and
// starts anyway.
func TestEnsureAdminLeavesTheAdminToTheNodeThatCreatedItFirst(t *testing.T) {
	dir := t.TempDir()
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetReplicator(takenReplica{})
	created, err := EnsureAdmin(db, dir, "", nil)
	if err != nil || created {
		t.Fatalf("unexpected EnsureAdmin; got %v, %v; want not created, no error", created, err)
	}
	if _, err := os.Stat(filepath.Join(dir, InitialPasswordFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("initial password file kept: %v", err)
	}
	if n, _ := db.CountUsers(); n != 0 {
		t.Fatalf("users in the local DB; got %d; want 0 (the admin comes from the cluster)", n)
	}
}
