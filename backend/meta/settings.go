package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/logsieve/logsieve/backend/tlscert"
)

func init() { register(&SettingRecord{}) }

// SettingRecord is one stored server setting: its key and its JSON value.
type SettingRecord struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

// Settings are the server settings kept in the metadata DB (configs/logsieve.toml documents each). They are
// seeded from the config file on first start and changed with PUT /settings.
type Settings struct {
	TrustedProxies       []string `json:"trusted_proxies" toml:"trusted_proxies"`
	DefaultRetentionDays int      `json:"default_retention_days" toml:"default_retention_days"`
	MinFreePercent       int      `json:"min_free_percent" toml:"min_free_percent"`
	DiskFullPolicy       string   `json:"disk_full_policy" toml:"disk_full_policy"`
	UDPRcvBufBytes       int      `json:"udp_rcvbuf_bytes" toml:"udp_rcvbuf_bytes"`
	MetricsPublic        bool     `json:"metrics_public" toml:"metrics_public"`
	// MetricsToken, when set, is a static token a scraper may send as
	// "Authorization: Bearer <token>" on /metrics. Write-only: the API never
	// returns it (omitted when empty; the API blanks it) and nothing logs it.
	MetricsToken string `json:"metrics_token,omitempty" toml:"metrics_token"`
	TokenTTL     string `json:"token_ttl" toml:"token_ttl"`
	LogLevel     string `json:"log_level" toml:"log_level"`
	// TLSCertFile and TLSKeyFile are the PEM certificate (chain) and key of
	// every tls engine; both empty: a self-signed pair in <data>/tls.
	TLSCertFile string `json:"tls_cert_file" toml:"tls_cert_file"`
	TLSKeyFile  string `json:"tls_key_file" toml:"tls_key_file"`
	// SpoolMaxBytes bounds each udp engine's overflow spool on disk; 0 turns
	// the spool off (a full queue drops).
	SpoolMaxBytes int64 `json:"spool_max_bytes" toml:"spool_max_bytes"`
	// PublicURL is the dashboard's address as operators reach it (e.g.
	// "https://logs.example.net", behind nginx): alert messages link to the
	// logs under it. Empty: the links are relative paths.
	PublicURL string `json:"public_url" toml:"public_url"`
}

// Disk-full policies.
const (
	PolicyDeleteOldest = "delete_oldest"
	PolicyPause        = "pause"
)

// DefaultSettings returns the built-in defaults.
func DefaultSettings() Settings {
	return Settings{
		TrustedProxies:       []string{"127.0.0.1/8", "::1/128"},
		DefaultRetentionDays: 30,
		MinFreePercent:       10,
		DiskFullPolicy:       PolicyDeleteOldest,
		UDPRcvBufBytes:       32 << 20,
		MetricsPublic:        false,
		TokenTTL:             "12h",
		LogLevel:             "info",
		SpoolMaxBytes:        4 << 30,
	}
}

// Validate checks every field and returns a *FieldError naming the first bad one.
func (s Settings) Validate() error {
	for _, p := range s.TrustedProxies {
		if _, err := ParseProxy(p); err != nil {
			return &FieldError{Field: "trusted_proxies", Reason: err.Error()}
		}
	}
	switch {
	case s.DefaultRetentionDays < 0 || s.DefaultRetentionDays > 36500:
		return &FieldError{Field: "default_retention_days", Reason: "must be between 0 (keep forever) and 36500"}
	case s.MinFreePercent < 0 || s.MinFreePercent > 50:
		return &FieldError{Field: "min_free_percent", Reason: "must be between 0 and 50"}
	case s.DiskFullPolicy != PolicyDeleteOldest && s.DiskFullPolicy != PolicyPause:
		return &FieldError{Field: "disk_full_policy", Reason: `must be "delete_oldest" or "pause"`}
	case s.UDPRcvBufBytes < 0 || s.UDPRcvBufBytes > 1<<30:
		return &FieldError{Field: "udp_rcvbuf_bytes", Reason: "must be between 0 (system default) and 1073741824"}
	case s.SpoolMaxBytes < 0:
		return &FieldError{Field: "spool_max_bytes", Reason: "must be 0 (no spool) or more"}
	}
	if err := validMetricsToken(s.MetricsToken); err != nil {
		return err
	}
	if _, err := s.TTL(); err != nil {
		return &FieldError{Field: "token_ttl", Reason: err.Error()}
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &FieldError{Field: "log_level", Reason: `must be one of "debug", "info", "warn", "error"`}
	}
	if err := validPublicURL(s.PublicURL); err != nil {
		return err
	}
	return s.validateTLS()
}

// validPublicURL checks public_url: empty, or an absolute http(s) URL with a
// host and nothing after its path.
func validPublicURL(u string) error {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil ||
		p.RawQuery != "" || p.Fragment != "" || strings.ContainsAny(u, " \t\r\n") {
		return &FieldError{Field: "public_url", Reason: `must be empty or an absolute http(s) URL such as "https://logs.example.net" (no user, query or fragment)`}
	}
	return nil
}

// minMetricsToken is the shortest metrics_token accepted.
const minMetricsToken = 16

// validMetricsToken checks metrics_token: empty (none) or at least minMetricsToken
// printable ASCII characters without spaces. The reason never quotes the token.
func validMetricsToken(t string) error {
	if t == "" {
		return nil
	}
	if len(t) < minMetricsToken {
		return &FieldError{Field: "metrics_token", Reason: fmt.Sprintf("must be empty (none) or at least %d characters", minMetricsToken)}
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return &FieldError{Field: "metrics_token", Reason: "must be printable ASCII without spaces"}
		}
	}
	return nil
}

// Public returns s without its secrets (metrics_token), as the API shows settings.
func (s Settings) Public() Settings {
	s.MetricsToken = ""
	return s
}

// validateTLS checks that tls_cert_file and tls_key_file are both empty or
// name a pair that loads.
func (s Settings) validateTLS() error {
	switch {
	case s.TLSCertFile == "" && s.TLSKeyFile == "":
		return nil
	case s.TLSKeyFile == "":
		return &FieldError{Field: "tls_key_file", Reason: "must be set with tls_cert_file (or both left empty for the self-signed pair)"}
	case s.TLSCertFile == "":
		return &FieldError{Field: "tls_cert_file", Reason: "must be set with tls_key_file (or both left empty for the self-signed pair)"}
	}
	if err := tlscert.CheckPair(s.TLSCertFile, s.TLSKeyFile); err != nil {
		return &FieldError{Field: "tls_cert_file", Reason: err.Error()}
	}
	return nil
}

// TTL parses TokenTTL (a Go duration between 5m and 720h).
func (s Settings) TTL() (time.Duration, error) {
	d, err := time.ParseDuration(s.TokenTTL)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like \"12h\"", s.TokenTTL)
	}
	if d < 5*time.Minute || d > 720*time.Hour {
		return 0, fmt.Errorf("%q must be between 5m and 720h", s.TokenTTL)
	}
	return d, nil
}

// Proxies parses TrustedProxies (invalid entries are skipped; Validate reports them).
func (s Settings) Proxies() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s.TrustedProxies {
		if pf, err := ParseProxy(p); err == nil {
			out = append(out, pf)
		}
	}
	return out
}

// ParseProxy parses an IP or a CIDR into a prefix.
func ParseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP or a CIDR", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP or a CIDR", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// settingFields maps each JSON key of Settings to its field index.
func settingFields() map[string]int {
	t := reflect.TypeFor[Settings]()
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		m[strings.Split(t.Field(i).Tag.Get("json"), ",")[0]] = i
	}
	return m
}

// Settings returns the stored settings, defaults filling keys never stored.
func (db *DB) Settings() (Settings, error) { return readSettings(db.Gorm) }

func readSettings(tx *gorm.DB) (Settings, error) {
	var recs []SettingRecord
	if err := tx.Find(&recs).Error; err != nil {
		return Settings{}, fmt.Errorf("cannot read settings: %w", err)
	}
	s := DefaultSettings()
	fields := settingFields()
	v := reflect.ValueOf(&s).Elem()
	for _, r := range recs {
		i, ok := fields[r.Key]
		if !ok {
			continue // a key of an older or newer version
		}
		f := v.Field(i)
		nv := reflect.New(f.Type())
		if err := json.Unmarshal([]byte(r.Value), nv.Interface()); err != nil {
			return Settings{}, fmt.Errorf("cannot read setting %q: %w", r.Key, err)
		}
		f.Set(nv.Elem())
	}
	return s, nil
}

// SaveSettings validates s and stores every key.
func (db *DB) SaveSettings(s Settings) error {
	return db.saveSettings(s, false)
}

// SeedSettings validates s and stores the keys that were never stored (first start).
func (db *DB) SeedSettings(s Settings) error {
	return db.saveSettings(s, true)
}

func (db *DB) saveSettings(s Settings, onlyMissing bool) error {
	if err := s.Validate(); err != nil {
		return err
	}
	err := db.replicate(KindSettings, func(tx *gorm.DB) (any, error) {
		return writeSettings(tx, s, onlyMissing)
	})
	if IsReplicaError(err) {
		return err
	}
	if err != nil {
		return fmt.Errorf("cannot save settings: %w", err)
	}
	return nil
}

// writeSettings stores every key of s (onlyMissing: those never stored) and
// returns every stored setting, for the replica.
func writeSettings(tx *gorm.DB, s Settings, onlyMissing bool) (any, error) {
	v := reflect.ValueOf(s)
	var recs []SettingRecord
	for key, i := range settingFields() {
		b, err := json.Marshal(v.Field(i).Interface())
		if err != nil {
			return nil, fmt.Errorf("cannot encode setting %q: %w", key, err)
		}
		recs = append(recs, SettingRecord{Key: key, Value: string(b)})
	}
	onConflict := clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value"})}
	if onlyMissing {
		onConflict = clause.OnConflict{DoNothing: true}
	}
	if err := tx.Clauses(onConflict).Create(&recs).Error; err != nil {
		return nil, err
	}
	return settingsRecords(tx)
}

// PatchSettings decodes a JSON object of some settings onto the stored ones, validates and
// stores the result. Unknown keys or wrong types give a *FieldError.
func (db *DB) PatchSettings(body []byte) (Settings, error) {
	var s Settings
	// Read, patch and write in one transaction: a change from another
	// cluster node is either all before it or refused as a conflict.
	err := db.replicate(KindSettings, func(tx *gorm.DB) (any, error) {
		var err error
		if s, err = readSettings(tx); err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return nil, jsonFieldError(err)
		}
		if err := s.Validate(); err != nil {
			return nil, err
		}
		return writeSettings(tx, s, false)
	})
	var fe *FieldError
	if err != nil && !IsReplicaError(err) && !errors.As(err, &fe) {
		return Settings{}, fmt.Errorf("cannot save settings: %w", err)
	}
	if err != nil {
		return Settings{}, err
	}
	return s, nil
}

// jsonFieldError turns a JSON decoding error into a *FieldError when it names a field.
func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &FieldError{Field: te.Field, Reason: "must be a " + te.Type.String()}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return &FieldError{Field: f, Reason: "unknown field"}
	}
	return &FieldError{Field: "", Reason: "body is not valid JSON: " + err.Error()}
}
