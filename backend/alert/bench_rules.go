package alert

import "fmt"

// BenchRule is the i-th log alert rule of a bench engine (`make bench RULES=N`): a mix of equals,
// in and contains conditions on the five-key class, most matching a few
// percent of the loadgen's rows (so they fire, then count suppressed rows
// in their cooldown), one grouped by router. No channels: firing is stored
// in the history only.
func BenchRule(engine string, i int) RuleSpec {
	routers := []string{"T8Y45jGZY", "CoreRTR01", "edge-gw", "BRAS7", "AccessR2", "NASx9"}
	s := DefaultRule()
	s.Name, s.Engine = fmt.Sprintf("%s-rule%d", engine, i+1), engine
	one := func(col, op, v string) Cond {
		return Cond{Column: col, Op: op, Value: Value{List: []string{v}}}
	}
	switch i % 4 {
	case 0:
		s.When = []Cond{one("router_identity", OpEquals, routers[i%len(routers)]), one("proto", OpEquals, "ICMP")}
	case 1:
		s.When = []Cond{{Column: "pppoe", Op: OpIn, Value: Value{IsList: true, List: []string{"alice", "bob", fmt.Sprint("user", i)}}}}
	case 2:
		s.When = []Cond{one("length", OpEquals, fmt.Sprint(40+i)), one("proto", OpEquals, "UDP")}
	default:
		s.When = []Cond{one("destination_ip", OpContains, fmt.Sprintf(":%d", 20+i))}
	}
	if i == 0 {
		s.When, s.GroupBy = []Cond{one("proto", OpEquals, "ICMP")}, "router_identity"
	}
	return s
}
