package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"

	"github.com/logsieve/logsieve/backend/meta"
)

// AdminUsername is the user created on first start.
const AdminUsername = "admin"

// InitialPasswordFile holds the generated first admin password (mode 0600) until the admin
// changes it.
const InitialPasswordFile = "initial-admin-password"

// EnsureAdmin creates the user "admin" when the database has no user (first start). Its
// password is envPassword when set (at least MinPasswordLen characters, else an error; no
// forced change), else a random one that is logged once, written to
// <dataDir>/initial-admin-password (0600) and must be changed at first login.
func EnsureAdmin(db *meta.DB, dataDir, envPassword string, log *slog.Logger) (created bool, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if envPassword != "" {
		if err := ValidatePassword("LOGSIEVE_ADMIN_PASSWORD", envPassword); err != nil {
			return false, fmt.Errorf("LOGSIEVE_ADMIN_PASSWORD: %w", err)
		}
	}
	n, err := db.CountUsers()
	if err != nil || n > 0 {
		return false, err
	}
	pw, mustChange := envPassword, false
	if pw == "" {
		pw, mustChange = RandomPassword(16), true
	}
	hash, err := HashPassword(pw, bcrypt.DefaultCost)
	if err != nil {
		return false, err
	}
	if mustChange {
		path := filepath.Join(dataDir, InitialPasswordFile)
		if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
			return false, fmt.Errorf("cannot write initial admin password %q: %w", path, err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			return false, fmt.Errorf("cannot protect initial admin password %q: %w", path, err)
		}
	}
	if err := db.CreateUser(meta.User{Username: AdminUsername, PasswordHash: hash, Role: meta.RoleAdmin, MustChangePassword: mustChange}); err != nil {
		var ce *meta.ConflictError
		if errors.As(err, &ce) { // cluster: another node created it first; it comes with the metadata
			_ = os.Remove(filepath.Join(dataDir, InitialPasswordFile))
			log.Info("user admin was created by another cluster node meanwhile; using that one")
			return false, nil
		}
		return false, err
	}
	if mustChange {
		log.Warn("created user admin with a generated password; change it at first login",
			"username", AdminUsername, "password", pw, "file", filepath.Join(dataDir, InitialPasswordFile))
	} else {
		log.Info("created user admin with the password from LOGSIEVE_ADMIN_PASSWORD")
	}
	return true, nil
}
