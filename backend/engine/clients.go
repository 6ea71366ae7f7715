package engine

import (
	"database/sql"
	"fmt"
	"net/netip"
	"strings"
)

// Client is a known sender of an engine: a name and what its address must match.
type Client struct {
	Name  string `json:"name"`
	Match string `json:"match"`
}

// matcher is one compiled Client.Match.
type matcher struct {
	any    bool         // "*"
	addr   netip.Addr   // exact IP
	prefix netip.Prefix // CIDR
	text   string       // prefix wildcard without its "*", e.g. "10.0."
}

// ParseMatch checks a client match: an IP ("10.0.0.1", "2001:db8::1"), a CIDR
// ("10.0.0.0/8", "2001:db8::/32") or a prefix wildcard ("10.0.*", "2001:db8:*", "*").
func ParseMatch(s string) error {
	_, err := compileMatch(s)
	return err
}

func compileMatch(s string) (matcher, error) {
	switch {
	case s == "*":
		return matcher{any: true}, nil
	case strings.HasSuffix(s, "*"):
		p := strings.ToLower(strings.TrimSuffix(s, "*"))
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '.' || c == ':') {
				return matcher{}, fmt.Errorf("invalid match %q: a wildcard is the start of an address followed by one '*' (e.g. \"10.0.*\")", s)
			}
		}
		return matcher{text: p}, nil
	case strings.Contains(s, "/"):
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return matcher{}, fmt.Errorf("invalid match %q: not a CIDR such as \"10.0.0.0/8\" or \"2001:db8::/32\"", s)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return matcher{prefix: p.Masked()}, nil
	default:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return matcher{}, fmt.Errorf("invalid match %q: use an IP, a CIDR or a prefix wildcard such as \"10.0.*\"", s)
		}
		return matcher{addr: a.Unmap()}, nil
	}
}

func (m *matcher) match(a netip.Addr, text string) bool {
	switch {
	case m.any:
		return true
	case m.addr.IsValid():
		return m.addr == a
	case m.prefix.IsValid():
		return m.prefix.Contains(a)
	default:
		return strings.HasPrefix(text, m.text)
	}
}

// ClientList is an engine's compiled client list; immutable once built.
type ClientList struct {
	clients       []Client
	matchers      []matcher
	names         []sql.NullString
	acceptUnknown bool
}

// CompileClients builds the list matched in order (first match wins). With no
// clients every sender is accepted with a NULL client; otherwise a sender that
// matches none is rejected unless acceptUnknown.
func CompileClients(clients []Client, acceptUnknown bool) (*ClientList, error) {
	l := &ClientList{clients: append([]Client(nil), clients...), acceptUnknown: acceptUnknown}
	for _, c := range clients {
		m, err := compileMatch(c.Match)
		if err != nil {
			return nil, fmt.Errorf("client %q: %w", c.Name, err)
		}
		l.matchers = append(l.matchers, m)
		l.names = append(l.names, sql.NullString{String: c.Name, Valid: true})
	}
	return l, nil
}

// Clients returns a copy of the list's clients in match order.
func (l *ClientList) Clients() []Client {
	if l == nil {
		return nil
	}
	return append([]Client(nil), l.clients...)
}

// Resolution of a sender against a client list.
const (
	senderRejected = -1 // unknown sender, not accepted
	senderUnknown  = -2 // unknown sender accepted (or no clients): NULL client
)

// resolve returns the index of the first client matching a, or senderRejected /
// senderUnknown.
func (l *ClientList) resolve(a netip.Addr) int {
	if l == nil || len(l.matchers) == 0 {
		return senderUnknown
	}
	text := a.String()
	for i := range l.matchers {
		if l.matchers[i].match(a, text) {
			return i
		}
	}
	if l.acceptUnknown {
		return senderUnknown
	}
	return senderRejected
}

// senderCache remembers, per parse worker, what each sender resolved to with one
// client list: an engine has few senders, so a map lookup replaces the scan.
type senderCache struct {
	list *ClientList
	m    map[netip.Addr]int
}

// lookup resolves a with l, from the cache when l is the list it was filled with.
func (c *senderCache) lookup(l *ClientList, a netip.Addr) int {
	if c.list != l || c.m == nil {
		c.list = l
		if c.m == nil {
			c.m = make(map[netip.Addr]int)
		} else {
			clear(c.m)
		}
	}
	if r, ok := c.m[a]; ok {
		return r
	}
	if len(c.m) > 4096 {
		clear(c.m)
	}
	r := l.resolve(a)
	c.m[a] = r
	return r
}

// SetClients makes l the engine's client list from the next received chunk on
// (nil: no clients, every sender accepted).
func (e *Engine) SetClients(l *ClientList) {
	e.clients.Store(l)
}

// Clients returns the client list in force (nil when none was set).
func (e *Engine) Clients() *ClientList { return e.clients.Load() }
