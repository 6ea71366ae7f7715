package meta

import (
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// Schema versions of the metadata DB, kept in SQLite's PRAGMA user_version.
//
// Version 0 is a DB written before versioning (the first release): gorm's
// AutoMigrate alone shaped it. Every Open runs AutoMigrate first (it only adds
// tables and columns, never drops or rewrites), then each step of migrations
// whose version is above the DB's, in order, each in one transaction that also
// sets user_version. A step is for what AutoMigrate cannot do: fill a new
// column from old data, rename, drop, re-key. A DB whose version is above
// SchemaVersion was written by a newer release: Open refuses it untouched
// (ErrSchemaTooNew), since this binary could misread it.
//
// To change the schema: change the model (AutoMigrate adds the column) and, when
// the old rows need work, append a step with the next version; never edit a
// released step.
var migrations = []migration{
	{1, "the first release's engines keep syslog_header none and the stream defaults", migrateV1},
}

// SchemaVersion is the metadata schema this binary writes.
var SchemaVersion = migrations[len(migrations)-1].version

type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
}

// ErrSchemaTooNew is returned by Open for a metadata DB written by a newer release.
var ErrSchemaTooNew = errors.New("metadata database is newer than this logsieve")

// SchemaTooNewError says which versions disagree (errors.Is ErrSchemaTooNew).
type SchemaTooNewError struct {
	Path          string
	Version, Want int
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("metadata database %q has schema version %d, but this logsieve knows versions up to %d: "+
		"a newer release wrote it; run that release (or newer), or restore the data dir's backup from before the upgrade",
		e.Path, e.Version, e.Want)
}

func (e *SchemaTooNewError) Is(target error) bool { return target == ErrSchemaTooNew }

// userVersion reads PRAGMA user_version.
func userVersion(g *gorm.DB) (int, error) {
	var v int
	if err := g.Raw("PRAGMA user_version").Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("cannot read the schema version: %w", err)
	}
	return v, nil
}

// migrate brings the DB at path to SchemaVersion (see migrations).
func migrate(g *gorm.DB, path string, models []any) error {
	v, err := userVersion(g)
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return &SchemaTooNewError{Path: path, Version: v, Want: SchemaVersion}
	}
	if err := g.AutoMigrate(models...); err != nil {
		return err
	}
	for _, m := range migrations {
		if m.version <= v {
			continue
		}
		err := g.Transaction(func(tx *gorm.DB) error {
			if err := m.up(tx); err != nil {
				return err
			}
			// PRAGMA takes no bound parameters; the version is an int of ours.
			return tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", m.version)).Error
		})
		if err != nil {
			return fmt.Errorf("schema step %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// migrateV1: rows of the first release lack the columns added since (protocol,
// stream limits, syslog_header); AutoMigrate gave them their column defaults
// where it could, and this makes sure of every one: an engine of the first
// release is a UDP engine with the default stream limits and no header parsing
// (SPEC §9: engines that exist at upgrade keep none).
func migrateV1(tx *gorm.DB) error {
	for _, q := range []string{
		`UPDATE engine_records SET protocol = 'udp' WHERE protocol IS NULL OR protocol = ''`,
		`UPDATE engine_records SET syslog_header = 'none' WHERE syslog_header IS NULL OR syslog_header = ''`,
		`UPDATE engine_records SET max_message_bytes = 65536 WHERE max_message_bytes IS NULL OR max_message_bytes <= 0`,
		`UPDATE engine_records SET max_connections = 1024 WHERE max_connections IS NULL OR max_connections <= 0`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}
