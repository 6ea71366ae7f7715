package factory

import (
	"encoding/json"
	"fmt"
	"net"
	"testing"

	"github.com/logsieve/logsieve/backend/meta"
)

// A PATCH merged onto a definition that changed meanwhile (another node's
// change applied in between) is refused, not written over it.
func TestUpdateFromAStaleDefinitionIsAConflict(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	base := e.create(t, "fw")
	theirs := base
	theirs.RetentionDays = 3
	if err := e.f.UpdateEngine("fw", theirs); err != nil {
		t.Fatal(err)
	}
	mine := base
	mine.KeepOriginal = !base.KeepOriginal
	if err := e.f.UpdateEngineFrom("fw", base, mine); kind(err) != Conflict {
		t.Fatalf("unexpected error; got %v; want a Conflict", err)
	}
	got, _ := e.f.Engine("fw")
	if !sameDefinition(got.EngineSpec, theirs) {
		t.Fatalf("unexpected definition; got %+v; want %+v", got.EngineSpec, theirs)
	}
	mine = theirs
	mine.KeepOriginal = !theirs.KeepOriginal
	if err := e.f.UpdateEngineFrom("fw", theirs, mine); err != nil {
		t.Fatal(err)
	}
}

// Apply puts records another node wrote into the running factory: an
// engine created and started, a class edit into its engine, the engine
// removed with its record.
func TestApplyFollowsTheRecords(t *testing.T) {
	e := openSeeded(t, t.TempDir())
	s := e.spec(t, "remote")
	r := s.record()
	if _, err := e.db.ApplyRemote(meta.Key(meta.KindEngine, "remote"), mustJSON(t, r)); err != nil {
		t.Fatal(err)
	}
	if err := e.f.Apply(meta.Change{Kind: meta.KindEngine, Name: "remote"}); err != nil {
		t.Fatal(err)
	}
	if st, err := e.f.Stats("remote"); err != nil || st.State != "running" {
		t.Fatalf("unexpected engine from the record: %+v %v", st, err)
	}
	cr := meta.ClassRecord{Name: "mikrotik", Patterns: `{"only":"x=(\\d+)"}`}
	if _, err := e.db.ApplyRemote(meta.Key(meta.KindClass, "mikrotik"), mustJSON(t, cr)); err != nil {
		t.Fatal(err)
	}
	if err := e.f.Apply(meta.Change{Kind: meta.KindClass, Name: "mikrotik"}); err != nil {
		t.Fatal(err)
	}
	if cols, _ := e.f.Order("remote"); len(cols) < 1 || cols[len(cols)-1] != "only" {
		t.Fatalf("unexpected columns after the class edit; got %v; want ... only", cols)
	}
	if _, err := e.db.ApplyRemote(meta.Key(meta.KindEngine, "remote"), nil); err != nil {
		t.Fatal(err)
	}
	if err := e.f.Apply(meta.Change{Kind: meta.KindEngine, Name: "remote"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.f.Engine("remote"); kind(err) != NotFound {
		t.Fatalf("engine still there after its record was deleted: %v", err)
	}
	freeUDP(t, s.Port)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// freeUDP fails unless port can be bound on 127.0.0.1 (its engine is gone).
func freeUDP(t *testing.T, port int) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("port %d still bound: %v", port, err)
	}
	pc.Close()
}
