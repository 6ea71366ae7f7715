package cluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/logsieve/logsieve/backend/meta"
)

// metaNode is a node with its own metadata DB synced with the bucket.
type metaNode struct {
	n  *Node
	db *meta.DB
	ms *MetaSync

	mu      sync.Mutex
	applied []meta.Change
}

func startMetaNode(t *testing.T, url, name string, prepare func(db *meta.DB)) *metaNode {
	t.Helper()
	n := startNode(t, url, name, RoleAll, nil)
	db, err := meta.Open(filepath.Join(t.TempDir(), "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if prepare != nil {
		prepare(db)
	}
	ms, err := n.OpenMeta(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ms.Close)
	return &metaNode{n: n, db: db, ms: ms}
}

func (m *metaNode) run() {
	m.ms.Run(func(ch meta.Change) {
		m.mu.Lock()
		m.applied = append(m.applied, ch)
		m.mu.Unlock()
	})
}

func (m *metaNode) changes() []meta.Change {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]meta.Change(nil), m.applied...)
}

func classPatterns(t *testing.T, db *meta.DB, name string) string {
	t.Helper()
	c, err := db.Class(name)
	if err != nil {
		return ""
	}
	return c.Patterns
}

// The first node seeds the empty bucket; a second node's own records are
// replaced by the cluster's; changes apply on the other node, not echoed back.
func TestMetaBucketSeededByTheFirstNodeAndAppliedOnTheOthers(t *testing.T) {
	srv := testServer(t)
	a := startMetaNode(t, srv.ClientURL(), "a", func(db *meta.DB) {
		if err := db.SaveClass(meta.ClassRecord{Name: "seq", Patterns: `{"n":"n=(\\d+)"}`}); err != nil {
			t.Fatal(err)
		}
	})
	b := startMetaNode(t, srv.ClientURL(), "b", func(db *meta.DB) {
		if err := db.SaveClass(meta.ClassRecord{Name: "only_b", Patterns: `{"x":"x"}`}); err != nil {
			t.Fatal(err)
		}
	})
	if !a.ms.Seeded() || b.ms.Seeded() {
		t.Fatalf("unexpected seeders: a %v, b %v; want a only", a.ms.Seeded(), b.ms.Seeded())
	}
	if got := classPatterns(t, b.db, "seq"); got != `{"n":"n=(\\d+)"}` {
		t.Fatalf("unexpected class seq on b; got %q", got)
	}
	if got := classPatterns(t, b.db, "only_b"); got != "" {
		t.Fatalf("b kept its own class only_b (%q); want it dropped for the cluster's", got)
	}
	a.run()
	b.run()
	if err := a.db.SaveEngine(meta.EngineRecord{Name: "e1", Class: "seq", Port: 5514, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.db.CreateUser(meta.User{Username: "alice", PasswordHash: "$2a$hash", Role: meta.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "user alice on b", func() bool { u, err := b.db.User("alice"); return err == nil && u.PasswordHash == "$2a$hash" })
	if e, err := b.db.Engine("e1"); err != nil || e.Port != 5514 {
		t.Fatalf("unexpected engine e1 on b: %+v %v", e, err)
	}
	if err := b.db.DeleteEngine("e1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "engine e1 gone on a", func() bool { _, err := a.db.Engine("e1"); return meta.IsNotFound(err) })
	// A later change from a: once b has it, b has seen its own delete's echo.
	if err := a.db.CreateUser(meta.User{Username: "bob", Role: meta.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	// The DB row is written before the change is handed to Run's callback:
	// wait for the callback, not the row.
	hasChange := func(m *metaNode, ch meta.Change) func() bool {
		return func() bool {
			for _, c := range m.changes() {
				if c == ch {
					return true
				}
			}
			return false
		}
	}
	waitFor(t, "user bob applied on b", hasChange(b, meta.Change{Kind: meta.KindUser, Name: "bob"}))
	waitFor(t, "b's delete of e1 applied on a", hasChange(a, meta.Change{Kind: meta.KindEngine, Name: "e1"}))
	want := []meta.Change{{Kind: meta.KindEngine, Name: "e1"}, {Kind: meta.KindUser, Name: "alice"}, {Kind: meta.KindUser, Name: "bob"}}
	if got := b.changes(); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("unexpected changes applied on b; got %v; want %v (its own delete not echoed)", got, want)
	}
	if got := a.changes(); len(got) != 1 || got[0] != (meta.Change{Kind: meta.KindEngine, Name: "e1"}) {
		t.Fatalf("unexpected changes applied on a; got %v; want only b's delete of e1", got)
	}
}

// Two nodes edit the same class from the same revision: the second write
// is refused with a conflict and rolled back on its node, which then gets
// the first one's version; nothing is lost silently.
func TestConcurrentEditOfOneRecordIsAConflict(t *testing.T) {
	srv := testServer(t)
	a := startMetaNode(t, srv.ClientURL(), "a", func(db *meta.DB) {
		if err := db.SaveClass(meta.ClassRecord{Name: "seq", Patterns: `{"n":"v0"}`}); err != nil {
			t.Fatal(err)
		}
	})
	b := startMetaNode(t, srv.ClientURL(), "b", nil)
	a.run() // b does not apply a's change yet: it edits from the old revision
	if err := a.db.SaveClass(meta.ClassRecord{Name: "seq", Patterns: `{"n":"from a"}`}); err != nil {
		t.Fatal(err)
	}
	err := b.db.SaveClass(meta.ClassRecord{Name: "seq", Patterns: `{"n":"from b"}`})
	var ce *meta.ConflictError
	if !errors.As(err, &ce) || ce.Key != "class.seq" {
		t.Fatalf("unexpected error of the second edit; got %v; want a conflict on class.seq", err)
	}
	if got := classPatterns(t, b.db, "seq"); got != `{"n":"v0"}` {
		t.Fatalf("b's refused edit was kept locally: %q", got)
	}
	b.run()
	waitFor(t, "a's edit on b", func() bool { return classPatterns(t, b.db, "seq") == `{"n":"from a"}` })
	// From the revision it now knows, b's edit goes through and reaches a.
	if err := b.db.SaveClass(meta.ClassRecord{Name: "seq", Patterns: `{"n":"from b"}`}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b's edit on a", func() bool { return classPatterns(t, a.db, "seq") == `{"n":"from b"}` })
}

// With NATS gone a change is refused as unavailable, naming NATS, and
// nothing is written locally.
func TestChangeWithoutNATSIsRefusedAndNotSavedLocally(t *testing.T) {
	srv := testServer(t)
	a := startMetaNode(t, srv.ClientURL(), "a", nil)
	a.run()
	srv.Shutdown()
	srv.WaitForShutdown()
	waitFor(t, "disconnected", func() bool { return !a.n.nc.IsConnected() })
	err := a.db.SaveClass(meta.ClassRecord{Name: "seq", Patterns: `{"n":"x"}`})
	var ue *meta.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("unexpected error; got %v; want *meta.UnavailableError", err)
	}
	if !strings.Contains(err.Error(), "NATS") {
		t.Fatalf("error does not name NATS: %v", err)
	}
	if _, err := a.db.Class("seq"); !meta.IsNotFound(err) {
		t.Fatalf("class saved locally without NATS: %v", err)
	}
}

// A node whose connection drops keeps applying: the changes made while it
// reconnects and after are applied, in order.
func TestMetaChangesReachANodeThatReconnected(t *testing.T) {
	srv := testServer(t)
	a := startMetaNode(t, srv.ClientURL(), "a", nil)
	b := startMetaNode(t, srv.ClientURL(), "b", nil)
	a.run()
	b.run()
	for round := range 3 {
		id, err := b.n.nc.GetClientID()
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.DisconnectClientByID(id); err != nil {
			t.Fatal(err)
		}
		p := fmt.Sprintf(`{"n":"round %d"}`, round)
		if err := a.db.SaveClass(meta.ClassRecord{Name: "seq", Patterns: p}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "b reconnected", func() bool {
			nid, err := b.n.nc.GetClientID()
			return err == nil && nid != id && b.n.nc.IsConnected()
		})
		waitFor(t, "round "+strconv.Itoa(round)+" on b", func() bool { return classPatterns(t, b.db, "seq") == p })
	}
	if err := b.db.SaveClass(meta.ClassRecord{Name: "seq", Patterns: `{"n":"from b"}`}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b's edit on a", func() bool { return classPatterns(t, a.db, "seq") == `{"n":"from b"}` })
}

// A node whose own seeding was cut short (the mark says it, not done)
// seeds again when it starts; another node would wait for it.
func TestInterruptedSeedingIsRedoneByItsNode(t *testing.T) {
	srv := testServer(t)
	n := startNode(t, srv.ClientURL(), "a", RoleAll, nil)
	kv, err := n.js.CreateOrUpdateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: MetaBucket})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(context.Background(), seedKey, []byte(`{"node":"a","done":false}`)); err != nil {
		t.Fatal(err)
	}
	a := startMetaNode(t, srv.ClientURL(), "a", func(db *meta.DB) {
		if err := db.SaveClass(meta.ClassRecord{Name: "seq", Patterns: `{"n":"x"}`}); err != nil {
			t.Fatal(err)
		}
	})
	if !a.ms.Seeded() {
		t.Fatal("node a did not seed again after its interrupted seeding")
	}
	e, err := kv.Get(context.Background(), "class.seq")
	if err != nil || !strings.Contains(string(e.Value()), `"seq"`) {
		t.Fatalf("class seq not in the bucket: %v", err)
	}
	if e, err := kv.Get(context.Background(), seedKey); err != nil || !strings.Contains(string(e.Value()), `"done":true`) {
		t.Fatalf("seed mark not done: %v", err)
	}
}
