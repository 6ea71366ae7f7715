package auth

import (
	"testing"

	"github.com/logsieve/logsieve/backend/meta"
)

// TestOnRevokeIsToldOfEverySessionEnd: logout (that token), a password change, a role or
// password change by an admin and a deletion (every token of the user) are told to the
// listeners before the call returns; a change that changes nothing, a failed change and a
// cancelled listener are not.
func TestOnRevokeIsToldOfEverySessionEnd(t *testing.T) {
	s, _, _ := newTest(t)
	if _, err := s.CreateUser("bob", "bob password 1", meta.RoleViewer, new(bool)); err != nil {
		t.Fatal(err)
	}
	var got []Revocation
	cancel := s.OnRevoke(func(r Revocation) { got = append(got, r) })
	expect := func(what string, want ...Revocation) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: unexpected revocations; got %+v; want %+v", what, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: unexpected revocations; got %+v; want %+v", what, got, want)
			}
		}
		got = nil
	}
	sess, err := s.Login("bob", "bob password 1", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	expect("login")
	if err := s.Logout(&sess.User); err != nil {
		t.Fatal(err)
	}
	expect("logout", Revocation{Username: "bob", TokenID: sess.User.Claims.ID})
	if _, err := s.ChangePassword("bob", "wrong password", "bob password 2"); err == nil {
		t.Fatal("a wrong current password must fail")
	}
	expect("failed password change")
	if _, err := s.ChangePassword("bob", "bob password 1", "bob password 2"); err != nil {
		t.Fatal(err)
	}
	expect("password change", Revocation{Username: "bob"})
	viewer := meta.RoleViewer
	if _, err := s.UpdateUser("alice", "bob", &viewer, nil); err != nil {
		t.Fatal(err)
	}
	expect("same role")
	admin := meta.RoleAdmin
	if _, err := s.UpdateUser("alice", "bob", &admin, nil); err != nil {
		t.Fatal(err)
	}
	expect("role change", Revocation{Username: "bob"})
	pw := "bob password 3"
	if _, err := s.UpdateUser("alice", "bob", nil, &pw); err != nil {
		t.Fatal(err)
	}
	expect("password set by an admin", Revocation{Username: "bob"})
	if err := s.DeleteUser("bob"); err != nil {
		t.Fatal(err)
	}
	expect("deletion", Revocation{Username: "bob"})
	if err := s.DeleteUser("bob"); err == nil {
		t.Fatal("deleting a missing user must fail")
	}
	expect("failed deletion")
	cancel()
	if err := s.DeleteUser("alice"); err == nil {
		t.Fatal("deleting the last admin must fail")
	}
	if _, err := s.CreateUser("carol", "carol password", meta.RoleViewer, new(bool)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser("carol"); err != nil {
		t.Fatal(err)
	}
	expect("after cancel")
}
