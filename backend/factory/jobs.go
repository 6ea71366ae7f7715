package factory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// Job states.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job is a long action running in the background (a client purge).
type Job struct {
	ID       string  `json:"id"`
	Kind     string  `json:"kind"`
	Target   string  `json:"target"`
	State    string  `json:"state"`
	Progress float64 `json:"progress"` // 0..1
	Deleted  int64   `json:"deleted"`  // rows deleted so far
	Error    string  `json:"error,omitempty"`
	Started  int64   `json:"started"`            // unix ms
	Finished int64   `json:"finished,omitempty"` // unix ms
}

// jobs keeps the background jobs of the factory (finished ones for an hour).
type jobs struct {
	mu     sync.Mutex
	m      map[string]*Job
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

func newJobs() *jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &jobs{m: map[string]*Job{}, ctx: ctx, cancel: cancel}
}

// start runs fn in the background as a new job; fn reports progress with set.
func (js *jobs) start(kind, target string, fn func(ctx context.Context, set func(func(*Job))) error) Job {
	var b [8]byte
	_, _ = rand.Read(b[:])
	j := &Job{ID: hex.EncodeToString(b[:]), Kind: kind, Target: target, State: JobRunning, Started: time.Now().UnixMilli()}
	js.mu.Lock()
	for id, old := range js.m {
		if old.Finished != 0 && time.Since(time.UnixMilli(old.Finished)) > time.Hour {
			delete(js.m, id)
		}
	}
	js.m[j.ID] = j
	snap := *j
	js.mu.Unlock()
	set := func(upd func(*Job)) {
		js.mu.Lock()
		upd(j)
		js.mu.Unlock()
	}
	js.wg.Add(1)
	go func() {
		defer js.wg.Done()
		err := fn(js.ctx, set)
		set(func(j *Job) {
			j.Finished = time.Now().UnixMilli()
			if err != nil {
				j.State, j.Error = JobFailed, err.Error()
				return
			}
			j.State, j.Progress = JobDone, 1
		})
	}()
	return snap
}

// get returns a copy of job id.
func (js *jobs) get(id string) (Job, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.m[id]
	if !ok {
		return Job{}, false
	}
	return *j, true
}

// stop cancels every running job and waits for them.
func (js *jobs) stop() {
	js.cancel()
	js.wg.Wait()
}

// Job returns the state of a background job.
func (f *Factory) Job(id string) (Job, error) {
	j, ok := f.jobs.get(id)
	if !ok {
		return Job{}, notFound("job %q does not exist", id)
	}
	return j, nil
}
