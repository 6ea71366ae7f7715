// Package auth authenticates the users of the web UI and API: bcrypt passwords, HS256 JWTs
// (revocable by id and by a per-user epoch), login throttling, client addresses behind
// trusted proxies, and the Fiber middleware that enforces roles.
package auth

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/logsieve/logsieve/backend/meta"
)

// CookieName is the HttpOnly cookie that carries the token for the browser.
const CookieName = "logsieve_token"

// MinPasswordLen is the shortest accepted password.
const MinPasswordLen = 10

// Error is an authentication or authorisation failure with the HTTP status it maps to.
// Field names the request field at fault, when there is one; RetryAfter is set with 429.
type Error struct {
	Status     int
	Field      string
	Msg        string
	RetryAfter time.Duration
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

func errUnauthorized(msg string) *Error { return &Error{Status: http.StatusUnauthorized, Msg: msg} }
func errForbidden(msg string) *Error    { return &Error{Status: http.StatusForbidden, Msg: msg} }

// Config configures a Service.
type Config struct {
	Meta    *meta.DB
	DataDir string        // holds jwt.secret and initial-admin-password
	TTL     time.Duration // token lifetime; 12h when zero
	// TrustedProxies are the peers whose X-Forwarded-For is believed; loopback when nil,
	// nobody when empty but not nil.
	TrustedProxies []netip.Prefix
	Now            func() time.Time // clock; time.Now when nil
	BcryptCost     int              // bcrypt.DefaultCost when zero
	Log            *slog.Logger
	// Secret, when set, signs the tokens instead of <DataDir>/jwt.secret: a
	// cluster's nodes share one (cluster.Node.TokenSecret), so a token issued
	// by one node is good on every node.
	Secret []byte
}

// Service issues and verifies tokens, checks passwords and manages users.
type Service struct {
	db       *meta.DB
	dataDir  string
	secret   []byte
	now      func() time.Time
	cost     int
	log      *slog.Logger
	ttl      atomic.Int64
	proxies  atomic.Pointer[[]netip.Prefix]
	throttle *Throttle // per (user, address), per address, per user's current password
	// userThrottle counts login failures per user across addresses; known exempts the
	// addresses a user logged in from.
	userThrottle *Throttle
	known        *knownAddresses
	dummy        []byte // hash compared against for unknown users (same cost as a real check)
	revokers     revokers
}

// New loads (creating on first start) the token secret in cfg.DataDir and returns a Service.
func New(cfg Config) (*Service, error) {
	var err error
	secret := cfg.Secret
	if len(secret) == 0 {
		if secret, err = LoadOrCreateSecret(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	s := &Service{db: cfg.Meta, dataDir: cfg.DataDir, secret: secret, now: cfg.Now, cost: cfg.BcryptCost, log: cfg.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cost == 0 {
		s.cost = bcrypt.DefaultCost
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.SetTTL(cfg.TTL)
	proxies := cfg.TrustedProxies
	if proxies == nil {
		proxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	s.SetTrustedProxies(proxies)
	s.throttle = NewThrottle(FailLimit, FailWindow, s.now)
	s.userThrottle = NewThrottle(UserFailLimit, UserFailWindow, s.now)
	s.known = newKnownAddresses(s.now)
	s.dummy, err = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), s.cost)
	if err != nil {
		return nil, fmt.Errorf("cannot prepare password checks: %w", err)
	}
	return s, nil
}

// SetTTL changes the lifetime of tokens issued from now on (12h when d <= 0).
func (s *Service) SetTTL(d time.Duration) {
	if d <= 0 {
		d = 12 * time.Hour
	}
	s.ttl.Store(int64(d))
}

// SetTrustedProxies replaces the proxies whose X-Forwarded-For is believed; an empty list
// trusts nobody (the settings' default list holds loopback).
func (s *Service) SetTrustedProxies(p []netip.Prefix) {
	p = append([]netip.Prefix(nil), p...)
	s.proxies.Store(&p)
}

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }
