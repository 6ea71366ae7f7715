package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

func init() { register(&ClassRecord{}) }

// ClassRecord is a persisted class: its patterns as a JSON object whose key order is the
// class's column order.
type ClassRecord struct {
	Name      string `gorm:"primaryKey"`
	Patterns  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EncodePatterns renders patterns as a JSON object in the order of keys.
func EncodePatterns(patterns map[string]string, keys []string) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(patterns[k])
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.String()
}

// DecodePatterns parses a JSON object of patterns, returning the map and the key order.
func DecodePatterns(s string) (map[string]string, []string, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("patterns are not a JSON object")
	}
	m := map[string]string{}
	var keys []string
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read patterns: %w", err)
		}
		k, _ := kt.(string)
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("pattern of key %q is not a string: %w", k, err)
		}
		if _, dup := m[k]; !dup {
			keys = append(keys, k)
		}
		m[k] = v
	}
	return m, keys, nil
}

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// Classes returns every class, ordered by name.
func (db *DB) Classes() ([]ClassRecord, error) {
	var out []ClassRecord
	if err := db.Gorm.Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list classes: %w", err)
	}
	return out, nil
}

// SaveClass inserts or replaces a class.
func (db *DB) SaveClass(c ClassRecord) error {
	err := db.replicate(Key(KindClass, c.Name), func(tx *gorm.DB) (any, error) {
		return c, tx.Save(&c).Error
	})
	if err != nil && !IsReplicaError(err) {
		return fmt.Errorf("cannot save class %q: %w", c.Name, err)
	}
	return err
}

// Class returns one class; ErrNotFound when it does not exist.
func (db *DB) Class(name string) (ClassRecord, error) {
	var c ClassRecord
	err := db.Gorm.Where("name = ?", name).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ClassRecord{}, fmt.Errorf("class %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return ClassRecord{}, fmt.Errorf("cannot read class %q: %w", name, err)
	}
	return c, nil
}

// DeleteClass removes a class; ErrNotFound when it does not exist.
func (db *DB) DeleteClass(name string) error {
	return db.replicate(Key(KindClass, name), func(tx *gorm.DB) (any, error) {
		res := tx.Delete(&ClassRecord{}, "name = ?", name)
		if res.Error != nil {
			return nil, fmt.Errorf("cannot delete class %q: %w", name, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil, fmt.Errorf("class %q: %w", name, ErrNotFound)
		}
		return nil, nil
	})
}

// IsNotFound reports whether err is a not-found error from this package or gorm.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, gorm.ErrRecordNotFound)
}
