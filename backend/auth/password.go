package auth

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// ValidatePassword checks a new password: at least MinPasswordLen characters, not only
// white space, at most 72 bytes (bcrypt's limit). field names the request field in the
// returned *Error.
func ValidatePassword(field, pw string) error {
	if pw != "" && strings.TrimSpace(pw) == "" {
		return &Error{Status: http.StatusBadRequest, Field: field, Msg: "the password must not be only white space"}
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return &Error{Status: http.StatusBadRequest, Field: field, Msg: fmt.Sprintf("the password must have at least %d characters", MinPasswordLen)}
	}
	if len(pw) > 72 {
		return &Error{Status: http.StatusBadRequest, Field: field, Msg: "the password must have at most 72 bytes"}
	}
	return nil
}

// HashPassword returns the bcrypt hash of pw at cost.
func HashPassword(pw string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", fmt.Errorf("cannot hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches the bcrypt hash.
func CheckPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// RandomPassword returns a random password of n characters from an unambiguous alphabet.
func RandomPassword(n int) string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		var r [1]byte
		for {
			_, _ = rand.Read(r[:])
			if int(r[0]) < 256-256%len(alphabet) {
				break
			}
		}
		b[i] = alphabet[int(r[0])%len(alphabet)]
	}
	return string(b)
}
