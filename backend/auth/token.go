package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// SecretFile is the name of the token secret in the data dir.
const SecretFile = "jwt.secret"

// LoadOrCreateSecret reads <dataDir>/jwt.secret, creating it (32 random bytes, mode 0600)
// when missing.
func LoadOrCreateSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, SecretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("token secret %q is shorter than 32 bytes", path)
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot read token secret %q: %w", path, err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("cannot generate token secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateSecret(dataDir) // created meanwhile by another process
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create token secret %q: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cannot write token secret %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("cannot write token secret %q: %w", path, err)
	}
	return b, nil
}

// Claims are the claims of a logsieve token: sub (username), role, jti, iat, exp, and ep,
// the user's token epoch when it was issued.
type Claims struct {
	Role  string `json:"role"`
	Epoch int64  `json:"ep"`
	jwt.RegisteredClaims
}

// issue signs a token for username at the current time.
func (s *Service) issue(username, role string, epoch int64) (string, *Claims, error) {
	now := s.now()
	idb := make([]byte, 16)
	_, _ = rand.Read(idb)
	c := &Claims{Role: role, Epoch: epoch, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   username,
		ID:        hex.EncodeToString(idb),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Duration(s.ttl.Load()))),
	}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret)
	if err != nil {
		return "", nil, fmt.Errorf("cannot sign token for %q: %w", username, err)
	}
	return tok, c, nil
}

// parse verifies signature (HS256 only), expiry and issue time of a token.
func (s *Service) parse(token string) (*Claims, error) {
	c := &Claims{}
	_, err := jwt.ParseWithClaims(token, c, func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, errUnauthorized("the session has expired; log in again")
		}
		return nil, errUnauthorized("the token is not valid")
	}
	if c.Subject == "" || c.ID == "" {
		return nil, errUnauthorized("the token is not valid")
	}
	return c, nil
}
