package api_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/internal/apitest"
	"github.com/logsieve/logsieve/backend/store"
)

// stoppedEngine creates class t1 (when missing) and a disabled engine name of it that
// keeps original logs, so that a test can write its day files itself.
func (e *env) stoppedEngine(t *testing.T, name string) {
	t.Helper()
	if r := e.Do(apitest.Request{Method: "GET", Path: "/api/v1/classes/t1", Token: e.admin}); r.Status == 404 {
		if r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody}); r.Status != 201 {
			t.Fatalf("create class; got %d %s; want 201", r.Status, r.Body)
		}
	}
	r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/engines", Token: e.admin, Body: map[string]any{
		"name": name, "class": "t1", "bind": "127.0.0.1", "port": freeUDPPort(t), "timezone": "UTC",
		"keep_original": true, "enabled": false}})
	if r.Status != 201 {
		t.Fatalf("create engine %q; got %d %s; want 201", name, r.Status, r.Body)
	}
}

// writeDay stores one row per original log in the day file of date of engine name, one
// second apart from 10:00:00 UTC, with msg = the i-th entry of msgs when given.
func (e *env) writeDay(t *testing.T, name, date string, originals []string, msgs ...string) {
	t.Helper()
	dir, err := e.f.Dir(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.OpenWriter(dir, store.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	day, err := time.Parse(store.DateLayout, date)
	if err != nil {
		t.Fatal(err)
	}
	schema := &store.Schema{Columns: []string{"msg", "dst_ip", "dst_port"}, KeepOriginal: true}
	rows := make([]store.Row, len(originals))
	for i, o := range originals {
		msg := sql.NullString{}
		if i < len(msgs) {
			msg = sql.NullString{String: msgs[i], Valid: true}
		}
		rows[i] = store.Row{ReceivedAt: day.Add(10*time.Hour + time.Duration(i)*time.Second).UnixNano(), SenderIP: "192.0.2.7",
			Values: []sql.NullString{msg, {}, {}}, Original: o}
	}
	if n, err := w.Write(schema, rows); err != nil || n != len(rows) {
		t.Fatalf("write: stored %d of %d rows, %v", n, len(rows), err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
