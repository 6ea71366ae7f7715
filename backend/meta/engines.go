package meta

import (
	"fmt"
	"time"
)

func init() { register(&EngineRecord{}) }

// EngineRecord is a persisted engine definition.
type EngineRecord struct {
	Name          string `gorm:"primaryKey"`
	Class         string `gorm:"index"`
	Protocol      string
	Bind          string
	Port          int
	Timezone      string
	KeepOriginal  bool
	RetentionDays int
	Enabled       bool
	AcceptUnknown bool
	// Stream limits (tcp); rows from before they existed get the defaults.
	MaxMessageBytes int `gorm:"not null;default:65536"`
	MaxConnections  int `gorm:"not null;default:1024"`
	// SyslogHeader is the header mode; engines from before it existed keep
	// "none" (their rows have no header columns).
	SyslogHeader string `gorm:"not null;default:none"`
	CreatedAt    time.Time
	UpdatedAt    time.Time

	// TLSClientCA (tls): PEM file of the CAs client certificates must chain
	// to; "" asks for none.
	TLSClientCA string
}

// Engines returns every engine, ordered by name.
func (db *DB) Engines() ([]EngineRecord, error) {
	var out []EngineRecord
	if err := db.Gorm.Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list engines: %w", err)
	}
	return out, nil
}

// SaveEngine inserts or replaces an engine definition.
func (db *DB) SaveEngine(e EngineRecord) error {
	if err := db.Gorm.Save(&e).Error; err != nil {
		return fmt.Errorf("cannot save engine %q: %w", e.Name, err)
	}
	return nil
}

// DeleteEngine removes an engine definition; ErrNotFound when it does not exist.
func (db *DB) DeleteEngine(name string) error {
	res := db.Gorm.Delete(&EngineRecord{}, "name = ?", name)
	if res.Error != nil {
		return fmt.Errorf("cannot delete engine %q: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("engine %q: %w", name, ErrNotFound)
	}
	return nil
}
