package alert

import "github.com/logsieve/logsieve/backend/store"

// program is the log rules of one engine compiled for one schema: rules
// with an equals or in condition are found through a map of that
// condition's column (one lookup per row and column, whatever the number of
// rules), the others are tried one by one.
type program struct {
	set    *ruleSet
	schema *store.Schema
	idx    []indexCol
	linear []*progRule
}

// indexCol maps the values of one column to the rules whose indexed
// condition accepts them. Up to smallIndex values are compared one by one
// instead (a value of another length is told apart without reading it: the
// row's text is often not in the CPU cache any more when rules run, and a
// map lookup hashes, so reads, every value).
type indexCol struct {
	col     column
	byValue map[string][]*progRule
	small   []smallEntry // when len(byValue) <= smallIndex
}

type smallEntry struct {
	value string
	rules []*progRule
}

const smallIndex = 8

// lookup returns the rules of value v.
func (ic *indexCol) lookup(v string) []*progRule {
	if ic.small != nil {
		for i := range ic.small {
			if e := &ic.small[i]; len(e.value) == len(v) && e.value == v {
				return e.rules
			}
		}
		return nil
	}
	return ic.byValue[v]
}

// progRule is a rule bound to the schema; skip is the condition the index
// already checked (-1: none).
type progRule struct {
	rs   *ruleState
	b    bound
	skip int
}

// compileProgram builds the program of rules for schema s. Each rule is
// indexed on its first equals or in condition (docs/alerts.md: put the most
// selective one first).
func compileProgram(set *ruleSet, rules []*ruleState, s *store.Schema) *program {
	p := &program{set: set, schema: s}
	byCol := map[column]int{}
	for _, rs := range rules {
		pr := &progRule{rs: rs, b: rs.m.bind(s, rs.spec.GroupBy), skip: -1}
		for i, c := range rs.m.conds {
			if c.op == OpEquals || c.op == OpIn {
				pr.skip = i
				break
			}
		}
		if pr.skip < 0 {
			p.linear = append(p.linear, pr)
			continue
		}
		col := pr.b.cols[pr.skip]
		if col == colMissing {
			continue // never matches on this schema
		}
		k, ok := byCol[col]
		if !ok {
			k = len(p.idx)
			byCol[col] = k
			p.idx = append(p.idx, indexCol{col: col, byValue: map[string][]*progRule{}})
		}
		c := rs.m.conds[pr.skip]
		if c.op == OpEquals {
			p.idx[k].byValue[c.one] = append(p.idx[k].byValue[c.one], pr)
		} else {
			for v := range c.set {
				p.idx[k].byValue[v] = append(p.idx[k].byValue[v], pr)
			}
		}
	}
	for i := range p.idx {
		ic := &p.idx[i]
		if len(ic.byValue) <= smallIndex {
			ic.small = make([]smallEntry, 0, len(ic.byValue))
			for v, rules := range ic.byValue {
				ic.small = append(ic.small, smallEntry{v, rules})
			}
		}
	}
	return p
}

// run calls hit with each rule that r matches.
func (p *program) run(r *store.Row, tz string, hit func(*progRule, *store.Row)) {
	for i := range p.idx {
		ic := &p.idx[i]
		v, ok := ic.col.get(r, tz)
		if !ok {
			continue
		}
		for _, pr := range ic.lookup(v) {
			if pr.b.matchExcept(r, tz, pr.skip) {
				hit(pr, r)
			}
		}
	}
	for _, pr := range p.linear {
		if pr.b.matchExcept(r, tz, -1) {
			hit(pr, r)
		}
	}
}
