package meta

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Replicator receives every change of the replicated metadata (engines,
// classes, clients, users, settings) inside the local transaction, before
// it commits: an error rolls the local change back. In cluster mode it is
// the JetStream key-value bucket every node shares (cluster.MetaSync); a
// single box has none. Value is the record's JSON (Records shows the form).
type Replicator interface {
	Put(key string, value []byte) error
	Delete(key string) error
}

// SetReplicator makes every later change of the replicated metadata go
// through r first. Call it before the database is shared.
func (db *DB) SetReplicator(r Replicator) { db.rep = r }

// Kinds of replicated records: the key of a record is "<kind>.<name>"
// (settings: the key "settings" alone holds every setting).
const (
	KindEngine   = "engine"
	KindClass    = "class"
	KindClients  = "clients" // name: the engine; value: its client list in match order
	KindUser     = "user"
	KindToken    = "token" // name: the id (jti) of a token revoked by logout
	KindSettings = "settings"
)

// Change names one replicated record that changed.
type Change struct {
	Kind string
	Name string // "" for settings
}

// UnavailableError is a change refused because the replica (NATS) cannot
// be reached: nothing was saved, on this node or elsewhere.
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string {
	return "cannot save the change: the cluster's metadata in NATS cannot be reached: " + e.Reason
}

// ConflictError is a change refused because another node changed the same
// record since this node last read it (optimistic concurrency).
type ConflictError struct{ Key string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("cannot save the change: %s was changed on another node meanwhile; reload and try again", e.Key)
}

// plainName is a record name used in a key as is; others are written
// "=<base64url>" (a key holds letters, digits, '-', '_', '=', '.', '/').
var plainName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Key returns the replica key of a record.
func Key(kind, name string) string {
	if kind == KindSettings {
		return KindSettings
	}
	if !plainName.MatchString(name) {
		name = "=" + base64.RawURLEncoding.EncodeToString([]byte(name))
	}
	return kind + "." + name
}

// ParseKey splits a replica key into kind and name.
func ParseKey(key string) (Change, error) {
	if key == KindSettings {
		return Change{Kind: KindSettings}, nil
	}
	kind, name, ok := strings.Cut(key, ".")
	switch kind {
	case KindEngine, KindClass, KindClients, KindUser, KindToken:
	default:
		ok = false
	}
	if enc, isEnc := strings.CutPrefix(name, "="); ok && isEnc {
		b, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil {
			ok = false
		}
		name = string(b)
	}
	if !ok || name == "" {
		return Change{}, fmt.Errorf("unknown metadata key %q", key)
	}
	return Change{Kind: kind, Name: name}, nil
}

// replicate runs write in a transaction and hands the record it returns to
// the replicator before committing (nil: the record was deleted).
func (db *DB) replicate(key string, write func(tx *gorm.DB) (any, error)) error {
	return db.Gorm.Transaction(func(tx *gorm.DB) error {
		v, err := write(tx)
		if err != nil || db.rep == nil {
			return err
		}
		if v == nil {
			return db.rep.Delete(key)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("cannot encode %s: %w", key, err)
		}
		return db.rep.Put(key, b)
	})
}

// IsReplicaError reports whether err is an *UnavailableError or a
// *ConflictError (returned as is, not wrapped by the caller's context).
func IsReplicaError(err error) bool {
	var ue *UnavailableError
	var ce *ConflictError
	return errors.As(err, &ue) || errors.As(err, &ce)
}

// settingsRecords returns every stored setting as key -> JSON value.
func settingsRecords(tx *gorm.DB) (map[string]json.RawMessage, error) {
	var recs []SettingRecord
	if err := tx.Find(&recs).Error; err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(recs))
	for _, r := range recs {
		out[r.Key] = json.RawMessage(r.Value)
	}
	return out, nil
}

// Records returns every replicated record as key -> JSON value: what a
// node seeds an empty cluster with.
func (db *DB) Records() (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(key string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("cannot encode %s: %w", key, err)
		}
		out[key] = b
		return nil
	}
	es, err := db.Engines()
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		if err := add(Key(KindEngine, e.Name), e); err != nil {
			return nil, err
		}
		cs, err := db.Clients(e.Name)
		if err != nil {
			return nil, err
		}
		if len(cs) > 0 {
			if err := add(Key(KindClients, e.Name), cs); err != nil {
				return nil, err
			}
		}
	}
	cls, err := db.Classes()
	if err != nil {
		return nil, err
	}
	for _, c := range cls {
		if err := add(Key(KindClass, c.Name), c); err != nil {
			return nil, err
		}
	}
	us, err := db.Users()
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if err := add(Key(KindUser, u.Username), u); err != nil {
			return nil, err
		}
	}
	var toks []RevokedToken
	if err := db.Gorm.Find(&toks).Error; err != nil {
		return nil, fmt.Errorf("cannot read revoked tokens: %w", err)
	}
	for _, r := range toks {
		if err := add(Key(KindToken, r.JTI), r); err != nil {
			return nil, err
		}
	}
	st, err := settingsRecords(db.Gorm)
	if err != nil {
		return nil, fmt.Errorf("cannot read settings: %w", err)
	}
	if len(st) > 0 {
		if err := add(KindSettings, st); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ApplyRemote writes a record changed on another node into the local
// database, without replicating it again; value nil deletes it. It
// returns what changed, for the factory and the API to apply.
func (db *DB) ApplyRemote(key string, value []byte) (Change, error) {
	ch, err := ParseKey(key)
	if err != nil {
		return Change{}, err
	}
	err = db.Gorm.Transaction(func(tx *gorm.DB) error { return applyRecord(tx, ch, value) })
	if err != nil {
		return ch, fmt.Errorf("cannot apply %s from the cluster: %w", key, err)
	}
	return ch, nil
}

func applyRecord(tx *gorm.DB, ch Change, value []byte) error {
	switch ch.Kind {
	case KindEngine:
		if value == nil {
			return tx.Delete(&EngineRecord{}, "name = ?", ch.Name).Error
		}
		var r EngineRecord
		if err := json.Unmarshal(value, &r); err != nil {
			return err
		}
		r.Name = ch.Name
		return upsert(tx, &r)
	case KindClass:
		if value == nil {
			return tx.Delete(&ClassRecord{}, "name = ?", ch.Name).Error
		}
		var r ClassRecord
		if err := json.Unmarshal(value, &r); err != nil {
			return err
		}
		r.Name = ch.Name
		return upsert(tx, &r)
	case KindClients:
		if err := tx.Where("engine = ?", ch.Name).Delete(&ClientRecord{}).Error; err != nil || value == nil {
			return err
		}
		var cs []ClientRecord
		if err := json.Unmarshal(value, &cs); err != nil {
			return err
		}
		for i := range cs {
			cs[i].Engine, cs[i].Position = ch.Name, i
			if err := tx.Create(&cs[i]).Error; err != nil {
				return err
			}
		}
		return nil
	case KindUser:
		if value == nil {
			return tx.Delete(&User{}, "username = ?", ch.Name).Error
		}
		var u User
		if err := json.Unmarshal(value, &u); err != nil {
			return err
		}
		u.Username = ch.Name
		return upsert(tx, &u)
	case KindToken:
		if value == nil {
			return tx.Delete(&RevokedToken{}, "jti = ?", ch.Name).Error
		}
		var r RevokedToken
		if err := json.Unmarshal(value, &r); err != nil {
			return err
		}
		r.JTI = ch.Name
		return upsert(tx, &r)
	case KindSettings:
		if value == nil {
			return nil // settings are never deleted
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(value, &m); err != nil {
			return err
		}
		if err := tx.Where("1 = 1").Delete(&SettingRecord{}).Error; err != nil {
			return err
		}
		for k, v := range m {
			if err := tx.Create(&SettingRecord{Key: k, Value: string(v)}).Error; err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown kind %q", ch.Kind)
}

// upsert writes a record as the other node saved it, its times included.
func upsert(tx *gorm.DB, rec any) error {
	return tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(rec).Error
}

// Sync makes the local replicated metadata equal to records (the
// cluster's, as Records returns them): records missing here are written,
// local ones missing there are deleted. It returns the local keys deleted.
func (db *DB) Sync(records map[string][]byte) (dropped []string, err error) {
	local, err := db.Records()
	if err != nil {
		return nil, err
	}
	// Classes before engines (an engine needs its class), engines before
	// their clients; deletes in the opposite order.
	order := func(key string) int {
		switch {
		case strings.HasPrefix(key, KindClass+"."):
			return 0
		case strings.HasPrefix(key, KindEngine+"."):
			return 1
		}
		return 2
	}
	for pass := 0; pass < 3; pass++ {
		for k, v := range records {
			if _, err := ParseKey(k); err != nil || order(k) != pass {
				continue // a key of another version
			}
			if string(local[k]) == string(v) {
				continue
			}
			if _, err := db.ApplyRemote(k, v); err != nil {
				return dropped, err
			}
		}
	}
	for pass := 2; pass >= 0; pass-- {
		for k := range local {
			if _, ok := records[k]; ok || order(k) != pass {
				continue
			}
			if _, err := db.ApplyRemote(k, nil); err != nil {
				return dropped, err
			}
			dropped = append(dropped, k)
		}
	}
	return dropped, nil
}
