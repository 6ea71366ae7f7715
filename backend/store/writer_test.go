package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNewDayFileHasSpecColumnOrder(t *testing.T) {
	f := func(keep bool, want []string) {
		t.Helper()
		w, dir := openTestWriter(t, time.UTC)
		s := &Schema{Columns: []string{"pppoe", "router_identity", "destination_ip", "destination_port"}, KeepOriginal: keep}
		mustWrite(t, w, s, []Row{{
			ReceivedAt: ns(t, time.UTC, "2024-05-01 01:02:05"),
			SenderIP:   "10.0.0.1",
			Values:     []sql.NullString{str("RRW"), str("T8Y"), str("176.13.130.56"), str("13878")},
			Original:   "the line",
		}})
		checkEqual(t, "columns", fileColumns(t, dir, "2024-05-01"), want)
	}
	f(true, []string{"id", "log_sender_ip", "client", "time", "time_zone", "pppoe", "router_identity", "destination_ip", "destination_port", "original_log", "received_at"})
	f(false, []string{"id", "log_sender_ip", "client", "time", "time_zone", "pppoe", "router_identity", "destination_ip", "destination_port", "received_at"})
}

func TestWriteStoresValuesTimeAndZone(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{Location: loc, TZName: "Asia/Tehran"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s := &Schema{Columns: []string{"a", "b"}, KeepOriginal: true}
	at := ns(t, loc, "2024-05-01 13:14:15")
	mustWrite(t, w, s, []Row{
		{ReceivedAt: at, SenderIP: "10.0.0.1", Client: str("fw1"), Values: []sql.NullString{str("x"), null}, Original: "line 1"},
		{ReceivedAt: at + 999_999_999, SenderIP: "10.0.0.2", Values: []sql.NullString{null, str("y")}, Original: "line 2"},
		{ReceivedAt: at + 1e9, SenderIP: "10.0.0.2", Values: []sql.NullString{str(""), str("z")}, Original: ""},
	})
	got := fileRows(t, dir, "2024-05-01", "id", "log_sender_ip", "client", "time", "time_zone", "a", "b", "original_log", "received_at")
	want := [][]string{
		{"1", "10.0.0.1", "fw1", "13:14:15", "Asia/Tehran", "x", "<nil>", "line 1", fmt.Sprint(at)},
		{"2", "10.0.0.2", "<nil>", "13:14:15", "Asia/Tehran", "<nil>", "y", "line 2", fmt.Sprint(at + 999_999_999)},
		{"3", "10.0.0.2", "<nil>", "13:14:16", "Asia/Tehran", "", "z", "", fmt.Sprint(at + 1e9)},
	}
	checkEqual(t, "rows", got, want)
}

func TestClassEditMidDayAddsColumns(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	at := ns(t, time.UTC, "2024-05-01 10:00:00")
	old := &Schema{Columns: []string{"a", "b"}, KeepOriginal: true}
	mustWrite(t, w, old, []Row{
		{ReceivedAt: at, SenderIP: "s", Values: []sql.NullString{str("a1"), str("b1")}, Original: "o1"},
		{ReceivedAt: at, SenderIP: "s", Values: []sql.NullString{str("a2"), str("b2")}, Original: "o2"},
	})
	// Key b removed, c and d_ip/d_port added.
	edited := &Schema{Columns: []string{"a", "c", "d_ip", "d_port"}, KeepOriginal: true}
	mustWrite(t, w, edited, []Row{
		{ReceivedAt: at + 1e9, SenderIP: "s", Values: []sql.NullString{str("a3"), str("c3"), str("1.2.3.4"), str("80")}, Original: "o3"},
	})
	// A late batch of the old class still lands.
	mustWrite(t, w, old, []Row{
		{ReceivedAt: at + 2e9, SenderIP: "s", Values: []sql.NullString{str("a4"), str("b4")}, Original: "o4"},
	})
	checkEqual(t, "columns", fileColumns(t, dir, "2024-05-01"),
		[]string{"id", "log_sender_ip", "client", "time", "time_zone", "a", "b", "original_log", "received_at", "c", "d_ip", "d_port"})
	checkEqual(t, "rows", fileRows(t, dir, "2024-05-01", "id", "a", "b", "c", "d_ip", "d_port", "original_log"), [][]string{
		{"1", "a1", "b1", "<nil>", "<nil>", "<nil>", "o1"},
		{"2", "a2", "b2", "<nil>", "<nil>", "<nil>", "o2"},
		{"3", "a3", "<nil>", "c3", "1.2.3.4", "80", "o3"},
		{"4", "a4", "b4", "<nil>", "<nil>", "<nil>", "o4"},
	})
}

func TestKeepOriginalTurnedOnAddsColumn(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	at := ns(t, time.UTC, "2024-05-01 10:00:00")
	mustWrite(t, w, &Schema{Columns: []string{"a"}}, []Row{
		{ReceivedAt: at, SenderIP: "s", Values: []sql.NullString{str("a1")}, Original: "not kept"},
	})
	checkEqual(t, "columns", fileColumns(t, dir, "2024-05-01"), []string{"id", "log_sender_ip", "client", "time", "time_zone", "a", "received_at"})
	mustWrite(t, w, &Schema{Columns: []string{"a"}, KeepOriginal: true}, []Row{
		{ReceivedAt: at, SenderIP: "s", Values: []sql.NullString{str("a2")}, Original: "kept"},
	})
	checkEqual(t, "columns", fileColumns(t, dir, "2024-05-01"), []string{"id", "log_sender_ip", "client", "time", "time_zone", "a", "received_at", "original_log"})
	checkEqual(t, "rows", fileRows(t, dir, "2024-05-01", "a", "original_log"), [][]string{{"a1", "<nil>"}, {"a2", "kept"}})
}

func TestRowsRoutedToTheDateOfTheirZone(t *testing.T) {
	f := func(zone, before, after, wantBefore, wantAfter string) {
		t.Helper()
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		w, dir := openTestWriter(t, loc)
		s := &Schema{Columns: []string{"a"}}
		// Interleaved so one Write touches both days twice each.
		mustWrite(t, w, s, []Row{
			{ReceivedAt: ns(t, loc, before), SenderIP: "s", Values: []sql.NullString{str("1")}},
			{ReceivedAt: ns(t, loc, after), SenderIP: "s", Values: []sql.NullString{str("2")}},
			{ReceivedAt: ns(t, loc, before), SenderIP: "s", Values: []sql.NullString{str("3")}},
			{ReceivedAt: ns(t, loc, after), SenderIP: "s", Values: []sql.NullString{str("4")}},
		})
		checkEqual(t, "first day rows", fileRows(t, dir, wantBefore, "a", "time"), [][]string{{"1", before[11:]}, {"3", before[11:]}})
		checkEqual(t, "second day rows", fileRows(t, dir, wantAfter, "a", "time"), [][]string{{"2", after[11:]}, {"4", after[11:]}})
	}
	f("Asia/Tehran", "2024-05-01 23:59:59", "2024-05-02 00:00:00", "2024-05-01", "2024-05-02")
	// Midnight in New York is 04:00 or 05:00 UTC: UTC would put both on one date.
	f("America/New_York", "2024-03-09 23:59:59", "2024-03-10 00:00:01", "2024-03-09", "2024-03-10")
	f("America/New_York", "2024-11-02 23:30:00", "2024-11-03 01:30:00", "2024-11-02", "2024-11-03")
}

func TestWriteRejectsRowsWithWrongValueCount(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	_, err := w.Write(&Schema{Columns: []string{"a", "b"}}, []Row{{ReceivedAt: 1, Values: []sql.NullString{str("x")}}})
	if err == nil {
		t.Fatal("write of a misaligned row succeeded; want an error")
	}
	days, _ := ListDays(dir)
	if len(days) != 0 {
		t.Fatalf("got days %v after a rejected write; want none", days)
	}
}

func TestWriteErrorNamesTheFile(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	// A directory where the day file should be makes opening it fail.
	date := "2024-05-01"
	if err := mkdir(dayPath(dir, date)); err != nil {
		t.Fatal(err)
	}
	_, err := w.Write(&Schema{Columns: []string{"a"}}, []Row{{ReceivedAt: ns(t, time.UTC, date+" 10:00:00"), Values: []sql.NullString{str("x")}}})
	if err == nil || !strings.Contains(err.Error(), dayPath(dir, date)) {
		t.Fatalf("got error %v; want one naming %q", err, dayPath(dir, date))
	}
}

func TestWriteInMultiRowStatementsKeepsEveryRow(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}, KeepOriginal: true}
	at := ns(t, time.UTC, "2024-05-01 10:00:00")
	next := 0
	for _, n := range []int{1, 63, 64, 65, 129, 1000} {
		rows := make([]Row, n)
		for i := range rows {
			rows[i] = Row{ReceivedAt: at, SenderIP: "s", Values: []sql.NullString{str(fmt.Sprint(next))}, Original: "o"}
			next++
		}
		mustWrite(t, w, s, rows)
	}
	got := fileRows(t, dir, "2024-05-01", "id", "a")
	if len(got) != next {
		t.Fatalf("got %d rows; want %d", len(got), next)
	}
	for i, r := range got {
		if r[0] != fmt.Sprint(i+1) || r[1] != fmt.Sprint(i) {
			t.Fatalf("row %d is %q; want [%d %d]", i, r, i+1, i)
		}
	}
}

func TestWriterAppendsToAnExistingDayAfterRestart(t *testing.T) {
	dir := t.TempDir()
	s := &Schema{Columns: []string{"a"}}
	at := ns(t, time.UTC, "2024-05-01 10:00:00")
	for i := range 2 {
		w, err := OpenWriter(dir, Options{Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, w, s, []Row{{ReceivedAt: at, SenderIP: "s", Values: []sql.NullString{str(fmt.Sprint(i))}}})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkEqual(t, "rows", fileRows(t, dir, "2024-05-01", "id", "a"), [][]string{{"1", "0"}, {"2", "1"}})
}

func TestClosedDayGetsIndexesAndTodayNone(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a", "b_ip", "b_port"}, KeepOriginal: true}
	row := func(day string) Row {
		return Row{ReceivedAt: ns(t, time.UTC, day+" 23:00:00"), SenderIP: "s", Values: []sql.NullString{str("1"), str("2"), str("3")}, Original: "o"}
	}
	mustWrite(t, w, s, []Row{row("2024-05-01"), row("2024-05-02")})
	w.CloseDaysBefore("2024-05-02")
	want := []string{"logs_a", "logs_b_ip", "logs_b_port", "logs_time"}
	deadline := time.Now().Add(10 * time.Second)
	var got []string
	for {
		got = fileIndexes(t, dir, "2024-05-01")
		if len(got) == len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not synchronising
	}
	checkEqual(t, "indexes of the closed day", got, want)
	// Today stays append-only and writable.
	mustWrite(t, w, s, []Row{row("2024-05-02")})
	checkEqual(t, "indexes of today", fileIndexes(t, dir, "2024-05-02"), []string(nil))
	if n := len(fileRows(t, dir, "2024-05-02", "id")); n != 2 {
		t.Fatalf("got %d rows today; want 2", n)
	}
}

func TestCloseWaitsForIndexBuildAndRejectsWrites(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Schema{Columns: []string{"a"}}
	mustWrite(t, w, s, []Row{{ReceivedAt: ns(t, time.UTC, "2024-05-01 10:00:00"), Values: []sql.NullString{str("1")}}})
	w.CloseDaysBefore("2024-05-02")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(s, []Row{{Values: []sql.NullString{str("1")}}}); err == nil {
		t.Fatal("write after Close succeeded; want an error")
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// fileIndexes returns the sorted index names of a day file.
func fileIndexes(t *testing.T, dir, date string) []string {
	t.Helper()
	db, err := openReadOnly(dayPath(dir, date))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'logs' AND sql IS NOT NULL ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

func TestDayFileUsesWALAndLargePages(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Schema{Columns: []string{"a"}}
	if _, err := w.Write(s, []Row{{ReceivedAt: 1, SenderIP: "127.0.0.1", Values: []sql.NullString{{String: "x", Valid: true}}}}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "1970-01-01.sqlite3")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var page int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("got journal_mode %q (%v); want wal", mode, err)
	}
	if err := db.QueryRow("PRAGMA page_size").Scan(&page); err != nil || page != 16384 {
		t.Fatalf("got page_size %d (%v); want 16384", page, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDaysClosedByARestartGetIndexed(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Schema{Columns: []string{"a"}}
	mustWrite(t, w, s, []Row{{ReceivedAt: ns(t, time.UTC, "2024-05-01 10:00:00"), Values: []sql.NullString{str("1")}}})
	if err := w.Close(); err != nil { // a restart: the day was never closed by a rollover
		t.Fatal(err)
	}
	if got := fileIndexes(t, dir, "2024-05-01"); len(got) != 0 {
		t.Fatalf("indexes before the restart: %v; want none", got)
	}
	w2, err := OpenWriter(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if err := w2.IndexClosedDays("2024-05-02"); err != nil {
		t.Fatal(err)
	}
	want := "logs_a,logs_time"
	deadline := time.Now().Add(10 * time.Second)
	for strings.Join(fileIndexes(t, dir, "2024-05-01"), ",") != want {
		if time.Now().After(deadline) {
			t.Fatalf("unexpected indexes %v; want %s", fileIndexes(t, dir, "2024-05-01"), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWriterKeepsFewInsertStatements: batches of every size from 1 to 130
// rows are stored whole and in order with at most 7 prepared INSERTs in the
// day file (64 rows, then powers of two), not one per remainder.
func TestWriterKeepsFewInsertStatements(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"a"}}
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	total := 0
	for n := 1; n <= 130; n++ {
		rows := make([]Row, n)
		for i := range rows {
			rows[i] = Row{ReceivedAt: at, SenderIP: "10.0.0.1", Values: []sql.NullString{str(strconv.Itoa(total + i))}}
		}
		mustWrite(t, w, s, rows)
		total += n
	}
	d := w.days[queryDate]
	if got := len(d.w.stmts); got > 7 {
		t.Fatalf("%d prepared statements after batches of 1..130 rows; want at most 7", got)
	}
	db, err := sql.Open("sqlite3", fileDSN(dayPath(dir, queryDate), "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query("SELECT a FROM logs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	i := 0
	for ; rs.Next(); i++ {
		var a string
		if err := rs.Scan(&a); err != nil {
			t.Fatal(err)
		}
		if a != strconv.Itoa(i) {
			t.Fatalf("unexpected row %d; got a=%q; want %d", i, a, i)
		}
	}
	if i != total {
		t.Fatalf("unexpected rows; got %d; want %d", i, total)
	}
}
