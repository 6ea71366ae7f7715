package meta

import (
	"fmt"
	"time"
)

func init() { register(&AuditEntry{}) }

// AuditEntry records one change made through the API: who did what to which target.
type AuditEntry struct {
	ID       uint      `gorm:"primaryKey" json:"id"`
	At       time.Time `gorm:"index" json:"-"`
	Username string    `json:"username"`
	Action   string    `json:"action"`
	Target   string    `json:"target"`
	Detail   string    `json:"detail,omitempty"`
}

// Audit appends an entry stamped with at.
func (db *DB) Audit(at time.Time, username, action, target, detail string) error {
	e := AuditEntry{At: at, Username: username, Action: action, Target: target, Detail: detail}
	if err := db.Gorm.Create(&e).Error; err != nil {
		return fmt.Errorf("cannot write audit entry %q: %w", action, err)
	}
	return nil
}

// AuditEntries returns the newest entries first, at most limit.
func (db *DB) AuditEntries(limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	if err := db.Gorm.Order("id desc").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list audit entries: %w", err)
	}
	return out, nil
}
