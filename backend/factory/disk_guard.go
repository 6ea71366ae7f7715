package factory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// resumeMargin is how many points above min_free_percent free space must climb
// before paused engines store again.
const resumeMargin = 2

// StatfsFreePercent returns the free space (available to unprivileged users)
// of the file system holding dir, in percent.
func StatfsFreePercent(dir string) (float64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("cannot read free space of %q: %w", dir, err)
	}
	if st.Blocks == 0 {
		return 100, nil
	}
	return float64(st.Bavail) / float64(st.Blocks) * 100, nil
}

// SetDiskPolicy sets min_free_percent and disk_full_policy of the disk guard;
// the next check applies them.
func (f *Factory) SetDiskPolicy(minFreePercent int, policy string) {
	f.mu.Lock()
	f.cfg.MinFreePercent, f.cfg.DiskFullPolicy = minFreePercent, policy
	f.mu.Unlock()
}

// DiskState is what the disk guard saw last.
type DiskState struct {
	FreePercent    float64 `json:"free_percent"`
	MinFreePercent int     `json:"min_free_percent"`
	Policy         string  `json:"policy"`
	Paused         bool    `json:"paused"`
	Reason         string  `json:"reason,omitempty"`
	// Checked is false until the guard has read the free space once.
	Checked bool `json:"checked"`
}

// DiskState returns the disk guard's state.
func (f *Factory) DiskState() DiskState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return DiskState{FreePercent: f.disk.free, MinFreePercent: f.cfg.MinFreePercent, Policy: f.policy(),
		Paused: f.disk.paused, Reason: f.disk.reason, Checked: f.disk.checked}
}

func (f *Factory) policy() string {
	if f.cfg.DiskFullPolicy == meta.PolicyPause {
		return meta.PolicyPause
	}
	return meta.PolicyDeleteOldest
}

// guardLoop checks the disk every DiskCheckEvery until ctx ends.
func (f *Factory) guardLoop(ctx context.Context) {
	defer close(f.guardDone)
	t := time.NewTicker(f.cfg.DiskCheckEvery)
	defer t.Stop()
	for {
		f.CheckDisk()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckDisk runs the disk guard once (docs/architecture.md). When free space is under
// min_free_percent, delete_oldest deletes closed days (never today) of all
// engines, oldest first, until it is not; if space is still short, or the
// policy is pause, every engine pauses (refusing and counting what it would
// store). Paused engines resume once free space is resumeMargin points above
// min_free_percent. Every action is an event of the engines concerned.
func (f *Factory) CheckDisk() {
	f.guardMu.Lock()
	defer f.guardMu.Unlock()
	f.mu.Lock()
	minFree, policy, paused := f.cfg.MinFreePercent, f.policy(), f.disk.paused
	f.mu.Unlock()
	free, err := f.cfg.FreeSpace(f.cfg.DataDir)
	if err != nil {
		f.cfg.Log.Error("disk guard cannot read free space", "err", err)
		return
	}
	f.setFree(free)
	target := float64(minFree)
	if paused {
		target += resumeMargin
	}
	if free < target && policy == meta.PolicyDeleteOldest {
		free = f.deleteOldest(target, minFree, free)
	}
	switch {
	case paused && free >= float64(minFree+resumeMargin):
		f.resumeAll(fmt.Sprintf("disk space is back: %.1f%% free (min_free_percent %d)", free, minFree))
	case !paused && free < float64(minFree):
		reason := fmt.Sprintf("disk full: %.1f%% free, under min_free_percent %d (policy %s)", free, minFree, policy)
		if policy == meta.PolicyDeleteOldest {
			reason += "; no closed day left to delete"
		}
		f.pauseAll(reason)
	}
}

func (f *Factory) setFree(free float64) {
	f.mu.Lock()
	f.disk.free, f.disk.checked = free, true
	f.mu.Unlock()
}

// deleteOldest deletes closed day files of every engine, oldest first, until
// free space reaches target; it returns the free space then. The days are
// listed from stat alone (Days.Sizes), outside the factory lock.
func (f *Factory) deleteOldest(target float64, minFree int, free float64) float64 {
	type source struct {
		engine, today string
		days          *store.Days
		events        *engine.EventLog
	}
	var sources []source
	f.mu.Lock()
	for n, m := range f.engines {
		loc, err := time.LoadLocation(m.spec.Timezone)
		if err != nil {
			continue
		}
		sources = append(sources, source{n, f.cfg.Now().In(loc).Format(store.DateLayout), m.days, m.events})
	}
	f.mu.Unlock()
	type day struct {
		engine, date string
		days         *store.Days
	}
	var days []day
	logs := map[string]*engine.EventLog{}
	for _, s := range sources {
		if f.listHook != nil {
			f.listHook()
		}
		sizes, err := s.days.Sizes()
		if errors.Is(err, store.ErrClosed) {
			continue // deleted meanwhile
		}
		if err != nil {
			f.cfg.Log.Error("disk guard cannot list days", "engine", s.engine, "err", err)
			continue
		}
		for _, d := range sizes {
			if d.Date < s.today {
				days = append(days, day{s.engine, d.Date, s.days})
			}
		}
		logs[s.engine] = s.events
	}
	sort.Slice(days, func(i, j int) bool {
		if days[i].date != days[j].date {
			return days[i].date < days[j].date
		}
		return days[i].engine < days[j].engine
	})
	for _, d := range days {
		if free >= target {
			break
		}
		if err := d.days.Delete(d.date); err != nil {
			f.cfg.Log.Error("disk guard cannot delete a day", "engine", d.engine, "date", d.date, "err", err)
			continue
		}
		logs[d.engine].Add(engine.LevelWarning, "disk guard deleted day %s: %.1f%% free, under min_free_percent %d", d.date, free, minFree)
		f.cfg.Log.Warn("disk guard deleted a day", "engine", d.engine, "date", d.date, "free_percent", free)
		nf, err := f.cfg.FreeSpace(f.cfg.DataDir)
		if err != nil {
			f.cfg.Log.Error("disk guard cannot read free space", "err", err)
			break
		}
		free = nf
		f.setFree(free)
	}
	return free
}

func (f *Factory) pauseAll(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disk.paused, f.disk.reason = true, reason
	for _, m := range f.engines {
		m.eng.Pause(reason)
	}
	f.cfg.Log.Warn("disk guard paused the engines", "reason", reason)
}

func (f *Factory) resumeAll(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disk.paused, f.disk.reason = false, ""
	for _, m := range f.engines {
		m.eng.Resume(reason)
	}
	f.cfg.Log.Info("disk guard resumed the engines", "reason", reason)
}
