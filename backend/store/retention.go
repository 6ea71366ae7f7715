package store

import (
	"errors"
	"time"
)

// Sweep deletes the day files of dir older than the retentionDays most recent
// calendar dates, today (YYYY-MM-DD) included: retentionDays 1 keeps only
// today. retentionDays <= 0 keeps everything. It returns the deleted dates,
// oldest first.
func Sweep(dir string, today string, retentionDays int) (deleted []string, err error) {
	if retentionDays <= 0 {
		return nil, nil
	}
	if err := ValidDate(today); err != nil {
		return nil, err
	}
	t, _ := time.Parse(DateLayout, today)
	cutoff := t.AddDate(0, 0, -(retentionDays - 1)).Format(DateLayout)
	dates, err := dayDates(dir)
	if err != nil {
		return nil, err
	}
	for _, date := range dates {
		if date >= cutoff {
			break
		}
		if derr := DeleteDay(dir, date); derr != nil {
			err = errors.Join(err, derr)
			continue
		}
		deleted = append(deleted, date)
	}
	return deleted, err
}
