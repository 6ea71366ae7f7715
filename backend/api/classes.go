package api

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/class"
)

type classRequest struct {
	Name     string          `json:"name"`
	Patterns json.RawMessage `json:"patterns"`
	Keys     []string        `json:"keys"`
}

// patterns decodes the patterns object; without keys the column order is the order of the
// keys in the JSON text.
func patterns(raw json.RawMessage, keys []string) (map[string]string, []string, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil, badRequest("patterns", "patterns is required: an object of key: regex")
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, badRequest("patterns", "patterns must be an object of key: regex strings")
	}
	if keys == nil {
		k, err := class.OrderedKeys(raw)
		if err != nil {
			return nil, nil, badRequest("patterns", "patterns must be an object of key: regex strings")
		}
		keys = k
	}
	return m, keys, nil
}

func (s *Server) listClasses(c *fiber.Ctx) error { return c.JSON(s.d.Factory.Classes()) }

func (s *Server) getClass(c *fiber.Ctx) error {
	name, err := classParam(c)
	if err != nil {
		return err
	}
	ci, err := s.d.Factory.Class(name)
	if err != nil {
		return err
	}
	return c.JSON(ci)
}

func (s *Server) createClass(c *fiber.Ctx) error {
	var req classRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := class.ValidateName(req.Name); err != nil {
		return err
	}
	m, keys, err := patterns(req.Patterns, req.Keys)
	if err != nil {
		return err
	}
	if err := s.d.Factory.CreateClass(req.Name, m, keys); err != nil {
		return err
	}
	s.audit(c, "class.create", req.Name)
	ci, err := s.d.Factory.Class(req.Name)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(ci)
}

type classUpdate struct {
	Patterns json.RawMessage `json:"patterns"`
	Keys     []string        `json:"keys"`
}

func (s *Server) updateClass(c *fiber.Ctx) error {
	name, err := classParam(c)
	if err != nil {
		return err
	}
	var req classUpdate
	if err := decode(c, &req); err != nil {
		return err
	}
	m, keys, err := patterns(req.Patterns, req.Keys)
	if err != nil {
		return err
	}
	if err := s.d.Factory.UpdateClass(name, m, keys); err != nil {
		return err
	}
	s.audit(c, "class.update", name)
	ci, err := s.d.Factory.Class(name)
	if err != nil {
		return err
	}
	return c.JSON(ci)
}

func (s *Server) deleteClass(c *fiber.Ctx) error {
	name, err := classParam(c)
	if err != nil {
		return err
	}
	if err := s.d.Factory.DeleteClass(name); err != nil {
		return err
	}
	s.audit(c, "class.delete", name)
	return c.SendStatus(http.StatusNoContent)
}

// Playground limits. RE2 cannot be interrupted inside one match and one match costs up
// to ~30 ns per program instruction per byte of line (measured: (\w+\s?){1000}[0-9],
// 6,003 instructions, took 2.8 s on one 16 KB line), so the input is bounded to bound
// one match (key x line), and the run to playgroundBudget, checked between matches.
const (
	maxTestLines    = 1000
	maxTestLineLen  = 64 << 10 // bytes of one line
	maxTestBytes    = 256 << 10
	maxTestKeys     = 64
	maxTestPattern  = 4 << 10 // bytes of one pattern
	maxTestProgram  = 10000   // estimated instructions of one pattern's program
	maxTestCaptures = 100     // capture groups of one pattern (each one copied per step)
	// maxTestMatchWork bounds program instructions x line bytes of one match: about
	// 0.5 s at the worst measured cost.
	maxTestMatchWork = 16 << 20
)

// playgroundBudget is the time one playground request may take (checked between
// matches); a variable for tests.
var playgroundBudget = time.Second

type testRequest struct {
	Patterns json.RawMessage `json:"patterns"`
	Keys     []string        `json:"keys"`
	Lines    []string        `json:"lines"`
}

type keyResult struct {
	Matched   int     `json:"matched"`
	NsPerLine float64 `json:"ns_per_line"`
}

type testResponse struct {
	Columns []string              `json:"columns"`
	Rows    []map[string]*string  `json:"rows"`
	Keys    map[string]*keyResult `json:"keys"`
}

// checkTestInput applies the playground's size limits to the lines and patterns.
func checkTestInput(m map[string]string, keys []string, lines []string) error {
	if len(lines) > maxTestLines {
		return badRequest("lines", fmt.Sprintf("at most %d lines can be tested at once", maxTestLines))
	}
	total := 0
	for _, l := range lines {
		if len(l) > maxTestLineLen {
			return badRequest("lines", "a line is longer than 64 KiB")
		}
		total += len(l)
	}
	if total > maxTestBytes {
		return &Error{Status: http.StatusRequestEntityTooLarge, Field: "lines",
			Msg: fmt.Sprintf("the lines hold %d bytes; the playground tests at most %d KiB at once", total, maxTestBytes>>10)}
	}
	if len(m) > maxTestKeys {
		return badRequest("patterns", fmt.Sprintf("at most %d keys can be tested at once", maxTestKeys))
	}
	if len(keys) > maxTestKeys {
		return badRequest("keys", fmt.Sprintf("at most %d keys can be tested at once", maxTestKeys))
	}
	longest := 0
	for _, l := range lines {
		longest = max(longest, len(l))
	}
	for _, k := range keys {
		p, ok := m[k]
		if !ok {
			continue // class.Compile names it
		}
		field := "patterns." + k
		if len(p) > maxTestPattern {
			return badRequest(field, fmt.Sprintf("key %q: the pattern is longer than %d bytes", k, maxTestPattern))
		}
		insts, caps, err := class.ProgramSize(k, p)
		if err != nil {
			return err
		}
		switch {
		case insts > maxTestProgram:
			return badRequest(field, fmt.Sprintf("key %q: the pattern compiles to about %d instructions; the playground takes at most %d", k, insts, maxTestProgram))
		case caps > maxTestCaptures:
			return badRequest(field, fmt.Sprintf("key %q: the pattern has %d capture groups; the playground takes at most %d", k, caps, maxTestCaptures))
		case insts*longest > maxTestMatchWork:
			return badRequest(field, fmt.Sprintf("key %q: the pattern compiles to about %d instructions, too many to test on a line of %d bytes (instructions x line bytes must stay under %d): test shorter lines or a simpler pattern", k, insts, longest, maxTestMatchWork))
		}
	}
	return nil
}

// testClass: POST /classes/test — extracts sample lines with unsaved patterns and reports
// per key how many lines matched and what one line costs. Bounded by checkTestInput and
// playgroundBudget: out of time it answers 422 naming the key it was testing.
func (s *Server) testClass(c *fiber.Ctx) error {
	var req testRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	m, keys, err := patterns(req.Patterns, req.Keys)
	if err != nil {
		return err
	}
	if err := checkTestInput(m, keys, req.Lines); err != nil {
		return err
	}
	cl, err := class.Compile("playground", m, keys)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(playgroundBudget)
	cols := cl.Columns()
	resp := testResponse{Columns: cols, Rows: make([]map[string]*string, len(req.Lines)), Keys: map[string]*keyResult{}}
	for i := range resp.Rows {
		resp.Rows[i] = make(map[string]*string, len(cols))
		for _, col := range cols {
			resp.Rows[i][col] = nil
		}
	}
	// Key by key (a key's values depend on its pattern only), so that the time of each
	// key is measured and the deadline is checked between any two matches.
	for _, k := range cl.Keys {
		one, err := class.Compile("playground", map[string]string{k.Name: k.Pattern}, []string{k.Name})
		if err != nil {
			return err
		}
		kx := one.NewExtractor()
		kcols := one.Columns()
		kd := make([]sql.NullString, len(kcols))
		r := &keyResult{}
		start := time.Now()
		for i, line := range req.Lines {
			if time.Now().After(deadline) {
				return &Error{Status: http.StatusUnprocessableEntity, Field: "patterns." + k.Name,
					Msg: fmt.Sprintf("key %q: the playground ran out of its %v time budget at line %d; test fewer or shorter lines or a simpler pattern", k.Name, playgroundBudget, i+1)}
			}
			if kx.Extract(line, kd) {
				r.Matched++
			}
			for j, col := range kcols {
				if kd[j].Valid {
					v := kd[j].String
					resp.Rows[i][col] = &v
				}
			}
		}
		if len(req.Lines) > 0 {
			r.NsPerLine = float64(time.Since(start).Nanoseconds()) / float64(len(req.Lines))
		}
		resp.Keys[k.Name] = r
	}
	return c.JSON(resp)
}

type importSkipped struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// importClasses: POST /classes/import with a Fast Logger GLOBAL_CONFIG.JSON body.
func (s *Server) importClasses(c *fiber.Ctx) error {
	if err := checkStrict(c.Body(), nil); err != nil {
		return err
	}
	classes, skipped, err := class.ParseFastLogger(c.Body())
	if err != nil {
		return badRequest("", "cannot read the Fast Logger configuration: "+err.Error())
	}
	imported, more := s.d.Factory.ImportClasses(classes)
	out := struct {
		Imported []string        `json:"imported"`
		Skipped  []importSkipped `json:"skipped"`
	}{Imported: append([]string{}, imported...), Skipped: []importSkipped{}}
	for _, sk := range append(skipped, more...) {
		out.Skipped = append(out.Skipped, importSkipped{sk.Name, sk.Reason})
	}
	for _, n := range imported {
		s.audit(c, "class.import", n)
	}
	return c.JSON(out)
}
