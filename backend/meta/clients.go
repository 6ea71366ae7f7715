package meta

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

func init() { register(&ClientRecord{}) }

// ClientRecord is one known sender of an engine. Position is its place in the
// engine's match order (0 first).
type ClientRecord struct {
	Engine    string `gorm:"primaryKey"`
	Name      string `gorm:"primaryKey"`
	Match     string
	Position  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Clients returns the clients of engine in match order.
func (db *DB) Clients(engine string) ([]ClientRecord, error) {
	var out []ClientRecord
	if err := db.Gorm.Where("engine = ?", engine).Order("position").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list clients of engine %q: %w", engine, err)
	}
	return out, nil
}

// ReplaceClients makes cs (in this order) the whole client list of engine, in
// one transaction.
func (db *DB) ReplaceClients(engine string, cs []ClientRecord) error {
	err := db.replicate(Key(KindClients, engine), func(tx *gorm.DB) (any, error) {
		if err := tx.Where("engine = ?", engine).Delete(&ClientRecord{}).Error; err != nil {
			return nil, err
		}
		saved := make([]ClientRecord, 0, len(cs))
		for i := range cs {
			c := cs[i]
			c.Engine, c.Position = engine, i
			if err := tx.Create(&c).Error; err != nil {
				return nil, err
			}
			saved = append(saved, c)
		}
		if len(saved) == 0 {
			return nil, nil // no list: no key
		}
		return saved, nil
	})
	if err != nil && !IsReplicaError(err) {
		return fmt.Errorf("cannot save clients of engine %q: %w", engine, err)
	}
	return err
}

// DeleteClients removes every client of engine (when the engine is deleted).
func (db *DB) DeleteClients(engine string) error {
	err := db.replicate(Key(KindClients, engine), func(tx *gorm.DB) (any, error) {
		return nil, tx.Where("engine = ?", engine).Delete(&ClientRecord{}).Error
	})
	if err != nil && !IsReplicaError(err) {
		return fmt.Errorf("cannot delete clients of engine %q: %w", engine, err)
	}
	return err
}
