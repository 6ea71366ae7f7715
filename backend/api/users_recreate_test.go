package api_test

import (
	"testing"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// A token of a deleted user must not work for a later user created under the same name:
// both would otherwise start at token epoch 0 and the old token would verify again.
func TestTokenOfADeletedUserDoesNotWorkForItsNamesake(t *testing.T) {
	e := newEnv(t)
	const pw = "first bob password"
	create := func(role string) {
		t.Helper()
		r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/users", Token: e.admin,
			Body: map[string]any{"username": "bob", "password": pw, "role": role, "must_change_password": false}})
		if r.Status != 201 {
			t.Fatalf("create bob; got %d %s; want 201", r.Status, r.Body)
		}
	}
	create("admin")
	old := e.login(t, "bob", pw)
	if r := e.Do(apitest.Request{Method: "DELETE", Path: "/api/v1/users/bob", Token: e.admin}); r.Status != 204 && r.Status != 200 {
		t.Fatalf("delete bob; got %d %s", r.Status, r.Body)
	}
	create("viewer")
	for _, p := range []string{"/api/v1/auth/me", "/api/v1/users"} {
		if r := e.Do(apitest.Request{Method: "GET", Path: p, Token: old}); r.Status != 401 {
			t.Fatalf("GET %s with the deleted bob's token; got %d %s; want 401", p, r.Status, r.Body)
		}
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: e.login(t, "bob", pw)}); r.Status != 200 {
		t.Fatalf("the new bob's own token; got %d %s; want 200", r.Status, r.Body)
	}
}
