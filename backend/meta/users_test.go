package meta

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestLastAdminCannotBeDeletedOrDemoted(t *testing.T) {
	db := openTest(t)
	for _, u := range []User{{Username: "admin", Role: RoleAdmin}, {Username: "v", Role: RoleViewer}} {
		if err := db.CreateUser(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateUser(User{Username: "v", Role: RoleViewer}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate create; got %v; want ErrExists", err)
	}
	if err := db.DeleteUser("admin"); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("delete last admin; got %v; want ErrLastAdmin", err)
	}
	_, err := db.UpdateUser("admin", func(u *User) error { u.Role = RoleViewer; return nil })
	if !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demote last admin; got %v; want ErrLastAdmin", err)
	}
	if u, _ := db.User("admin"); u.Role != RoleAdmin {
		t.Fatalf("role after refused demotion; got %q; want %q", u.Role, RoleAdmin)
	}
	if _, err := db.UpdateUser("v", func(u *User) error { u.Role = RoleAdmin; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUser("admin"); err != nil {
		t.Fatalf("delete admin when another admin exists; got %v", err)
	}
	if err := db.DeleteUser("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete missing user; got %v; want ErrNotFound", err)
	}
}

func TestRevokedTokensArePurgedAfterExpiry(t *testing.T) {
	db := openTest(t)
	now := time.Unix(1_700_000_000, 0)
	if err := db.RevokeToken("a", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken("a", now.Add(time.Hour)); err != nil {
		t.Fatalf("revoking twice; got %v", err)
	}
	if ok, _ := db.TokenRevoked("a"); !ok {
		t.Fatal("token a not revoked")
	}
	if err := db.PurgeRevokedTokens(now.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.TokenRevoked("a"); ok {
		t.Fatal("expired token a still listed after purge")
	}
}

func TestSettingsSeedThenPatch(t *testing.T) {
	db := openTest(t)
	seed := DefaultSettings()
	seed.MinFreePercent = 7
	if err := db.SeedSettings(seed); err != nil {
		t.Fatal(err)
	}
	other := DefaultSettings()
	other.MinFreePercent = 20
	if err := db.SeedSettings(other); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Settings(); s.MinFreePercent != 7 {
		t.Fatalf("second seed overwrote; got %d; want 7", s.MinFreePercent)
	}
	s, err := db.PatchSettings([]byte(`{"disk_full_policy":"pause","metrics_public":true}`))
	if err != nil || s.DiskFullPolicy != PolicyPause || !s.MetricsPublic || s.MinFreePercent != 7 {
		t.Fatalf("patch; got %+v, %v", s, err)
	}
	if s, _ := db.Settings(); s.DiskFullPolicy != PolicyPause {
		t.Fatalf("stored policy; got %q; want pause", s.DiskFullPolicy)
	}
	f := func(body, field string) {
		t.Helper()
		_, err := db.PatchSettings([]byte(body))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Fatalf("patch %s; got %v; want a field error on %q", body, err, field)
		}
	}
	f(`{"min_free_percent":51}`, "min_free_percent")
	f(`{"min_free_percent":-1}`, "min_free_percent")
	f(`{"min_free_percent":"x"}`, "min_free_percent")
	f(`{"disk_full_policy":"drop"}`, "disk_full_policy")
	f(`{"token_ttl":"1s"}`, "token_ttl")
	f(`{"log_level":"loud"}`, "log_level")
	f(`{"trusted_proxies":["nope"]}`, "trusted_proxies")
	f(`{"default_retention_days":-3}`, "default_retention_days")
	f(`{"udp_rcvbuf_bytes":-3}`, "udp_rcvbuf_bytes")
	f(`{"tls_cert_file":"/etc/ssl/x.crt"}`, "tls_key_file")
	f(`{"tls_key_file":"/etc/ssl/x.key"}`, "tls_cert_file")
	f(`{"tls_cert_file":"/nonexistent.crt","tls_key_file":"/nonexistent.key"}`, "tls_cert_file")
	f(`{"spool_max_bytes":-1}`, "spool_max_bytes")
	f(`{"public_url":"logs.example.net"}`, "public_url")
	f(`{"public_url":"ftp://logs.example.net"}`, "public_url")
	f(`{"public_url":"https://logs.example.net/?x=1"}`, "public_url")
	f(`{"public_url":"https://user:pw@logs.example.net"}`, "public_url")
	f(`{"colour":"red"}`, "colour")
	if s, _ := db.Settings(); s.MinFreePercent != 7 {
		t.Fatalf("a refused patch changed the settings; got %d; want 7", s.MinFreePercent)
	}
}
