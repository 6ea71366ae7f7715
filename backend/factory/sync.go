package factory

import (
	"fmt"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// Apply puts a metadata record changed on another cluster node into effect
// (the metadata DB already holds it): the engine is created, redefined or
// removed, the class reloaded into the engines that use it, the clients
// reloaded. Settings and users are not the factory's (serve applies them).
// Nothing is saved: applying a change never replicates it again.
func (f *Factory) Apply(ch meta.Change) error {
	switch ch.Kind {
	case meta.KindEngine:
		return f.syncEngine(ch.Name)
	case meta.KindClass:
		return f.syncClass(ch.Name)
	case meta.KindClients:
		return f.syncClients(ch.Name)
	}
	return nil
}

// syncEngine makes engine name run as its record says: created (and started
// when enabled), redefined (restarted when its socket or storage changed),
// or stopped and removed when the record is gone (its day files are kept).
func (f *Factory) syncEngine(name string) error {
	rec, err := f.cfg.Meta.Engine(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	m, have := f.engines[name]
	if meta.IsNotFound(err) {
		if !have {
			return nil
		}
		stopErr := m.eng.Stop()
		delete(f.engines, name)
		if err := m.days.Close(); err != nil {
			f.cfg.Log.Warn("cannot close day files", "engine", name, "err", err)
		}
		f.cfg.Log.Info("cluster: engine deleted on another node; stopped and removed here (day files kept)", "engine", name)
		return stopErr
	}
	if err != nil {
		return err
	}
	s := specFromRecord(rec)
	if _, ok := f.classes[s.Class]; !ok {
		return fmt.Errorf("cannot apply engine %q: class %q does not exist", name, s.Class)
	}
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return fmt.Errorf("cannot apply engine %q: %w", name, err)
	}
	if have {
		if s.spoolID == "" {
			// Written by a node of a version before spool ids (a rolling
			// upgrade): the same engine, its spools stay its own.
			s.spoolID = m.spec.spoolID
		}
		if err := f.redefine(m, s, loc); err != nil {
			m.spec = s // the record is the truth; the engine shows why it does not run
			return fmt.Errorf("cannot apply engine %q: %w", name, err)
		}
		return nil
	}
	m = &managed{spec: s, events: f.newEventLog(name), days: store.NewDays(store.EngineDir(f.cfg.DataDir, name))}
	if crs, err := f.cfg.Meta.Clients(name); err == nil {
		for _, cr := range crs {
			m.clients = append(m.clients, ClientSpec{Name: cr.Name, Match: cr.Match})
		}
	}
	f.attach(m, loc)
	f.engines[name] = m
	if s.Enabled {
		if err := f.startEngine(m); err != nil {
			return fmt.Errorf("cannot start engine %q defined on another node: %w", name, startErr(s, err))
		}
	}
	return nil
}

// syncClass loads class name from its record into the engines that use it,
// or forgets it when the record is gone.
func (f *Factory) syncClass(name string) error {
	rec, err := f.cfg.Meta.Class(name)
	if meta.IsNotFound(err) {
		f.mu.Lock()
		delete(f.classes, name)
		f.mu.Unlock()
		return nil
	}
	if err != nil {
		return err
	}
	pats, keys, err := meta.DecodePatterns(rec.Patterns)
	if err != nil {
		return fmt.Errorf("cannot apply class %q: %w", name, err)
	}
	c, err := class.Load(name, pats, keys)
	if err != nil {
		return fmt.Errorf("cannot apply class %q: %w", name, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.classes[name] = c
	for _, m := range f.engines {
		if m.spec.Class == name {
			m.eng.SetClass(c)
		}
	}
	return nil
}

// syncClients reloads engine name's client list from its records.
func (f *Factory) syncClients(name string) error {
	crs, err := f.cfg.Meta.Clients(name)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.engines[name]
	if !ok {
		return nil
	}
	m.clients = m.clients[:0:0]
	for _, cr := range crs {
		m.clients = append(m.clients, ClientSpec{Name: cr.Name, Match: cr.Match})
	}
	applyClients(m)
	return nil
}
