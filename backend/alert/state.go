package alert

import (
	"strings"
	"time"
)

// maxSampleRows is how many matching rows an alert carries; maxCell is the
// length each value is cut to.
const (
	maxSampleRows = 5
	maxCell       = 200
)

// group is the state of one (rule, group): its window, the rows it will
// show when it fires, and its cooldown.
type group struct {
	win       *window
	sample    []map[string]string
	lastFired time.Time
	fired     bool
}

// ruleState is a rule in force: its spec, the compiled matcher, its groups
// and counters. Guarded by Manager.stateMu.
type ruleState struct {
	spec   RuleSpec
	m      *matcher
	groups map[gkey]*group
	// cached is the group of cachedKey (ungrouped rules: the engine's one
	// group), saving a map lookup per matching row.
	cached    *group
	cachedKey gkey
	fired     uint64
	suppress  uint64
	capped    uint64 // matches of new groups past max_groups
	lastAt    time.Time

	// health rules
	seen       map[string]*healthSeen // by engine
	created    time.Time              // when the rule came into force
	senderSeen time.Time              // no_logs with a sender: its last row
}

func newRuleState(s RuleSpec, now time.Time) *ruleState {
	rs := &ruleState{spec: s, groups: map[gkey]*group{}, created: now}
	if s.Kind == KindLog {
		rs.m = compileMatcher(&s)
	}
	return rs
}

func (rs *ruleState) window() time.Duration { return time.Duration(rs.spec.WindowS) * time.Second }

func (rs *ruleState) cooldown() time.Duration { return time.Duration(rs.spec.CooldownS) * time.Second }

// gkey names a group of a rule: the engine and the group_by value.
type gkey struct{ engine, group string }

// groupFor returns the state of key, creating it unless max_groups are held
// (nil then). A new key's strings are copied (a row's are substrings of its
// whole chunk).
func (rs *ruleState) groupFor(key gkey) *group {
	g := rs.groups[key]
	if g == nil {
		if len(rs.groups) >= rs.spec.MaxGroups {
			rs.capped++
			return nil
		}
		g = &group{win: newWindow(rs.window())}
		rs.groups[gkey{strings.Clone(key.engine), strings.Clone(key.group)}] = g
	}
	return g
}

// inCooldown reports whether g fired less than the cooldown before now.
func (rs *ruleState) inCooldown(g *group, now time.Time) bool {
	return g.fired && now.Sub(g.lastFired) < rs.cooldown()
}

// prune drops the groups that hold nothing any more: no match in the window
// and out of cooldown.
func (rs *ruleState) prune(now time.Time) {
	rs.cached = nil
	for k, g := range rs.groups {
		if !rs.inCooldown(g, now) && (g.win == nil || g.win.count(now.UnixNano()) == 0) {
			delete(rs.groups, k)
		}
	}
}

// cut returns s cut to maxCell bytes (on a rune boundary).
func cut(s string) string {
	if len(s) <= maxCell {
		return s
	}
	i := maxCell
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
