package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/store"
)

// maxExportDays bounds a date-range export.
const maxExportDays = 3660

// logQuery reads the shared filters of /logs and export.csv: q, match, filter (repeatable,
// col:text substring or col=text exact), from, to, order; ed gives the class order.
func logQuery(c *fiber.Ctx, ed factory.EngineDays) (store.Query, error) {
	q := store.Query{Q: c.Query("q"), From: c.Query("from"), To: c.Query("to"), Desc: true}
	switch q.Match = c.Query("match"); q.Match {
	case "", store.MatchSubstring, store.MatchWord:
	default:
		return q, badRequest("match", `match must be "substring" or "word"`)
	}
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
	q.Order = ed.Order
	return q, nil
}

// engineQuery reads the engine of the route and the search parameters shared by
// /logs, /histogram and export.csv (logQuery).
func (s *Server) engineQuery(c *fiber.Ctx) (string, factory.EngineDays, store.Query, error) {
	name, err := engineParam(c)
	if err != nil {
		return "", factory.EngineDays{}, store.Query{}, err
	}
	ed, err := s.engineDays(name)
	if err != nil {
		return "", factory.EngineDays{}, store.Query{}, err
	}
	q, err := logQuery(c, ed)
	return name, ed, q, err
}

// today is the date now in the engine's timezone.
func (s *Server) today(ed factory.EngineDays) string {
	return s.d.Now().In(ed.Location).Format(store.DateLayout)
}

// engineDays asks the factory, once per request, for the engine's day files, class
// order and timezone.
func (s *Server) engineDays(name string) (factory.EngineDays, error) {
	return s.d.Factory.Days(name)
}

// engineGone answers a request whose engine was deleted while it ran: its day files
// were closed.
func engineGone(name string, err error) error {
	if errors.Is(err, store.ErrClosed) {
		return &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("engine %q does not exist", name)}
	}
	return err
}

// dayNotFound is the 404 of a day without a file. It names the engine and the date only:
// the file-system error behind it holds the path of the data dir.
func dayNotFound(name, date string) error {
	return &Error{Status: http.StatusNotFound, Field: "date", Msg: fmt.Sprintf("engine %q has no logs for %s", name, date)}
}

// queryLogs: GET /engines/:name/logs — one page of a day's rows (in a cluster, of
// every store node's, merged: cluster_logs.go).
func (s *Server) queryLogs(c *fiber.Ctx) error {
	name, ed, q, err := s.engineQuery(c)
	if err != nil {
		return err
	}
	if q.Limit, err = intQuery(c, "limit", store.DefaultLimit, 1, store.MaxLimit); err != nil {
		return err
	}
	q.Cursor = c.Query("cursor")
	tr, err := s.rangeParams(c, ed, "date", "from", "to")
	if err != nil {
		return err
	}
	if !tr.set {
		if q.Date = c.Query("date"); q.Date == "" {
			q.Date = s.today(ed)
		} else if err := store.ValidDate(q.Date); err != nil {
			return badRequest("date", "the date must be YYYY-MM-DD")
		}
	}
	local := func(ctx context.Context, q store.Query) (*store.Page, error) {
		if tr.set {
			return ed.Days.QueryRange(ctx, store.RangeQuery{Query: q, Start: tr.start, End: tr.end})
		}
		page, err := ed.Days.Query(ctx, q)
		if errors.Is(err, fs.ErrNotExist) {
			return emptyPage(ed), nil
		}
		return page, err
	}
	if s.fansOut(c) {
		return s.fanLogs(c, name, q, tr, local, func(ctx context.Context, p *store.Page) ([]string, error) {
			return pageBatches(ctx, ed.Days, p, q.Date, tr.set)
		})
	}
	var batches func(*store.Page) ([]string, error)
	if c.Locals(peerLocal) != nil {
		// Another node merges this page: it drops a batch two nodes hold.
		batches = func(p *store.Page) ([]string, error) {
			return pageBatches(c.UserContext(), ed.Days, p, q.Date, tr.set)
		}
	}
	return s.sendLogsPage(c, name, func() (*store.Page, error) { return local(c.UserContext(), q) }, batches)
}

// sendLogsPage answers with the page query returns, streamed (writeLogsPage),
// with the batch of each row when batches is set (a peer's request).
func (s *Server) sendLogsPage(c *fiber.Ctx, name string, query func() (*store.Page, error), batches func(*store.Page) ([]string, error)) error {
	page, err := query()
	if err != nil {
		return engineGone(name, err)
	}
	var rowBatches []string
	if batches != nil {
		if rowBatches, err = batches(page); err != nil {
			// The page is still right; the merging node drops no copy of it.
			s.d.Log.Warn("cannot read the batches of a page's rows; sent without them", "engine", name, "err", err)
			rowBatches = nil
		}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := writeLogsPage(w, page, rowBatches); err != nil {
			s.d.Log.Debug("logs page not fully sent", "engine", name, "err", err)
		}
	})
	return nil
}

// writeLogsPage writes page as the JSON of GET /logs, {columns, rows, next_cursor,
// limit_reason}, one row at a time, so that no second copy of the page is built in
// memory; each row is released once written. Invalid UTF-8 in a cell becomes U+FFFD
// (encoding/json). rowBatches, when not nil, is added as row_batches.
func writeLogsPage(w *bufio.Writer, page *store.Page, rowBatches []string) error {
	enc := json.NewEncoder(w)
	w.WriteString(`{"columns":`)
	if err := enc.Encode(page.Columns); err != nil {
		return err
	}
	w.WriteString(`,"rows":[`)
	for i, row := range page.Rows {
		if i > 0 {
			w.WriteByte(',')
		}
		if err := enc.Encode(row); err != nil {
			return err
		}
		page.Rows[i] = nil
	}
	w.WriteString(`],"next_cursor":`)
	if err := enc.Encode(page.NextCursor); err != nil {
		return err
	}
	w.WriteString(`,"limit_reason":`)
	var reason *string
	if page.LimitReason != "" {
		reason = &page.LimitReason
	}
	if err := enc.Encode(reason); err != nil {
		return err
	}
	if rowBatches != nil {
		w.WriteString(`,"row_batches":`)
		if err := enc.Encode(rowBatches); err != nil {
			return err
		}
	}
	w.WriteByte('}')
	return w.Flush()
}

// emptyPage is the page of a day without a file (no log arrived that day): no rows and
// the columns such a day would have.
func emptyPage(ed factory.EngineDays) *store.Page {
	cols := append([]string{class.ColID}, class.ShownColumns(ed.Order, ed.KeepOriginal)...)
	return &store.Page{Columns: cols, Rows: [][]*string{}}
}

// exportCSV: GET /engines/:name/export.csv — streams every matching row of one day (date)
// or of a range (from_date, to_date) as RFC 4180 CSV in constant memory. Invalid input is
// reported with a JSON error before the first byte of CSV.
func (s *Server) exportCSV(c *fiber.Ctx) error {
	name, ed, q, err := s.engineQuery(c)
	if err != nil {
		return err
	}
	tr, err := s.rangeParams(c, ed, "date", "from", "to", "from_date", "to_date")
	if err != nil {
		return err
	}
	if c.Locals(peerLocal) != nil && c.Query("row_ids") == "1" {
		q.RowIDs = true // for a cluster's merge (cluster_export.go)
	}
	var dates []string
	var filename string
	exportOf := func(q store.Query) func(ctx context.Context, w io.Writer) error {
		if tr.set {
			return func(ctx context.Context, w io.Writer) error {
				return ed.Days.ExportRange(ctx, w, store.RangeQuery{Query: q, Start: tr.start, End: tr.end})
			}
		}
		return func(ctx context.Context, w io.Writer) error { return ed.Days.Export(ctx, w, dates, q) }
	}
	export := exportOf(q)
	if tr.set {
		filename = name + "_" + rangeName(tr.start, "begin") + "_" + rangeName(tr.end, s.today(ed)) + ".csv"
	} else if dates, filename, err = s.exportDates(c, name, ed); err != nil {
		return err
	}

	var fo *csvFanOut
	if s.fansOut(c) {
		fo = s.prepareCSVFanOut(c, q, tr, dates)
		fo.days = ed.Days
		withIDs := q
		withIDs.RowIDs = true
		local, localIDs := export, exportOf(withIDs)
		export = func(ctx context.Context, w io.Writer) error { return s.mergeCSV(ctx, w, fo, local, localIDs) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(export(ctx, pw)) }()
	buf := make([]byte, 256<<10) // one write and flush to the client per 256 KiB
	n, rerr := pr.Read(buf)      // returns once the export validated its input and wrote, or failed
	if n == 0 && rerr != nil && rerr != io.EOF {
		cancel()
		if errors.Is(rerr, fs.ErrNotExist) && len(dates) == 1 {
			return dayNotFound(name, dates[0])
		}
		return engineGone(name, rerr)
	}
	if fo != nil {
		setPartialHeader(c, newPartial(fo.missing, nil))
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

// rangeName is the part of an export's file name for one end of a range: the date-time
// without colons (YYYY-MM-DDTHHMMSS); open when bound is empty.
func rangeName(bound, open string) string {
	if bound == "" {
		return open
	}
	return strings.NewReplacer(":", "").Replace(bound)
}

// exportDates returns the dates of an export and its file name.
func (s *Server) exportDates(c *fiber.Ctx, name string, ed factory.EngineDays) ([]string, string, error) {
	date, from, to := c.Query("date"), c.Query("from_date"), c.Query("to_date")
	if from == "" && to == "" {
		if date == "" {
			date = s.today(ed)
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
