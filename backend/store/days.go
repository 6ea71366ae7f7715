package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// DayInfo describes one day file.
type DayInfo struct {
	Date  string `json:"date"`
	Rows  int64  `json:"rows"`  // rows in the file, read without counting them (see dayRows)
	Bytes int64  `json:"bytes"` // size of the file plus its WAL
}

// dayDates returns the dates of the day files in dir, oldest first; none
// when dir does not exist.
func dayDates(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list day files in %q: %w", dir, err)
	}
	var dates []string
	for _, e := range ents {
		date, ok := strings.CutSuffix(e.Name(), fileExt)
		if !ok || !e.Type().IsRegular() || ValidDate(date) != nil {
			continue
		}
		dates = append(dates, date)
	}
	slices.Sort(dates)
	return dates, nil
}

// ListDays returns the day files of dir, newest first. Rows is read with a
// cheap query (the highest id) on a read-only connection.
func ListDays(dir string) ([]DayInfo, error) {
	dates, err := dayDates(dir)
	if err != nil {
		return nil, err
	}
	days := make([]DayInfo, 0, len(dates))
	for i := len(dates) - 1; i >= 0; i-- {
		date := dates[i]
		path := dayPath(dir, date)
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("cannot stat day file %q: %w", path, err)
		}
		info := DayInfo{Date: date, Bytes: st.Size()}
		if wal, err := os.Stat(path + "-wal"); err == nil {
			info.Bytes += wal.Size()
		}
		info.Rows, err = dayRows(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		days = append(days, info)
	}
	return days, nil
}

// dayRows returns the rows of the day file at path (0 when empty) without
// counting them: max(id), since ids run 1, 2, 3... in a file nobody purged.
// After a purge, the count recorded then (see recordRowCount) plus the rows
// inserted since.
func dayRows(path string) (int64, error) {
	db, err := openReadOnly(path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ctx := context.Background()
	var n sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT max(id) FROM logs").Scan(&n); err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return 0, nil
		}
		return 0, fmt.Errorf("cannot count rows of day file %q: %w", path, err)
	}
	var rows, maxID int64
	err = db.QueryRowContext(ctx, "SELECT rows, max_id FROM "+rowCountTable+" WHERE id = 1").Scan(&rows, &maxID)
	switch {
	case err == nil:
		return rows + max(0, n.Int64-maxID), nil
	case errors.Is(err, sql.ErrNoRows) || strings.Contains(err.Error(), "no such table"):
		return n.Int64, nil
	default:
		return 0, fmt.Errorf("cannot count rows of day file %q: %w", path, err)
	}
}

// openReadOnly opens the day file at path read-only; a missing file is an
// error wrapping fs.ErrNotExist.
func openReadOnly(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("cannot open day file %q: %w", path, err)
	}
	db, err := sql.Open("sqlite3", fileDSN(path, "mode=ro&_busy_timeout=5000"))
	if err != nil {
		return nil, fmt.Errorf("cannot open day file %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// DeleteDay removes the day file of date from dir with its -wal and -shm
// files. date must be a strict YYYY-MM-DD date (*FieldError otherwise); a
// missing day is an error wrapping fs.ErrNotExist.
func DeleteDay(dir, date string) error {
	if err := ValidDate(date); err != nil {
		return err
	}
	path := dayPath(dir, date)
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("cannot delete day %q: %w", date, err)
	}
	for _, side := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + side); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot delete day %q: %w", date, err)
		}
	}
	return nil
}
