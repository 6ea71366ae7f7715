package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/logsieve/logsieve/backend/class"
)

// Rule kinds.
const (
	KindLog    = "log"
	KindHealth = "health"
)

// Condition operators.
const (
	OpEquals   = "equals"
	OpContains = "contains"
	OpMatches  = "matches"
	OpIn       = "in"
)

// Health conditions.
const (
	HealthEngineFailed  = "engine_failed"
	HealthEnginePaused  = "engine_paused"
	HealthKernelDrops   = "kernel_drops"
	HealthDropped       = "dropped"
	HealthSpoolGrowing  = "spool_growing"
	HealthDiskFreeBelow = "disk_free_below"
	HealthNoLogs        = "no_logs"
)

var healthNames = []string{HealthEngineFailed, HealthEnginePaused, HealthKernelDrops, HealthDropped,
	HealthSpoolGrowing, HealthDiskFreeBelow, HealthNoLogs}

// Bounds of a rule's numbers.
const (
	MaxCount     = 1000000
	MaxWindowS   = 7 * 24 * 3600
	MaxCooldownS = 7 * 24 * 3600
	MaxMaxGroups = 10000
	maxConds     = 32
	maxInValues  = 1000
)

// Cond is one condition of a log rule: the column's value equals, contains,
// matches (RE2) or is one of Value.
type Cond struct {
	Column string `json:"column"`
	Op     string `json:"op"`
	Value  Value  `json:"value"`
}

// Value is a condition's value: one string, or a list of strings (op "in").
type Value struct {
	List   []string
	IsList bool
}

// UnmarshalJSON takes a string or a list of strings.
func (v *Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		v.IsList = true
		return json.Unmarshal(b, &v.List)
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v.List, v.IsList = []string{s}, false
	return nil
}

// MarshalJSON writes a string, or a list for a list value.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.IsList {
		if v.List == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(v.List)
	}
	return json.Marshal(v.One())
}

// One returns the single value ("" for a list).
func (v Value) One() string {
	if v.IsList || len(v.List) == 0 {
		return ""
	}
	return v.List[0]
}

// RuleSpec is a rule's definition (RuleIn of docs/alerts.md).
type RuleSpec struct {
	Name      string   `json:"name"`
	Engine    string   `json:"engine"`
	Enabled   bool     `json:"enabled"`
	Kind      string   `json:"kind"`
	When      []Cond   `json:"when"`
	Word      string   `json:"word"`
	Count     int      `json:"count"`
	WindowS   int      `json:"window_s"`
	CooldownS int      `json:"cooldown_s"`
	GroupBy   string   `json:"group_by"`
	MaxGroups int      `json:"max_groups"`
	Health    string   `json:"health"`
	Threshold float64  `json:"threshold"`
	Sender    string   `json:"sender"`
	Channels  []string `json:"channels"`
}

// DefaultRule returns a RuleSpec with every default of a new rule set:
// enabled, kind log, 1 row in 60 s, cooldown 300 s, 1,000 groups.
func DefaultRule() RuleSpec {
	return RuleSpec{Enabled: true, Kind: KindLog, Count: 1, WindowS: 60, CooldownS: 300, MaxGroups: 1000,
		When: []Cond{}, Channels: []string{}}
}

// Columns answers which columns rules may name.
type Columns interface {
	// EngineColumns returns the columns an engine's rows have (false: no
	// such engine); with engine "" the union over every engine.
	EngineColumns(engine string) ([]string, bool)
}

// normalize fills the empty lists (JSON [] rather than null).
func (s *RuleSpec) normalize() {
	if s.When == nil {
		s.When = []Cond{}
	}
	if s.Channels == nil {
		s.Channels = []string{}
	}
	if s.Kind == "" {
		s.Kind = KindLog
	}
}

// validateRule checks s; channels says which channel names exist.
func validateRule(s *RuleSpec, cols Columns, channels map[string]bool) error {
	s.normalize()
	if !ValidName(s.Name) {
		return invalid("name", "invalid rule name %q: use 1-64 letters, digits, '_' or '-'", s.Name)
	}
	known, ok := cols.EngineColumns(s.Engine)
	if !ok {
		return invalid("engine", "engine %q does not exist", s.Engine)
	}
	for _, c := range s.Channels {
		if !channels[c] {
			return invalid("channels", "channel %q does not exist", c)
		}
	}
	if s.CooldownS < 1 || s.CooldownS > MaxCooldownS {
		return invalid("cooldown_s", "invalid cooldown_s %d: must be 1-%d (the cooldown is what keeps a flood of matches to one alert per group)", s.CooldownS, MaxCooldownS)
	}
	switch s.Kind {
	case KindLog:
		return validateLogRule(s, known)
	case KindHealth:
		return validateHealthRule(s)
	}
	return invalid("kind", "invalid kind %q: use \"log\" or \"health\"", s.Kind)
}

func validateLogRule(s *RuleSpec, known []string) error {
	if len(s.When) == 0 && strings.TrimSpace(s.Word) == "" {
		return invalid("when", "a log rule needs a condition in when, a word, or both")
	}
	if len(s.When) > maxConds {
		return invalid("when", "too many conditions: at most %d", maxConds)
	}
	if s.Health != "" {
		return invalid("health", "a log rule has no health condition")
	}
	for i, c := range s.When {
		f := fmt.Sprintf("when[%d]", i)
		if !slices.Contains(known, c.Column) {
			return invalid(f+".column", "unknown column %q: use one of %s", c.Column, strings.Join(known, ", "))
		}
		switch c.Op {
		case OpEquals, OpContains:
			if c.Value.IsList {
				return invalid(f+".value", "op %q takes one string", c.Op)
			}
			if c.Op == OpContains && c.Value.One() == "" {
				return invalid(f+".value", "op contains needs a non-empty value")
			}
		case OpMatches:
			if c.Value.IsList {
				return invalid(f+".value", "op matches takes one string")
			}
			if _, err := regexp.Compile(c.Value.One()); err != nil {
				return invalid(f+".value", "invalid regular expression %q: %v", c.Value.One(), err)
			}
		case OpIn:
			if !c.Value.IsList || len(c.Value.List) == 0 || len(c.Value.List) > maxInValues {
				return invalid(f+".value", "op in takes a list of 1-%d strings", maxInValues)
			}
		default:
			return invalid(f+".op", "invalid op %q: use \"equals\", \"contains\", \"matches\" or \"in\"", c.Op)
		}
	}
	if w := s.Word; w != "" && (strings.TrimSpace(w) != w || strings.ContainsAny(w, " \t\r\n")) {
		return invalid("word", "word %q must be one word without spaces", w)
	}
	if s.Count < 1 || s.Count > MaxCount {
		return invalid("count", "invalid count %d: must be 1-%d", s.Count, MaxCount)
	}
	if s.WindowS < 1 || s.WindowS > MaxWindowS {
		return invalid("window_s", "invalid window_s %d: must be 1-%d", s.WindowS, MaxWindowS)
	}
	if s.GroupBy != "" && !slices.Contains(known, s.GroupBy) {
		return invalid("group_by", "unknown column %q: use one of %s", s.GroupBy, strings.Join(known, ", "))
	}
	if s.MaxGroups < 1 || s.MaxGroups > MaxMaxGroups {
		return invalid("max_groups", "invalid max_groups %d: must be 1-%d", s.MaxGroups, MaxMaxGroups)
	}
	return nil
}

func validateHealthRule(s *RuleSpec) error {
	if !slices.Contains(healthNames, s.Health) {
		return invalid("health", "invalid health %q: use one of %s", s.Health, strings.Join(healthNames, ", "))
	}
	if len(s.When) > 0 || s.Word != "" || s.GroupBy != "" {
		return invalid("when", "a health rule has no log conditions (when, word, group_by)")
	}
	switch s.Health {
	case HealthDiskFreeBelow:
		if s.Threshold <= 0 || s.Threshold >= 100 {
			return invalid("threshold", "disk_free_below needs a threshold in percent, above 0 and below 100")
		}
	case HealthNoLogs:
		if s.Threshold <= 0 || s.Threshold > 7*24*60 {
			return invalid("threshold", "no_logs needs a threshold in minutes, above 0 and at most %d", 7*24*60)
		}
	}
	if s.Sender != "" && s.Health != HealthNoLogs {
		return invalid("sender", "only no_logs takes a sender")
	}
	if s.Sender != "" && s.Engine == "" {
		return invalid("sender", "a sender belongs to one engine: name the engine")
	}
	return nil
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidName reports whether name is a valid rule or channel name.
func ValidName(name string) bool { return nameRe.MatchString(name) }

// RowColumns returns the columns a rule may test for an engine whose value
// columns are values: the head columns but time, the values, original_log.
func RowColumns(values []string) []string {
	out := []string{class.ColSenderIP, class.ColClient, class.ColTimeZone}
	out = append(out, values...)
	return append(out, class.ColOriginal)
}
