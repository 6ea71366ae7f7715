package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/logsieve/logsieve/backend/meta"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTest(t *testing.T) (*Service, *clock, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	s, err := New(Config{Meta: db, DataDir: dir, Now: clk.Now, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser("alice", "correct horse", meta.RoleAdmin, new(bool)); err != nil {
		t.Fatal(err)
	}
	return s, clk, dir
}

func status(err error) int {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

func TestSecretIsCreatedOnceWithMode0600(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadOrCreateSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || string(a) != string(b) {
		t.Fatalf("secret not stable; got %x then %x", a, b)
	}
	st, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode; got %v (%v); want 0600", st.Mode().Perm(), err)
	}
}

func TestTokensAreRejectedWhenTamperedExpiredUnsignedOrRevoked(t *testing.T) {
	s, clk, _ := newTest(t)
	sess, err := s.Login("alice", "correct horse", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Authenticate(sess.Token); err != nil || p.Username != "alice" || p.Role != meta.RoleAdmin {
		t.Fatalf("fresh token; got %+v, %v", p, err)
	}
	parts := strings.Split(sess.Token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), `"role":"admin"`, `"role":"viewer"`, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "alice", "jti": "x", "role": "admin",
		"iat": clk.Now().Unix(), "exp": clk.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sub": "alice", "jti": "y", "role": "admin",
		"iat": clk.Now().Unix(), "exp": clk.Now().Add(time.Hour).Unix()}).SignedString(s.secret)
	otherKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice", "jti": "z", "role": "admin",
		"iat": clk.Now().Unix(), "exp": clk.Now().Add(time.Hour).Unix()}).SignedString([]byte("0123456789abcdef0123456789abcdef"))
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice", "jti": "w", "role": "admin",
		"iat": clk.Now().Unix()}).SignedString(s.secret)
	for name, tok := range map[string]string{"tampered": tampered, "alg none": none, "alg HS512": hs512,
		"other key": otherKey, "no exp": noExp, "garbage": "a.b.c", "empty": ""} {
		if _, err := s.Authenticate(tok); status(err) != http.StatusUnauthorized {
			t.Errorf("%s token; got %v; want 401", name, err)
		}
	}

	clk.Add(12*time.Hour + time.Second)
	if _, err := s.Authenticate(sess.Token); status(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token; got %v; want 401 expired", err)
	}

	sess, _ = s.Login("alice", "correct horse", "10.0.0.1")
	p, err := s.Authenticate(sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Logout(p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(sess.Token); status(err) != http.StatusUnauthorized {
		t.Fatalf("token after logout; got %v; want 401", err)
	}
}

func TestPasswordAndRoleChangesEndOlderTokens(t *testing.T) {
	s, _, _ := newTest(t)
	if _, err := s.CreateUser("bob", "bob password", meta.RoleViewer, nil); err != nil {
		t.Fatal(err)
	}
	old, _ := s.Login("alice", "correct horse", "10.0.0.1")
	if _, err := s.ChangePassword("alice", "wrong one!!", "new password 1"); status(err) != http.StatusBadRequest {
		t.Fatalf("change with wrong current; got %v; want 400", err)
	}
	if _, err := s.ChangePassword("alice", "correct horse", "short"); status(err) != http.StatusBadRequest {
		t.Fatalf("change to short password; got %v; want 400", err)
	}
	fresh, err := s.ChangePassword("alice", "correct horse", "new password 1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(old.Token); status(err) != http.StatusUnauthorized {
		t.Fatalf("token from before the password change; got %v; want 401", err)
	}
	if _, err := s.Authenticate(fresh.Token); err != nil {
		t.Fatalf("token from the password change; got %v", err)
	}
	bob, _ := s.Login("bob", "bob password", "10.0.0.2")
	if !bob.User.MustChangePassword {
		t.Fatal("user created by an admin does not have to change the password")
	}
	role := meta.RoleAdmin
	if _, err := s.UpdateUser("alice", "bob", &role, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(bob.Token); status(err) != http.StatusUnauthorized {
		t.Fatalf("token from before the role change; got %v; want 401", err)
	}
}

func TestLoginThrottlesPerUserAndAddress(t *testing.T) {
	s, clk, _ := newTest(t)
	for i := range 5 {
		if _, err := s.Login("alice", "bad", "10.0.0.1"); status(err) != http.StatusUnauthorized {
			t.Fatalf("failure %d; got %v; want 401", i+1, err)
		}
		clk.Add(time.Second)
	}
	_, err := s.Login("alice", "correct horse", "10.0.0.1")
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || ae.RetryAfter <= 0 || ae.RetryAfter > time.Minute {
		t.Fatalf("sixth attempt; got %v; want 429 with a retry-after up to a minute", err)
	}
	if _, err := s.Login("alice", "correct horse", "10.0.0.9"); err != nil {
		t.Fatalf("same user from another address; got %v; want success", err)
	}
	for i := range 5 {
		_, _ = s.Login("nobody"+string(rune('a'+i)), "bad", "10.0.0.3")
	}
	if _, err := s.Login("alice", "correct horse", "10.0.0.3"); status(err) != http.StatusTooManyRequests {
		t.Fatalf("address with five failures on other names; got %v; want 429", err)
	}
	clk.Add(time.Minute)
	if _, err := s.Login("alice", "correct horse", "10.0.0.1"); err != nil {
		t.Fatalf("after the window; got %v; want success", err)
	}
}

func TestEnsureAdminCreatesOnceAndForcesChangeOfGeneratedPassword(t *testing.T) {
	dir := t.TempDir()
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := EnsureAdmin(db, dir, "short", nil); err == nil {
		t.Fatal("env password under 10 characters accepted")
	}
	created, err := EnsureAdmin(db, dir, "", nil)
	if err != nil || !created {
		t.Fatalf("first start; got %v, %v; want created", created, err)
	}
	pwFile := filepath.Join(dir, InitialPasswordFile)
	b, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(pwFile); st.Mode().Perm() != 0o600 {
		t.Fatalf("password file mode; got %v; want 0600", st.Mode().Perm())
	}
	if created, _ := EnsureAdmin(db, dir, "", nil); created {
		t.Fatal("second start created the admin again")
	}
	s, err := New(Config{Meta: db, DataDir: dir, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	pw := strings.TrimSpace(string(b))
	sess, err := s.Login(AdminUsername, pw, "127.0.0.1")
	if err != nil || !sess.User.MustChangePassword {
		t.Fatalf("login with generated password; got %+v, %v; want must_change_password", sess, err)
	}
	if _, err := s.ChangePassword(AdminUsername, pw, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pwFile); !os.IsNotExist(err) {
		t.Fatalf("initial password file after the change; got %v; want it deleted", err)
	}

	dir2 := t.TempDir()
	db2, _ := meta.Open(filepath.Join(dir2, "logsieve.db"))
	defer db2.Close()
	if created, err := EnsureAdmin(db2, dir2, "from the environment", nil); err != nil || !created {
		t.Fatalf("env password; got %v, %v", created, err)
	}
	if u, _ := db2.User(AdminUsername); u.MustChangePassword {
		t.Fatal("admin from LOGSIEVE_ADMIN_PASSWORD must change the password")
	}
	if _, err := os.Stat(filepath.Join(dir2, InitialPasswordFile)); !os.IsNotExist(err) {
		t.Fatal("initial password file written for an env password")
	}
}
