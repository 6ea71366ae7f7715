package factory

import (
	"context"

	"github.com/logsieve/logsieve/backend/store"
)

// listDays lists the day files of dir through a Days of its own (a read-only
// look from outside the factory).
func listDays(dir string) ([]store.DayInfo, error) {
	ds := store.NewDays(dir)
	defer ds.Close()
	return ds.List(context.Background())
}
