package auth

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/logsieve/logsieve/backend/meta"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	Username           string  `json:"username"`
	Role               string  `json:"role"`
	MustChangePassword bool    `json:"must_change_password"`
	Claims             *Claims `json:"-"`
}

// Session is the result of a login or password change: a fresh token and its user.
type Session struct {
	Token     string
	ExpiresAt time.Time
	User      Principal
}

// Login checks username and password from client ip. FailLimit failures within FailWindow
// for one (username, ip) pair or one ip, or UserFailLimit failures within UserFailWindow
// for username from any addresses while ip never logged in as username, block further
// attempts with a 429 *Error carrying RetryAfter.
func (s *Service) Login(username, password, ip string) (*Session, error) {
	pairKey, ipKey, userKey := "u\x00"+username+"\x00"+ip, "ip\x00"+ip, "user\x00"+username
	d, blocked := s.throttle.Blocked(pairKey, ipKey)
	if !s.known.has(username, ip) {
		if du, b := s.userThrottle.Blocked(userKey); b {
			d, blocked = max(d, du), true
		}
	}
	if blocked {
		return nil, errThrottled(d)
	}
	fail := func() {
		s.throttle.Fail(pairKey, ipKey)
		s.userThrottle.Fail(userKey)
	}
	u, err := s.db.User(username)
	if err != nil && !meta.IsNotFound(err) {
		return nil, err
	}
	if err != nil {
		CheckPassword(string(s.dummy), password) // same cost as a real check
		fail()
		return nil, errUnauthorized("wrong username or password")
	}
	if !CheckPassword(u.PasswordHash, password) {
		fail()
		return nil, errUnauthorized("wrong username or password")
	}
	s.throttle.Reset(pairKey)
	s.known.remember(username, ip)
	return s.session(u)
}

func (s *Service) session(u meta.User) (*Session, error) {
	tok, c, err := s.issue(u.Username, u.Role, u.TokenEpoch)
	if err != nil {
		return nil, err
	}
	return &Session{Token: tok, ExpiresAt: c.ExpiresAt.Time, User: principal(u, c)}, nil
}

func principal(u meta.User, c *Claims) Principal {
	return Principal{Username: u.Username, Role: u.Role, MustChangePassword: u.MustChangePassword, Claims: c}
}

// Authenticate verifies a token: signature (HS256), expiry, not revoked, the user exists and
// its token epoch is unchanged since the token was issued.
func (s *Service) Authenticate(token string) (*Principal, error) {
	if token == "" {
		return nil, errUnauthorized("authentication required")
	}
	c, err := s.parse(token)
	if err != nil {
		return nil, err
	}
	revoked, err := s.db.TokenRevoked(c.ID)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, errUnauthorized("the session was logged out")
	}
	u, err := s.db.User(c.Subject)
	if meta.IsNotFound(err) {
		return nil, errUnauthorized("the user of this token no longer exists")
	}
	if err != nil {
		return nil, err
	}
	if u.TokenEpoch != c.Epoch {
		return nil, errUnauthorized("the session ended after a password or role change; log in again")
	}
	p := principal(u, c)
	return &p, nil
}

// Logout revokes the token of p until it expires and tells the OnRevoke listeners.
func (s *Service) Logout(p *Principal) error {
	if p == nil || p.Claims == nil {
		return nil
	}
	_ = s.db.PurgeRevokedTokens(s.now())
	if err := s.db.RevokeToken(p.Claims.ID, p.Claims.ExpiresAt.Time); err != nil {
		return err
	}
	s.revoked(Revocation{Username: p.Username, TokenID: p.Claims.ID})
	return nil
}

// ChangePassword replaces the password of username after checking current. It clears
// must_change_password, ends every older token of the user (telling the OnRevoke
// listeners) and returns a fresh session.
// The initial-admin-password file is deleted after the change. FailLimit wrong current
// passwords within FailWindow block further attempts of username (429 with RetryAfter),
// so a stolen session cannot guess the password it would need to take the account over.
func (s *Service) ChangePassword(username, current, next string) (*Session, error) {
	curKey := "current\x00" + username
	if d, blocked := s.throttle.Blocked(curKey); blocked {
		return nil, &Error{Status: http.StatusTooManyRequests, Field: "current", Msg: "too many wrong current passwords; try again later", RetryAfter: d}
	}
	if err := ValidatePassword("new", next); err != nil {
		return nil, err
	}
	if current == next {
		return nil, &Error{Status: http.StatusBadRequest, Field: "new", Msg: "the new password must differ from the current one"}
	}
	hash, err := HashPassword(next, s.cost)
	if err != nil {
		return nil, err
	}
	u, err := s.db.UpdateUser(username, func(u *meta.User) error {
		if !CheckPassword(u.PasswordHash, current) {
			return &meta.FieldError{Field: "current"}
		}
		u.PasswordHash = hash
		u.MustChangePassword = false
		u.TokenEpoch++
		return nil
	})
	if err != nil {
		var fe *meta.FieldError
		if errors.As(err, &fe) {
			if fe.Field == "current" {
				s.throttle.Fail(curKey)
			}
			return nil, &Error{Status: http.StatusBadRequest, Field: fe.Field, Msg: fe.Reason}
		}
		return nil, err
	}
	s.throttle.Reset(curKey)
	s.revoked(Revocation{Username: username})
	if username == AdminUsername {
		if err := os.Remove(filepath.Join(s.dataDir, InitialPasswordFile)); err != nil && !os.IsNotExist(err) {
			s.log.Warn("cannot delete the initial admin password file", "err", err)
		}
	}
	sess, err := s.session(u)
	if err != nil {
		return nil, fmt.Errorf("password of %q changed but %w", username, err)
	}
	return sess, nil
}
