package store

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeDays writes n rows to each date (n = index+1) and closes the writer.
func writeDays(t *testing.T, dir string, dates ...string) {
	t.Helper()
	w, err := OpenWriter(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Schema{Columns: []string{"a"}, KeepOriginal: true}
	for i, d := range dates {
		rows := make([]Row, i+1)
		for j := range rows {
			rows[j] = Row{ReceivedAt: ns(t, time.UTC, d+" 12:00:00"), SenderIP: "s", Values: []sql.NullString{str("v")}, Original: "o"}
		}
		mustWrite(t, w, s, rows)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestValidDate(t *testing.T) {
	f := func(s string, ok bool) {
		t.Helper()
		err := ValidDate(s)
		if (err == nil) != ok {
			t.Fatalf("ValidDate(%q) = %v; want ok=%v", s, err, ok)
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "date") {
			t.Fatalf("ValidDate(%q) = %#v; want a *FieldError on date", s, err)
		}
	}
	f("2024-02-29", true)
	f("1999-12-31", true)
	f("2024-02-30", false)
	f("2023-02-29", false)
	f("2024-13-01", false)
	f("2024-00-10", false)
	f("2024-1-01", false)
	f("2024-01-1", false)
	f("24-01-01", false)
	f("2024/01/01", false)
	f("../x", false)
	f("../2024-01-01", false)
	f("2024-01-01/..", false)
	f("", false)
	f("+024-01-01", false)
}

func TestListDaysNewestFirstWithRowsAndBytes(t *testing.T) {
	dir := t.TempDir()
	writeDays(t, dir, "2024-05-01", "2024-05-03", "2024-05-02")
	// Files that are not day files are ignored.
	for _, name := range []string{"notes.txt", "2024-13-01.sqlite3", "2024-05-04.sqlite3-wal"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	days, err := ListDays(dir)
	if err != nil {
		t.Fatal(err)
	}
	var dates []string
	var rows []int64
	for _, d := range days {
		dates = append(dates, d.Date)
		rows = append(rows, d.Rows)
		if d.Bytes <= 0 {
			t.Fatalf("day %s has %d bytes; want > 0", d.Date, d.Bytes)
		}
	}
	checkEqual(t, "dates", dates, []string{"2024-05-03", "2024-05-02", "2024-05-01"})
	checkEqual(t, "rows", rows, []int64{2, 3, 1})
}

func TestListDaysOfMissingDirIsEmpty(t *testing.T) {
	days, err := ListDays(filepath.Join(t.TempDir(), "none"))
	if err != nil || len(days) != 0 {
		t.Fatalf("got %v, %v; want no days and no error", days, err)
	}
}

func TestListDaysSeesTheOpenDay(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	mustWrite(t, w, &Schema{Columns: []string{"a"}}, []Row{
		{ReceivedAt: ns(t, time.UTC, "2024-05-01 10:00:00"), Values: []sql.NullString{str("1")}},
		{ReceivedAt: ns(t, time.UTC, "2024-05-01 10:00:00"), Values: []sql.NullString{str("2")}},
	})
	days, err := ListDays(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || days[0].Rows != 2 {
		t.Fatalf("got %+v; want one day of 2 rows", days)
	}
}

func TestDeleteDayRemovesFileWalAndShm(t *testing.T) {
	dir := t.TempDir()
	writeDays(t, dir, "2024-05-01", "2024-05-02")
	path := dayPath(dir, "2024-05-01")
	for _, side := range []string{"-wal", "-shm"} {
		if err := os.WriteFile(path+side, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := DeleteDay(dir, "2024-05-01"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s still exists (%v)", p, err)
		}
	}
	days, _ := ListDays(dir)
	if len(days) != 1 || days[0].Date != "2024-05-02" {
		t.Fatalf("got days %+v; want only 2024-05-02", days)
	}
	if err := DeleteDay(dir, "2024-05-01"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("deleting a missing day: got %v; want fs.ErrNotExist", err)
	}
}

func TestDeleteDayRejectsBadDates(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "engines", "e")
	writeDays(t, dir, "2024-05-01")
	victim := filepath.Join(root, "engines", "x.sqlite3")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, date := range []string{"../x", "2024-13-01", "2024-02-30", "", "2024-05-01/../../x", "2024-5-01"} {
		err := DeleteDay(dir, date)
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("DeleteDay(%q) = %v; want a *FieldError", date, err)
		}
	}
	if _, err := os.Stat(victim); err != nil {
		t.Fatalf("file outside the engine dir was touched: %v", err)
	}
	if _, err := os.Stat(dayPath(dir, "2024-05-01")); err != nil {
		t.Fatalf("day file was touched: %v", err)
	}
}

func TestSweepKeepsTheMostRecentDatesIncludingToday(t *testing.T) {
	f := func(retention int, wantDeleted, wantLeft []string) {
		t.Helper()
		dir := t.TempDir()
		writeDays(t, dir, "2024-04-28", "2024-04-30", "2024-05-01", "2024-05-02", "2024-05-03")
		deleted, err := Sweep(dir, "2024-05-03", retention)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "deleted", deleted, wantDeleted)
		days, err := ListDays(dir)
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for _, d := range days {
			left = append(left, d.Date)
		}
		checkEqual(t, "left", left, wantLeft)
	}
	all := []string{"2024-05-03", "2024-05-02", "2024-05-01", "2024-04-30", "2024-04-28"}
	f(0, nil, all)
	f(1, []string{"2024-04-28", "2024-04-30", "2024-05-01", "2024-05-02"}, []string{"2024-05-03"})
	f(3, []string{"2024-04-28", "2024-04-30"}, []string{"2024-05-03", "2024-05-02", "2024-05-01"})
	f(4, []string{"2024-04-28"}, []string{"2024-05-03", "2024-05-02", "2024-05-01", "2024-04-30"})
	f(30, nil, all)
}
