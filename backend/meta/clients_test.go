package meta

import (
	"path/filepath"
	"testing"
)

func TestClientsKeepTheirOrderPerEngine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logsieve.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	names := func(engine string) string {
		t.Helper()
		cs, err := db.Clients(engine)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, c := range cs {
			s += c.Name + "=" + c.Match + ";"
		}
		return s
	}
	if err := db.ReplaceClients("e1", []ClientRecord{{Name: "z", Match: "10.0.*"}, {Name: "a", Match: "*"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceClients("e2", []ClientRecord{{Name: "a", Match: "::1"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := names("e1"), "z=10.0.*;a=*;"; got != want {
		t.Errorf("e1 clients; got %q; want %q", got, want)
	}
	if err := db.ReplaceClients("e1", []ClientRecord{{Name: "a", Match: "*"}, {Name: "z", Match: "10.0.*"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, want := names("e1"), "a=*;z=10.0.*;"; got != want {
		t.Errorf("e1 clients after reorder and reopen; got %q; want %q", got, want)
	}
	if err := db.DeleteClients("e1"); err != nil {
		t.Fatal(err)
	}
	if got, want := names("e1")+"|"+names("e2"), "|a=::1;"; got != want {
		t.Errorf("after delete; got %q; want %q", got, want)
	}
}
