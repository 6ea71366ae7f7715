package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
)

// The tests below predate Days and reach the day files of a directory by
// path. These shims run each call through the Days of the writer the test
// opened on that directory (openTestWriter), so a delete still coordinates
// with that writer, or through a Days of their own.

var testDays struct {
	sync.Mutex
	m map[string]*Days
}

// registerDays makes ds the Days the shims use for its directory until the
// test ends.
func registerDays(t testing.TB, ds *Days) {
	testDays.Lock()
	if testDays.m == nil {
		testDays.m = map[string]*Days{}
	}
	testDays.m[ds.Dir()] = ds
	testDays.Unlock()
	t.Cleanup(func() {
		testDays.Lock()
		delete(testDays.m, ds.Dir())
		testDays.Unlock()
	})
}

// withDays runs fn on the registered Days of dir, or on a new one.
func withDays[T any](dir string, fn func(*Days) (T, error)) (T, error) {
	testDays.Lock()
	ds := testDays.m[dir]
	testDays.Unlock()
	if ds == nil {
		ds = NewDays(dir)
		defer ds.Close()
	}
	return fn(ds)
}

func QueryDay(ctx context.Context, dir string, q Query) (*Page, error) {
	return withDays(dir, func(ds *Days) (*Page, error) { return ds.Query(ctx, q) })
}

func ExportCSV(ctx context.Context, w io.Writer, dir string, dates []string, q Query) error {
	_, err := withDays(dir, func(ds *Days) (struct{}, error) { return struct{}{}, ds.Export(ctx, w, dates, q) })
	return err
}

func ListDays(dir string) ([]DayInfo, error) {
	return withDays(dir, func(ds *Days) ([]DayInfo, error) { return ds.List(context.Background()) })
}

func DeleteDay(dir, date string) error {
	_, err := withDays(dir, func(ds *Days) (struct{}, error) { return struct{}{}, ds.Delete(date) })
	return err
}

func Sweep(dir string, today string, retentionDays int) ([]string, error) {
	return withDays(dir, func(ds *Days) ([]string, error) { return ds.Sweep(today, retentionDays) })
}

func PurgeClient(ctx context.Context, dir, client string, progress PurgeProgress) (int64, error) {
	return withDays(dir, func(ds *Days) (int64, error) { return ds.PurgeClient(ctx, client, progress) })
}

func CountByClient(ctx context.Context, dir string) (map[string]int64, error) {
	return withDays(dir, func(ds *Days) (map[string]int64, error) { return ds.CountByClient(ctx) })
}

func ForgetClientCounts(dir string) {
	_, _ = withDays(dir, func(ds *Days) (struct{}, error) { ds.forgetClientCounts(); return struct{}{}, nil })
}

// openReadOnly opens the day file at path read-only.
func openReadOnly(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("cannot open day file %q: %w", path, err)
	}
	db, err := sql.Open("sqlite3", fileDSN(path, "mode=ro&_busy_timeout=5000"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}
