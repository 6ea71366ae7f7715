package factory

import (
	"errors"
	"sort"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/meta"
)

// ClassInfo is a class as the API shows it.
type ClassInfo struct {
	Name     string            `json:"name"`
	Patterns map[string]string `json:"patterns"`
	Keys     []string          `json:"keys"`
	Columns  []string          `json:"columns"`
	Engines  []string          `json:"engines"`
}

func (f *Factory) classInfo(c *class.Class) ClassInfo {
	ci := ClassInfo{Name: c.Name, Patterns: c.Patterns(), Keys: c.KeyNames(), Columns: c.Columns(), Engines: []string{}}
	for _, n := range f.sortedEngineNames() {
		if f.engines[n].spec.Class == c.Name {
			ci.Engines = append(ci.Engines, n)
		}
	}
	return ci
}

// Classes returns every class, ordered by name.
func (f *Factory) Classes() []ClassInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := make([]string, 0, len(f.classes))
	for n := range f.classes {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]ClassInfo, 0, len(names))
	for _, n := range names {
		out = append(out, f.classInfo(f.classes[n]))
	}
	return out
}

// Class returns one class.
func (f *Factory) Class(name string) (ClassInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.classes[name]
	if !ok {
		return ClassInfo{}, notFound("class %q does not exist", name)
	}
	return f.classInfo(c), nil
}

// CompileClass validates a class without saving it, mapping validation failures to
// an *Error naming the field ("name" or "patterns.<key>").
func CompileClass(name string, patterns map[string]string, keys []string) (*class.Class, error) {
	c, err := class.Compile(name, patterns, keys)
	if err == nil {
		return c, nil
	}
	var ke *class.KeyError
	var ne *class.NameError
	switch {
	case errors.As(err, &ke):
		return nil, invalid("patterns."+ke.Key, "%s", err.Error())
	case errors.As(err, &ne):
		return nil, invalid("name", "%s", err.Error())
	}
	return nil, invalid("patterns", "%s", err.Error())
}

// CreateClass validates and saves a new class.
func (f *Factory) CreateClass(name string, patterns map[string]string, keys []string) error {
	c, err := CompileClass(name, patterns, keys)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.classes[name]; ok {
		return conflict("name", "class %q already exists", name)
	}
	if err := f.cfg.Meta.SaveClass(meta.ClassRecord{Name: name, Patterns: meta.EncodePatterns(c.Patterns(), c.KeyNames())}); err != nil {
		return err
	}
	f.classes[name] = c
	return nil
}

// UpdateClass replaces a class's patterns. Running engines of the class switch to
// it at once, without a restart and without losing a log.
func (f *Factory) UpdateClass(name string, patterns map[string]string, keys []string) error {
	c, err := CompileClass(name, patterns, keys)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.classes[name]; !ok {
		return notFound("class %q does not exist", name)
	}
	if err := f.cfg.Meta.SaveClass(meta.ClassRecord{Name: name, Patterns: meta.EncodePatterns(c.Patterns(), c.KeyNames())}); err != nil {
		return err
	}
	f.classes[name] = c
	for _, m := range f.engines {
		if m.spec.Class == name {
			m.eng.SetClass(c)
		}
	}
	return nil
}

// DeleteClass removes a class no engine uses.
func (f *Factory) DeleteClass(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.classes[name]
	if !ok {
		return notFound("class %q does not exist", name)
	}
	if users := f.classInfo(c).Engines; len(users) > 0 {
		return conflict("name", "class %q is used by engines %v", name, users)
	}
	if err := f.cfg.Meta.DeleteClass(name); err != nil {
		return err
	}
	delete(f.classes, name)
	return nil
}

// ImportClasses saves each compiled class whose name is free; the others are
// returned as skipped with the reason.
func (f *Factory) ImportClasses(classes []*class.Class) (imported []string, skipped []class.Skipped) {
	imported = []string{}
	for _, c := range classes {
		if err := f.CreateClass(c.Name, c.Patterns(), c.KeyNames()); err != nil {
			skipped = append(skipped, class.Skipped{Name: c.Name, Reason: err.Error()})
			continue
		}
		imported = append(imported, c.Name)
	}
	return imported, skipped
}
