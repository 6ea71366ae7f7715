package meta

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

func init() { register(&User{}) }

// Roles of a user.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// ErrExists is returned when a record with the same key already exists.
var ErrExists = errors.New("already exists")

// ErrLastAdmin is returned when a change would leave no admin user.
var ErrLastAdmin = errors.New("the last admin cannot be removed or demoted")

// User is an account of the web UI and API. TokenEpoch grows on every password or role
// change; a token carrying an older epoch is no longer accepted.
type User struct {
	Username           string `gorm:"primaryKey"`
	PasswordHash       string
	Role               string
	MustChangePassword bool
	TokenEpoch         int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Users returns every user, ordered by name.
func (db *DB) Users() ([]User, error) {
	var out []User
	if err := db.Gorm.Order("username").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list users: %w", err)
	}
	return out, nil
}

// User returns one user; ErrNotFound when it does not exist.
func (db *DB) User(username string) (User, error) {
	var u User
	err := db.Gorm.Where("username = ?", username).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, fmt.Errorf("user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("cannot read user %q: %w", username, err)
	}
	return u, nil
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers() (int64, error) {
	var n int64
	if err := db.Gorm.Model(&User{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("cannot count users: %w", err)
	}
	return n, nil
}

// CreateUser inserts a new user; ErrExists when the name is taken.
func (db *DB) CreateUser(u User) error {
	if u.TokenEpoch == 0 {
		// A new account starts at an epoch no earlier account of the same name reached
		// (epochs grow by one per change), so a token of a deleted user never works for
		// a later user created under that name.
		u.TokenEpoch = time.Now().UnixNano()
	}
	err := db.replicate(Key(KindUser, u.Username), func(tx *gorm.DB) (any, error) {
		var n int64
		if err := tx.Model(&User{}).Where("username = ?", u.Username).Count(&n).Error; err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("user %q: %w", u.Username, ErrExists)
		}
		return u, tx.Create(&u).Error
	})
	if err != nil && !errors.Is(err, ErrExists) && !IsReplicaError(err) {
		return fmt.Errorf("cannot create user %q: %w", u.Username, err)
	}
	return err
}

// UpdateUser loads the user, applies change and saves it in one transaction. It fails with
// ErrNotFound when the user does not exist and with ErrLastAdmin (saving nothing) when the
// change would leave no admin.
func (db *DB) UpdateUser(username string, change func(u *User) error) (User, error) {
	var out User
	err := db.replicate(Key(KindUser, username), func(tx *gorm.DB) (any, error) {
		var u User
		if err := tx.Where("username = ?", username).Take(&u).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil, fmt.Errorf("user %q: %w", username, ErrNotFound)
			}
			return nil, err
		}
		if err := change(&u); err != nil {
			return nil, err
		}
		u.Username = username
		if err := tx.Save(&u).Error; err != nil {
			return nil, err
		}
		if err := checkAdminLeft(tx); err != nil {
			return nil, err
		}
		out = u
		return u, nil
	})
	if err != nil {
		return User{}, wrapUserErr("update", username, err)
	}
	return out, nil
}

// DeleteUser removes a user; ErrNotFound when it does not exist, ErrLastAdmin when it is
// the last admin.
func (db *DB) DeleteUser(username string) error {
	err := db.replicate(Key(KindUser, username), func(tx *gorm.DB) (any, error) {
		res := tx.Delete(&User{}, "username = ?", username)
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected == 0 {
			return nil, fmt.Errorf("user %q: %w", username, ErrNotFound)
		}
		return nil, checkAdminLeft(tx)
	})
	return wrapUserErr("delete", username, err)
}

func checkAdminLeft(tx *gorm.DB) error {
	var n int64
	if err := tx.Model(&User{}).Where("role = ?", RoleAdmin).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}

func wrapUserErr(op, username string, err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrLastAdmin) || IsReplicaError(err) {
		return err
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("cannot %s user %q: %w", op, username, err)
}

// FieldError reports an invalid value of one named field.
type FieldError struct{ Field, Reason string }

// Error returns `invalid field: reason` (the reason alone when Field is empty).
func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason)
}
