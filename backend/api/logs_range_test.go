package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

func TestLogsRangePagesEveryRowOnceAcrossDays(t *testing.T) {
	e := rangeEngine(t)
	var want []string // date:index of the row, oldest first
	for i := 120; i < 150; i++ {
		want = append(want, fmt.Sprintf("2026-03-01:%d", i))
	}
	for i := range 100 {
		want = append(want, fmt.Sprintf("2026-03-02:%d", i))
	}
	for i := range 11 {
		want = append(want, fmt.Sprintf("2026-03-04:%d", i))
	}
	for _, order := range []string{"asc", "desc"} {
		query := "start=2026-03-01T10:02&end=2026-03-04T10:00:10&limit=7&order=" + order
		var got []string
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatal("too many pages")
			}
			p := e.logs(t, "rg", query)
			if strings.Join(p.Columns[:2], ",") != "id,date" || col(p, "original_log") < 0 || col(p, "msg") < 0 {
				t.Fatalf("range columns; got %v; want id, date, then the shown columns", p.Columns)
			}
			if len(p.Rows) > 7 {
				t.Fatalf("page of %d rows; want at most 7", len(p.Rows))
			}
			for _, r := range p.Rows {
				date, orig := *r[1], *r[col(p, "original_log")]
				var d string
				var i int
				if _, err := fmt.Sscanf(orig, "%s row %d", &d, &i); err != nil || d != date || *r[0] != strconv.Itoa(i+1) {
					t.Fatalf("row %v: date or id does not match its original %q", *r[0], orig)
				}
				got = append(got, fmt.Sprintf("%s:%d", date, i))
			}
			if p.NextCursor == nil {
				break
			}
			query = "start=2026-03-01T10:02&end=2026-03-04T10:00:10&limit=7&order=" + order + "&cursor=" + url.QueryEscape(*p.NextCursor)
		}
		w := want
		if order == "desc" {
			w = nil
			for i := len(want) - 1; i >= 0; i-- {
				w = append(w, want[i])
			}
		}
		if strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("order=%s rows; got %v; want %v", order, got, w)
		}
	}
	// A single day keeps its columns.
	if p := e.logs(t, "rg", "date=2026-03-01&limit=1"); p.Columns[1] == "date" {
		t.Errorf("date query columns; got %v; want no date column", p.Columns)
	}
}

func TestRangeParamsAreChecked(t *testing.T) {
	e := rangeEngine(t)
	var sc []apitest.Scenario
	bad := func(route, query, field string) {
		sc = append(sc, apitest.Scenario{Name: route + "?" + query, Request: apitest.Request{Method: "GET",
			Path: "/api/v1/engines/rg/" + route + "?" + query, Token: e.viewer}, Status: 400, Field: field})
	}
	for _, route := range []string{"logs", "histogram", "export.csv"} {
		bad(route, "start=2026-03-01", "start")
		bad(route, "start=2026-03-01T10:00:00Z", "start")
		bad(route, "start=2026-03-01T9:00", "start")
		bad(route, "end=2026-02-30T10:00", "end")
		bad(route, "start=2026-03-02T00:00&end=2026-03-01T00:00", "end")
		bad(route, "last=15m&date=2026-03-01", "last")
		bad(route, "start=2026-03-01T00:00&from=10:00:00", "start")
		bad(route, "end=2026-03-01T00:00&to=10:00:00", "end")
		bad(route, "last=15m&start=2026-03-01T00:00", "last")
		bad(route, "last=500d", "last")
		bad(route, "last=401d", "last")
		bad(route, "last=0m", "last")
		bad(route, "last=15", "last")
		bad(route, "last=15w", "last")
		bad(route, "last=99999999999999s", "last")
		bad(route, "start=2024-01-01T00:00&end=2026-03-01T00:00", "end")
	}
	bad("export.csv", "last=1d&from_date=2026-03-01", "last")
	bad("logs", "start=2026-03-01T00:00&cursor=12", "cursor")
	bad("logs", "start=2026-03-01T00:00&cursor=2026-02-01:12", "cursor")
	bad("logs", "start=2026-03-01T00:00&cursor=2026-03-01:x", "cursor")
	sc = append(sc, apitest.Scenario{Name: "last=400d is allowed", Request: apitest.Request{Method: "GET",
		Path: "/api/v1/engines/rg/histogram?last=400d", Token: e.viewer}, Status: 200, Contains: []string{`"complete":true`}})
	e.Run(t, sc)
}

func TestExportCSVOfARange(t *testing.T) {
	e := rangeEngine(t)
	r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/engines/rg/export.csv?order=asc&start=2026-03-01T10:02&end=2026-03-04T10:00:10",
		Token: e.viewer})
	if r.Status != 200 {
		t.Fatalf("export; got %d %s", r.Status, r.Body)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="rg_2026-03-01T100200_2026-03-04T100010.csv"` {
		t.Errorf("Content-Disposition; got %q", cd)
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "date" || len(recs) != 1+30+100+11 {
		t.Fatalf("export; got header %v and %d rows; want date first and 141 rows", recs[0], len(recs)-1)
	}
	if first, last := recs[1], recs[len(recs)-1]; first[0] != "2026-03-01" || first[3] != "10:02:00" || last[0] != "2026-03-04" || last[3] != "10:00:10" {
		t.Errorf("export ends; got %v .. %v", first, last)
	}
}
