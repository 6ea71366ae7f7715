package store

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"errors"
	"io/fs"
	"testing"
	"time"
)

// exportFixture writes 2024-05-01 (keys a, b; tricky cells) and 2024-05-03
// (keys a, c) and returns the dir.
func exportFixture(t *testing.T) string {
	t.Helper()
	w, dir := openTestWriter(t, time.UTC)
	s1 := &Schema{Columns: []string{"a", "b"}, KeepOriginal: true}
	at := ns(t, time.UTC, "2024-05-01 08:00:00")
	cells := []sql.NullString{
		str(`he said "hi", then left`), str("multi\nline"), str("=1+2"), str("-5"), str("@x"), str("\tTab"), str("\rCR"), null, str("plain"),
	}
	var rows []Row
	for i, c := range cells {
		rows = append(rows, Row{ReceivedAt: at + int64(i)*1e9, SenderIP: "10.0.0.1", Values: []sql.NullString{str("k"), c}, Original: "o"})
	}
	mustWrite(t, w, s1, rows)
	s2 := &Schema{Columns: []string{"a", "c"}, KeepOriginal: true}
	mustWrite(t, w, s2, []Row{{ReceivedAt: ns(t, time.UTC, "2024-05-03 09:00:00"), SenderIP: "10.0.0.2", Client: str("fw"), Values: []sql.NullString{str("k3"), str("c3")}, Original: "o3"}})
	return dir
}

// exportRecords runs ExportCSV and parses its output back.
func exportRecords(t *testing.T, dir string, dates []string, q Query) [][]string {
	t.Helper()
	var buf bytes.Buffer
	if err := ExportCSV(t.Context(), &buf, dir, dates, q); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&buf)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, buf.String())
	}
	return recs
}

func TestExportCSVOneDayQuotesAndDefusesCells(t *testing.T) {
	dir := exportFixture(t)
	got := exportRecords(t, dir, []string{"2024-05-01"}, Query{Order: []string{"a", "b"}})
	head := []string{"10.0.0.1", "", "", "UTC", "k"}
	row := func(clock, b string) []string {
		r := append([]string{}, head...)
		r[2] = clock
		return append(r, b, "o")
	}
	checkEqual(t, "records", got, [][]string{
		{"log_sender_ip", "client", "time", "time_zone", "a", "b", "original_log"},
		row("08:00:00", `he said "hi", then left`),
		row("08:00:01", "multi\nline"),
		row("08:00:02", "'=1+2"),
		row("08:00:03", "'-5"),
		row("08:00:04", "'@x"),
		row("08:00:05", "'\tTab"),
		row("08:00:06", "'\rCR"),
		row("08:00:07", ""),
		row("08:00:08", "plain"),
	})
}

func TestExportCSVAppliesFiltersAndOrder(t *testing.T) {
	dir := exportFixture(t)
	got := exportRecords(t, dir, []string{"2024-05-01"}, Query{Order: []string{"a", "b"}, Q: "LINE", Desc: true,
		Filters: []Filter{{Column: "time", Text: "08:00:0"}}})
	if len(got) != 2 || got[1][5] != "multi\nline" {
		t.Fatalf("got %q; want the header and the multi-line row", got)
	}
	got = exportRecords(t, dir, []string{"2024-05-01"}, Query{Order: []string{"a", "b"}, Desc: true, From: "08:00:07"})
	if len(got) != 3 || got[1][2] != "08:00:08" || got[2][2] != "08:00:07" {
		t.Fatalf("got %q; want the two last rows newest first", got)
	}
}

func TestExportCSVDateRangeAddsDateAndSkipsMissingDays(t *testing.T) {
	dir := exportFixture(t)
	got := exportRecords(t, dir, []string{"2024-05-01", "2024-05-02", "2024-05-03"}, Query{Order: []string{"a", "c"}, Filters: []Filter{{Column: "a", Text: "k"}}, To: "08:00:00"})
	checkEqual(t, "records", got, [][]string{
		{"date", "log_sender_ip", "client", "time", "time_zone", "a", "c", "b", "original_log"},
		{"2024-05-01", "10.0.0.1", "", "08:00:00", "UTC", "k", "", `he said "hi", then left`, "o"},
	})
	got = exportRecords(t, dir, []string{"2024-05-01", "2024-05-02", "2024-05-03"}, Query{Order: []string{"a", "c"}, From: "09:00:00"})
	checkEqual(t, "records", got, [][]string{
		{"date", "log_sender_ip", "client", "time", "time_zone", "a", "c", "b", "original_log"},
		{"2024-05-03", "10.0.0.2", "fw", "09:00:00", "UTC", "k3", "c3", "", "o3"},
	})
}

func TestExportCSVErrorsBeforeWriting(t *testing.T) {
	dir := exportFixture(t)
	f := func(dates []string, q Query, check func(error) bool) {
		t.Helper()
		var buf bytes.Buffer
		err := ExportCSV(t.Context(), &buf, dir, dates, q)
		if !check(err) {
			t.Fatalf("ExportCSV(%q) = %v; want another error", dates, err)
		}
		if buf.Len() != 0 {
			t.Fatalf("wrote %q before failing; want nothing", buf.String())
		}
	}
	isField := func(field string) func(error) bool {
		return func(err error) bool {
			var fe *FieldError
			return errors.As(err, &fe) && fe.Field == field
		}
	}
	f([]string{"2024-05-02"}, Query{}, func(err error) bool { return errors.Is(err, fs.ErrNotExist) })
	f([]string{"2024-05-01"}, Query{Filters: []Filter{{Column: "zz", Text: "x"}}}, isField("filter"))
	f([]string{"2024-05-01", "2024-05-03"}, Query{Filters: []Filter{{Column: "zz", Text: "x"}}}, isField("filter"))
	f([]string{"2024-05-01", "2024-13-01"}, Query{}, isField("date"))
	f(nil, Query{}, isField("date"))
	f([]string{"2024-05-01"}, Query{From: "8:00"}, isField("from"))
}

func TestExportCSVDateRangeNewestFirst(t *testing.T) {
	dir := exportFixture(t)
	got := exportRecords(t, dir, []string{"2024-05-03", "2024-05-01"}, Query{Order: []string{"a", "c"}, Desc: true, From: "08:00:07"})
	var order []string
	for _, r := range got[1:] {
		order = append(order, r[0]+" "+r[3])
	}
	checkEqual(t, "rows", order, []string{"2024-05-03 09:00:00", "2024-05-01 08:00:08", "2024-05-01 08:00:07"})
	got = exportRecords(t, dir, []string{"2024-05-03", "2024-05-01"}, Query{Order: []string{"a", "c"}, From: "08:00:07"})
	order = nil
	for _, r := range got[1:] {
		order = append(order, r[0]+" "+r[3])
	}
	checkEqual(t, "rows", order, []string{"2024-05-01 08:00:07", "2024-05-01 08:00:08", "2024-05-03 09:00:00"})
}
