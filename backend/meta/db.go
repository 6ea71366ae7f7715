// Package meta keeps logsieve's metadata (users, classes, engines, settings, audit) in
// <data>/logsieve.db through gorm.
package meta

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DB is the metadata database.
type DB struct {
	Gorm *gorm.DB
	rep  Replicator // SetReplicator; nil on a single box
}

var (
	modelsMu sync.Mutex
	models   []any
)

// register adds gorm models to the set Open migrates. Each model file calls it from init.
func register(m ...any) {
	modelsMu.Lock()
	defer modelsMu.Unlock()
	models = append(models, m...)
}

// Open opens (creating when missing) the metadata database at path and brings its
// schema to SchemaVersion (migrate.go). A database written by a newer release is
// refused untouched with a *SchemaTooNewError.
func Open(path string) (*DB, error) {
	dsn := "file:" + path + "?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_synchronous=NORMAL"
	g, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, fmt.Errorf("cannot open metadata database %q: %w", path, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("cannot open metadata database %q: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(1)
	modelsMu.Lock()
	ms := append([]any(nil), models...)
	modelsMu.Unlock()
	if err := migrate(g, path, ms); err != nil {
		_ = sqlDB.Close()
		if errors.Is(err, ErrSchemaTooNew) {
			return nil, err
		}
		return nil, fmt.Errorf("cannot migrate metadata database %q: %w", path, err)
	}
	return &DB{Gorm: g}, nil
}

// Close closes the database.
func (db *DB) Close() error {
	sqlDB, err := db.Gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the metadata database answers a query on one of its tables (a
// closed or unreadable database fails).
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.Gorm.WithContext(ctx).Raw("SELECT count(*) FROM setting_records").Scan(&n).Error; err != nil {
		return fmt.Errorf("metadata database does not answer: %w", err)
	}
	return nil
}
