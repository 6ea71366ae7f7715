package meta

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// copyFixture copies testdata/<dir>/logsieve.db into a temp data dir and returns its path.
func copyFixture(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "logsieve.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawVersion reads user_version and the table count without meta.Open.
func rawVersion(t *testing.T, path string) (version, tables int) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	return version, tables
}

// TestOpenUpgradesTheFirstReleasesDataDir opens the metadata DB the first release wrote
// (testdata/release1, regen.sh says how it is made) and finds everything in it, in the
// current schema.
func TestOpenUpgradesTheFirstReleasesDataDir(t *testing.T) {
	path := copyFixture(t, "release1")
	if v, _ := rawVersion(t, path); v != 0 {
		t.Fatalf("fixture user_version %d; want 0 (before versioning)", v)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatalf("cannot open the first release's DB: %v", err)
	}
	engines, err := db.Engines()
	if err != nil {
		t.Fatal(err)
	}
	if len(engines) != 2 {
		t.Fatalf("unexpected engines; got %d; want edge and core", len(engines))
	}
	for _, e := range engines {
		if e.Protocol != "udp" || e.SyslogHeader != "none" || e.MaxMessageBytes != 65536 || e.MaxConnections != 1024 || e.Enabled {
			t.Errorf("unexpected upgraded engine; got %+v; want udp, syslog_header none, the stream defaults, disabled", e)
		}
		// No spool id: the engine adopts a spool written before spool ids
		// (spool.LegacyOwner).
		if e.SpoolID != "" {
			t.Errorf("spool id of an upgraded engine; got %q; want none", e.SpoolID)
		}
	}
	if engines[0].Name != "core" || engines[1].Name != "edge" || engines[1].Timezone != "Europe/Berlin" || engines[1].RetentionDays != 14 {
		t.Errorf("unexpected engine definitions; got %+v", engines)
	}
	clients, err := db.Clients("edge")
	if err != nil || len(clients) != 2 || clients[0].Name != "branch" || clients[1].Match != "10.0.*" {
		t.Errorf("unexpected clients; got %+v %v; want branch 10.1.0.0/16, hq 10.0.*", clients, err)
	}
	st, err := db.Settings()
	if err != nil || st.MinFreePercent != 15 || st.DefaultRetentionDays != 60 || st.LogLevel != "warn" {
		t.Errorf("unexpected settings; got %+v %v", st, err)
	}
	users, err := db.Users()
	if err != nil || len(users) != 2 {
		t.Errorf("unexpected users; got %+v %v; want admin and viewer1", users, err)
	}
	classes, err := db.Classes()
	if err != nil || len(classes) != 2 {
		t.Errorf("unexpected classes; got %d %v; want fw and mikrotik", len(classes), err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if v, _ := rawVersion(t, path); v != SchemaVersion {
		t.Fatalf("user_version after the upgrade %d; want %d", v, SchemaVersion)
	}
	// A second open finds nothing to do and keeps the data.
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, _ := db.CountUsers(); n != 2 {
		t.Fatalf("users after a second open; got %d; want 2", n)
	}
}

func TestOpenRefusesANewerSchemaUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logsieve.db")
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = Open(path)
	var tooNew *SchemaTooNewError
	if !errors.Is(err, ErrSchemaTooNew) || !errors.As(err, &tooNew) || tooNew.Version != 999 || tooNew.Want != SchemaVersion {
		t.Fatalf("open of a newer schema; got %v; want a *SchemaTooNewError 999 > %d", err, SchemaVersion)
	}
	if !strings.Contains(err.Error(), "newer release wrote it") || !strings.Contains(err.Error(), path) {
		t.Errorf("unclear refusal: %v", err)
	}
	if v, tables := rawVersion(t, path); v != 999 || tables != 0 {
		t.Fatalf("the refused DB was changed; got version %d, %d tables; want 999 and none", v, tables)
	}
}

func TestOpenStampsANewDBWithTheSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logsieve.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if v, _ := rawVersion(t, path); v != SchemaVersion {
		t.Fatalf("new DB user_version %d; want %d", v, SchemaVersion)
	}
}
