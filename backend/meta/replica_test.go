package meta

import (
	"errors"
	"path/filepath"
	"testing"
)

// fakeReplica records puts and deletes; fail refuses them.
type fakeReplica struct {
	puts, deletes []string
	fail          error
}

func (f *fakeReplica) Put(key string, _ []byte) error {
	if f.fail != nil {
		return f.fail
	}
	f.puts = append(f.puts, key)
	return nil
}

func (f *fakeReplica) Delete(key string) error {
	if f.fail != nil {
		return f.fail
	}
	f.deletes = append(f.deletes, key)
	return nil
}

func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestKeysRoundTrip(t *testing.T) {
	f := func(kind, name, want string) {
		t.Helper()
		k := Key(kind, name)
		if k != want {
			t.Fatalf("unexpected key; got %q; want %q", k, want)
		}
		ch, err := ParseKey(k)
		if err != nil || ch.Kind != kind || (kind != KindSettings && ch.Name != name) {
			t.Fatalf("unexpected parse of %q; got %+v %v", k, ch, err)
		}
	}
	f(KindEngine, "fw-1", "engine.fw-1")
	f(KindUser, "jane.doe@x", "user.=amFuZS5kb2VAeA")
	f(KindClients, "fw_1", "clients.fw_1")
	f(KindSettings, "", "settings")
	for _, bad := range []string{"_seed", "engine.", "audit.x", "user.=%%"} {
		if _, err := ParseKey(bad); err == nil {
			t.Fatalf("key %q parsed; want an error", bad)
		}
	}
}

// A change the replica refuses is rolled back locally; one it takes is
// saved; a change applied from another node is not replicated again.
func TestReplicaRefusalRollsBackTheLocalChange(t *testing.T) {
	db := openTestDB(t)
	rep := &fakeReplica{}
	db.SetReplicator(rep)
	if err := db.SaveClass(ClassRecord{Name: "c", Patterns: `{"a":"x"}`}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(User{Username: "u", Role: RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(User{Username: "v", Role: RoleViewer}); err != nil {
		t.Fatal(err)
	}
	rep.fail = &ConflictError{Key: "class.c"}
	err := db.SaveClass(ClassRecord{Name: "c", Patterns: `{"a":"y"}`})
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("unexpected error; got %v; want the replica's conflict", err)
	}
	if c, _ := db.Class("c"); c.Patterns != `{"a":"x"}` {
		t.Fatalf("refused change kept: %q", c.Patterns)
	}
	rep.fail = &UnavailableError{Reason: "not connected to NATS"}
	if err := db.DeleteUser("v"); !IsReplicaError(err) {
		t.Fatalf("unexpected error; got %v; want unavailable", err)
	}
	if err := db.SaveEngine(EngineRecord{Name: "e", Class: "c"}); !IsReplicaError(err) {
		t.Fatalf("unexpected error; got %v; want unavailable", err)
	}
	if _, err := db.Engine("e"); !IsNotFound(err) {
		t.Fatalf("engine saved without the replica: %v", err)
	}
	rep.fail = nil
	if _, err := db.ApplyRemote("engine.e", []byte(`{"Name":"e","Class":"c","Port":514}`)); err != nil {
		t.Fatal(err)
	}
	if e, err := db.Engine("e"); err != nil || e.Port != 514 {
		t.Fatalf("unexpected remote engine: %+v %v", e, err)
	}
	if _, err := db.User("v"); err != nil {
		t.Fatalf("user deleted without the replica: %v", err)
	}
	if want := []string{"class.c", "user.u", "user.v"}; len(rep.puts) != 3 || rep.puts[0] != want[0] || rep.puts[2] != want[2] || len(rep.deletes) != 0 {
		t.Fatalf("unexpected replicated keys; got puts %v deletes %v; want puts %v", rep.puts, rep.deletes, want)
	}
}

// Sync makes the local records the cluster's: missing ones written, others
// dropped.
func TestSyncReplacesLocalRecords(t *testing.T) {
	src := openTestDB(t)
	if err := src.SaveClass(ClassRecord{Name: "c", Patterns: `{"a":"x"}`}); err != nil {
		t.Fatal(err)
	}
	if err := src.SaveEngine(EngineRecord{Name: "e", Class: "c", Port: 514}); err != nil {
		t.Fatal(err)
	}
	if err := src.ReplaceClients("e", []ClientRecord{{Name: "fw", Match: "10.0.0.1"}}); err != nil {
		t.Fatal(err)
	}
	recs, err := src.Records()
	if err != nil {
		t.Fatal(err)
	}
	dst := openTestDB(t)
	if err := dst.SaveClass(ClassRecord{Name: "old", Patterns: `{"a":"x"}`}); err != nil {
		t.Fatal(err)
	}
	dropped, err := dst.Sync(recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 1 || dropped[0] != "class.old" {
		t.Fatalf("unexpected dropped; got %v; want [class.old]", dropped)
	}
	got, err := dst.Records()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range recs {
		if string(got[k]) != string(v) {
			t.Fatalf("unexpected %s after sync; got %s; want %s", k, got[k], v)
		}
	}
	if len(got) != len(recs) {
		t.Fatalf("unexpected records after sync; got %d; want %d", len(got), len(recs))
	}
}
