package meta

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestPatternsRoundTripKeepsKeyOrder(t *testing.T) {
	keys := []string{"zeta", "alpha", "mid_ip"}
	pats := map[string]string{"zeta": `z(\d+)`, "alpha": `"quoted"\\`, "mid_ip": `->(\S+)`}
	m, k, err := DecodePatterns(EncodePatterns(pats, keys))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(k, keys) || !reflect.DeepEqual(m, pats) {
		t.Fatalf("unexpected round trip; got %v %v; want %v %v", k, m, keys, pats)
	}
}

func TestEnginesAndClassesPersistAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logsieve.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveClass(ClassRecord{Name: "c", Patterns: `{"a":"x"}`}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveEngine(EngineRecord{Name: "e1", Class: "c", Port: 5000, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, err := db.Engines()
	if err != nil || len(es) != 1 || es[0].Port != 5000 || !es[0].Enabled {
		t.Fatalf("unexpected engines; got %+v, %v", es, err)
	}
	if err := db.DeleteEngine("e1"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteEngine("e1"); !IsNotFound(err) {
		t.Fatalf("second delete: got %v; want not found", err)
	}
	cs, _ := db.Classes()
	if len(cs) != 1 || cs[0].Patterns != `{"a":"x"}` {
		t.Fatalf("unexpected classes %+v", cs)
	}
}

// engineRecordV1 is the engines table before the stream limits existed.
type engineRecordV1 struct {
	Name     string `gorm:"primaryKey"`
	Class    string
	Protocol string
	Port     int
}

func (engineRecordV1) TableName() string { return "engine_records" }

func TestEnginesOfAnOlderSchemaGetTheStreamLimitDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logsieve.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	g := db.Gorm
	if err := g.Migrator().DropTable("engine_records"); err != nil {
		t.Fatal(err)
	}
	if err := g.AutoMigrate(&engineRecordV1{}); err != nil {
		t.Fatal(err)
	}
	if err := g.Create(&engineRecordV1{Name: "old", Class: "c", Protocol: "udp", Port: 514}).Error; err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, err := db.Engines()
	if err != nil || len(es) != 1 {
		t.Fatalf("got %+v %v; want the old engine", es, err)
	}
	if es[0].MaxMessageBytes != 65536 || es[0].MaxConnections != 1024 || es[0].Port != 514 {
		t.Fatalf("old engine after migration; got %+v; want max_message_bytes 65536, max_connections 1024", es[0])
	}
	// an engine from before syslog_header keeps storing no header columns
	if es[0].SyslogHeader != "none" {
		t.Fatalf("old engine after migration; got syslog_header %q; want none", es[0].SyslogHeader)
	}
}
