package meta

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
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

	// SpoolID names this definition of the engine: its spools (overflow,
	// unacked) carry it, and a later engine of the same name does not replay
	// them (spool.Claim). Set at creation, kept by every update, replicated
	// with the record, so the same on every cluster node. "" : an engine
	// from before it existed (spool.LegacyOwner; AutoMigrate adds the
	// column empty).
	SpoolID string `gorm:"not null;default:''"`

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
	err := db.replicate(Key(KindEngine, e.Name), func(tx *gorm.DB) (any, error) {
		return e, tx.Save(&e).Error
	})
	if err != nil && !IsReplicaError(err) {
		return fmt.Errorf("cannot save engine %q: %w", e.Name, err)
	}
	return err
}

// Engine returns one engine definition; ErrNotFound when it does not exist.
func (db *DB) Engine(name string) (EngineRecord, error) {
	var e EngineRecord
	err := db.Gorm.Where("name = ?", name).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return EngineRecord{}, fmt.Errorf("engine %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return EngineRecord{}, fmt.Errorf("cannot read engine %q: %w", name, err)
	}
	return e, nil
}

// DeleteEngine removes an engine definition; ErrNotFound when it does not exist.
func (db *DB) DeleteEngine(name string) error {
	err := db.replicate(Key(KindEngine, name), func(tx *gorm.DB) (any, error) {
		res := tx.Delete(&EngineRecord{}, "name = ?", name)
		if res.Error != nil {
			return nil, fmt.Errorf("cannot delete engine %q: %w", name, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil, fmt.Errorf("engine %q: %w", name, ErrNotFound)
		}
		return nil, nil
	})
	return err
}
