package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/store"
)

// maxExportDays bounds a date-range export.
const maxExportDays = 3660

// logQuery reads the shared filters of /logs and export.csv: q, filter (repeatable,
// col:text substring or col=text exact), from, to, order.
func (s *Server) logQuery(c *fiber.Ctx, name string) (store.Query, error) {
	q := store.Query{Q: c.Query("q"), From: c.Query("from"), To: c.Query("to"), Desc: true}
	switch c.Query("order") {
	case "", "desc":
	case "asc":
		q.Desc = false
	default:
		return q, badRequest("order", `order must be "asc" or "desc"`)
	}
	for _, raw := range c.Context().QueryArgs().PeekMulti("filter") {
		f := string(raw)
		i := strings.IndexAny(f, ":=")
		if i <= 0 {
			return q, badRequest("filter", fmt.Sprintf("filter %q must be column:text or column=text", f))
		}
		q.Filters = append(q.Filters, store.Filter{Column: f[:i], Text: f[i+1:], Exact: f[i] == '='})
	}
	order, err := s.d.Factory.Order(name)
	if err != nil {
		return q, err
	}
	q.Order = order
	return q, nil
}

func (s *Server) today(name string) (string, error) {
	loc, err := s.d.Factory.Location(name)
	if err != nil {
		return "", err
	}
	return s.d.Now().In(loc).Format(store.DateLayout), nil
}

type logsPage struct {
	Columns    []string    `json:"columns"`
	Rows       [][]*string `json:"rows"`
	NextCursor *string     `json:"next_cursor"`
}

// queryLogs: GET /engines/:name/logs — one page of a day's rows.
func (s *Server) queryLogs(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	q, err := s.logQuery(c, name)
	if err != nil {
		return err
	}
	if q.Limit, err = intQuery(c, "limit", store.DefaultLimit, 1, store.MaxLimit); err != nil {
		return err
	}
	q.Cursor = c.Query("cursor")
	if q.Date = c.Query("date"); q.Date == "" {
		if q.Date, err = s.today(name); err != nil {
			return err
		}
	} else if err := store.ValidDate(q.Date); err != nil {
		return badRequest("date", "the date must be YYYY-MM-DD")
	}
	dir, err := s.d.Factory.Dir(name)
	if err != nil {
		return err
	}
	page, err := store.QueryDay(c.UserContext(), dir, q)
	if errors.Is(err, fs.ErrNotExist) {
		return s.emptyPage(c, name, q.Order)
	}
	if err != nil {
		return err
	}
	if page.Rows == nil {
		page.Rows = [][]*string{}
	}
	return c.JSON(logsPage{Columns: page.Columns, Rows: page.Rows, NextCursor: page.NextCursor})
}

// emptyPage answers a day without a file (no log arrived that day) with no rows and the
// columns such a day would have.
func (s *Server) emptyPage(c *fiber.Ctx, name string, order []string) error {
	e, err := s.d.Factory.Engine(name)
	if err != nil {
		return err
	}
	cols := append([]string{"id", "log_sender_ip", "client", "time", "time_zone"}, order...)
	if e.KeepOriginal {
		cols = append(cols, "original_log")
	}
	return c.JSON(logsPage{Columns: cols, Rows: [][]*string{}})
}

// exportCSV: GET /engines/:name/export.csv — streams every matching row of one day (date)
// or of a range (from_date, to_date) as RFC 4180 CSV in constant memory. Invalid input is
// reported with a JSON error before the first byte of CSV.
func (s *Server) exportCSV(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	q, err := s.logQuery(c, name)
	if err != nil {
		return err
	}
	dates, filename, err := s.exportDates(c, name)
	if err != nil {
		return err
	}
	dir, err := s.d.Factory.Dir(name)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(store.ExportCSV(ctx, pw, dir, dates, q)) }()
	buf := make([]byte, 32<<10)
	n, rerr := pr.Read(buf) // returns once the export validated its input and wrote, or failed
	if n == 0 && rerr != nil && rerr != io.EOF {
		cancel()
		return rerr
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		defer pr.Close()
		chunk, err := buf[:n], rerr
		for {
			if len(chunk) > 0 {
				if _, werr := w.Write(chunk); werr != nil {
					return
				}
				if werr := w.Flush(); werr != nil {
					pr.CloseWithError(werr) // the client left: stop the export
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					s.d.Log.Warn("csv export ended early", "engine", name, "err", err)
				}
				return
			}
			var m int
			m, err = pr.Read(buf)
			chunk = buf[:m]
		}
	})
	return nil
}

// exportDates returns the dates of an export and its file name.
func (s *Server) exportDates(c *fiber.Ctx, name string) ([]string, string, error) {
	date, from, to := c.Query("date"), c.Query("from_date"), c.Query("to_date")
	if from == "" && to == "" {
		if date == "" {
			d, err := s.today(name)
			if err != nil {
				return nil, "", err
			}
			date = d
		}
		if err := store.ValidDate(date); err != nil {
			return nil, "", badRequest("date", "the date must be YYYY-MM-DD")
		}
		return []string{date}, name + "_" + date + ".csv", nil
	}
	if date != "" {
		return nil, "", badRequest("date", "give either date or from_date and to_date")
	}
	f, err := time.Parse(store.DateLayout, from)
	if err != nil || store.ValidDate(from) != nil {
		return nil, "", badRequest("from_date", "from_date must be YYYY-MM-DD")
	}
	t, err := time.Parse(store.DateLayout, to)
	if err != nil || store.ValidDate(to) != nil {
		return nil, "", badRequest("to_date", "to_date must be YYYY-MM-DD")
	}
	if t.Before(f) {
		return nil, "", badRequest("to_date", "to_date is before from_date")
	}
	if t.Sub(f) > maxExportDays*24*time.Hour {
		return nil, "", badRequest("to_date", fmt.Sprintf("a range covers at most %d days", maxExportDays))
	}
	var dates []string
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(store.DateLayout))
	}
	return dates, name + "_" + from + "_" + to + ".csv", nil
}
