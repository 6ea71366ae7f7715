package auth

import (
	"net/http"
	"regexp"

	"github.com/logsieve/logsieve/backend/meta"
)

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)

// UserInfo is a user as the API shows it.
type UserInfo struct {
	Username           string `json:"username"`
	Role               string `json:"role"`
	MustChangePassword bool   `json:"must_change_password"`
	CreatedAt          int64  `json:"created_at"` // unix ms
}

// ValidUsername reports whether name is an acceptable username: 1-64 letters, digits or
// _ . @ -, starting with a letter or digit.
func ValidUsername(name string) bool { return usernameRE.MatchString(name) }

func info(u meta.User) UserInfo {
	return UserInfo{Username: u.Username, Role: u.Role, MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt.UnixMilli()}
}

func validateRole(role string) error {
	if role != meta.RoleAdmin && role != meta.RoleViewer {
		return &Error{Status: http.StatusBadRequest, Field: "role", Msg: `the role must be "admin" or "viewer"`}
	}
	return nil
}

// Users lists every user.
func (s *Service) Users() ([]UserInfo, error) {
	us, err := s.db.Users()
	if err != nil {
		return nil, err
	}
	out := make([]UserInfo, 0, len(us))
	for _, u := range us {
		out = append(out, info(u))
	}
	return out, nil
}

// CreateUser adds a user; mustChange defaults to true. A taken name returns meta.ErrExists.
func (s *Service) CreateUser(username, password, role string, mustChange *bool) (UserInfo, error) {
	if !usernameRE.MatchString(username) {
		return UserInfo{}, &Error{Status: http.StatusBadRequest, Field: "username", Msg: "the username must be 1-64 letters, digits or _ . @ - (starting with a letter or digit)"}
	}
	if err := validateRole(role); err != nil {
		return UserInfo{}, err
	}
	if err := ValidatePassword("password", password); err != nil {
		return UserInfo{}, err
	}
	hash, err := HashPassword(password, s.cost)
	if err != nil {
		return UserInfo{}, err
	}
	u := meta.User{Username: username, PasswordHash: hash, Role: role, MustChangePassword: mustChange == nil || *mustChange}
	if err := s.db.CreateUser(u); err != nil {
		return UserInfo{}, err
	}
	u, err = s.db.User(username)
	return info(u), err
}

// UpdateUser changes the role and/or the password of username. Either change ends the
// user's older tokens (the OnRevoke listeners are told); a password set by someone else (by) must be changed at next login.
// Demoting the last admin returns meta.ErrLastAdmin.
func (s *Service) UpdateUser(by, username string, role, password *string) (UserInfo, error) {
	if role != nil {
		if err := validateRole(*role); err != nil {
			return UserInfo{}, err
		}
	}
	var hash string
	if password != nil {
		if err := ValidatePassword("password", *password); err != nil {
			return UserInfo{}, err
		}
		h, err := HashPassword(*password, s.cost)
		if err != nil {
			return UserInfo{}, err
		}
		hash = h
	}
	changed := false
	u, err := s.db.UpdateUser(username, func(u *meta.User) error {
		changed = false
		if role != nil && *role != u.Role {
			u.Role = *role
			changed = true
		}
		if password != nil {
			u.PasswordHash = hash
			u.MustChangePassword = by != username
			changed = true
		}
		if changed {
			u.TokenEpoch++
		}
		return nil
	})
	if err != nil {
		return UserInfo{}, err
	}
	if changed {
		s.revoked(Revocation{Username: username})
	}
	return info(u), nil
}

// DeleteUser removes username (its tokens stop working; the OnRevoke listeners are told);
// the last admin cannot be removed.
func (s *Service) DeleteUser(username string) error {
	if err := s.db.DeleteUser(username); err != nil {
		return err
	}
	s.revoked(Revocation{Username: username})
	return nil
}
