package api

import (
	"bytes"
	"database/sql"
	"encoding/json"
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

// Playground limits.
const (
	maxTestLines   = 1000
	maxTestLineLen = 64 << 10
)

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

// testClass: POST /classes/test — extracts sample lines with unsaved patterns and reports
// per key how many lines matched and what one line costs.
func (s *Server) testClass(c *fiber.Ctx) error {
	var req testRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	m, keys, err := patterns(req.Patterns, req.Keys)
	if err != nil {
		return err
	}
	if len(req.Lines) > maxTestLines {
		return badRequest("lines", "at most 1000 lines can be tested at once")
	}
	for _, l := range req.Lines {
		if len(l) > maxTestLineLen {
			return badRequest("lines", "a line is longer than 64 KiB")
		}
	}
	cl, err := class.Compile("playground", m, keys)
	if err != nil {
		return err
	}
	cols := cl.Columns()
	resp := testResponse{Columns: cols, Rows: make([]map[string]*string, 0, len(req.Lines)), Keys: map[string]*keyResult{}}
	x := cl.NewExtractor()
	dst := make([]sql.NullString, len(cols))
	for _, line := range req.Lines {
		x.Extract(line, dst)
		row := make(map[string]*string, len(cols))
		for i, col := range cols {
			if dst[i].Valid {
				v := dst[i].String
				row[col] = &v
			} else {
				row[col] = nil
			}
		}
		resp.Rows = append(resp.Rows, row)
	}
	for _, k := range cl.Keys {
		one, err := class.Compile("playground", map[string]string{k.Name: k.Pattern}, []string{k.Name})
		if err != nil {
			return err
		}
		kx := one.NewExtractor()
		kd := make([]sql.NullString, len(one.Columns()))
		r := &keyResult{}
		start := time.Now()
		for _, line := range req.Lines {
			if kx.Extract(line, kd) {
				r.Matched++
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
