package factory

import (
	"context"
	"fmt"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
)

// ClientSpec is a known sender of an engine: a name (engine-name rule) and a
// match (IP, CIDR or prefix wildcard).
type ClientSpec = engine.Client

// ClientInfo is a client and the rows stored under its name.
type ClientInfo struct {
	Name  string `json:"name"`
	Match string `json:"match"`
	Rows  int64  `json:"rows"`
}

// validateClients checks names, matches and uniqueness of a client list.
func validateClients(cs []ClientSpec) error {
	seen := map[string]bool{}
	for _, c := range cs {
		if !ValidEngineName(c.Name) {
			return invalid("name", "invalid client name %q: use 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit", c.Name)
		}
		if err := engine.ParseMatch(c.Match); err != nil {
			return invalid("match", "client %q: %v", c.Name, err)
		}
		if seen[c.Name] {
			return conflict("name", "client %q already exists", c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// applyClients compiles m's client list (with its accept_unknown) into its
// engine.
func applyClients(m *managed) {
	l, err := engine.CompileClients(m.clients, m.spec.AcceptUnknown)
	if err != nil { // validated before saving; a bad stored match keeps the old list
		return
	}
	m.eng.SetClients(l)
}

// setClients validates, saves and applies a new client list (f.mu held).
func (f *Factory) setClients(m *managed, cs []ClientSpec) error {
	if err := validateClients(cs); err != nil {
		return err
	}
	recs := make([]meta.ClientRecord, 0, len(cs))
	for _, c := range cs {
		recs = append(recs, meta.ClientRecord{Name: c.Name, Match: c.Match})
	}
	if err := f.cfg.Meta.ReplaceClients(m.spec.Name, recs); err != nil {
		return err
	}
	m.clients = append([]ClientSpec(nil), cs...)
	applyClients(m)
	return nil
}

// Clients returns an engine's clients in match order with their stored rows
// (counted over every day file; cached per unchanged file).
func (f *Factory) Clients(ctx context.Context, name string) ([]ClientInfo, error) {
	f.mu.Lock()
	m, err := f.get(name)
	if err != nil {
		f.mu.Unlock()
		return nil, err
	}
	cs := append([]ClientSpec(nil), m.clients...)
	days := m.days
	f.mu.Unlock()
	counts, err := days.CountByClient(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ClientInfo, 0, len(cs))
	for _, c := range cs {
		out = append(out, ClientInfo{Name: c.Name, Match: c.Match, Rows: counts[c.Name]})
	}
	return out, nil
}

// Client returns one client of an engine (without rows).
func (f *Factory) Client(name, client string) (ClientSpec, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		return ClientSpec{}, err
	}
	if i := clientIndex(m.clients, client); i >= 0 {
		return m.clients[i], nil
	}
	return ClientSpec{}, notFound("client %q of engine %q does not exist", client, name)
}

func clientIndex(cs []ClientSpec, name string) int {
	for i, c := range cs {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// AddClient appends a client to the end of an engine's match order. The engine
// applies it from its next received logs; no restart.
func (f *Factory) AddClient(name string, c ClientSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		return err
	}
	return f.setClients(m, append(append([]ClientSpec(nil), m.clients...), c))
}

// UpdateClient replaces client (keeping its place in the order) with c, which
// may rename it; rows stored before keep the old name.
func (f *Factory) UpdateClient(name, client string, c ClientSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		return err
	}
	i := clientIndex(m.clients, client)
	if i < 0 {
		return notFound("client %q of engine %q does not exist", client, name)
	}
	cs := append([]ClientSpec(nil), m.clients...)
	cs[i] = c
	return f.setClients(m, cs)
}

// ReplaceClients makes cs the whole client list of an engine (order = match order).
func (f *Factory) ReplaceClients(name string, cs []ClientSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		return err
	}
	return f.setClients(m, cs)
}

// DeleteClient removes a client from an engine. With purge it also deletes the
// client's rows from every day file in the background and returns that job;
// ingest goes on meanwhile.
func (f *Factory) DeleteClient(name, client string, purge bool) (*Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.get(name)
	if err != nil {
		return nil, err
	}
	i := clientIndex(m.clients, client)
	if i < 0 {
		return nil, notFound("client %q of engine %q does not exist", client, name)
	}
	cs := append(append([]ClientSpec(nil), m.clients[:i]...), m.clients[i+1:]...)
	if err := f.setClients(m, cs); err != nil {
		return nil, err
	}
	if !purge {
		return nil, nil
	}
	days := m.days
	events := m.events
	j := f.jobs.start("purge_client", name+"/"+client, func(ctx context.Context, set func(func(*Job))) error {
		events.Add(engine.LevelInfo, "purging the rows of client %q", client)
		n, err := days.PurgeClient(ctx, client, func(done, total int64) {
			set(func(j *Job) {
				if total > 0 {
					j.Progress = float64(done) / float64(total)
				}
			})
		})
		set(func(j *Job) { j.Deleted = n })
		if err != nil {
			events.Add(engine.LevelError, "purge of client %q failed after %d rows: %v", client, n, err)
			return fmt.Errorf("cannot purge client %q of engine %q: %w", client, name, err)
		}
		events.Add(engine.LevelInfo, "purged %d rows of client %q", n, client)
		return nil
	})
	return &j, nil
}
