package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logsieve/logsieve/backend/internal/daytest"
	"github.com/logsieve/logsieve/backend/store"
)

// testServer runs a NATS server with JetStream on 127.0.0.1 for the test.
func testServer(t *testing.T) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true, MaxPayload: maxPayload})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// startNode starts a node named name on url with short timers.
func startNode(t *testing.T, url, name, role string, tune func(*Config)) *Node {
	t.Helper()
	cfg := Config{NATS: url, Node: name, Role: role, DataDir: t.TempDir(),
		AckWait: 500 * time.Millisecond, RetryEvery: 50 * time.Millisecond, ClaimTimeout: 100 * time.Millisecond}
	if tune != nil {
		tune(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// engineDays gives engine "e1" the day files in a temp dir.
func engineDays(t *testing.T) (*store.Days, DaysFunc) {
	t.Helper()
	ds := store.NewDays(t.TempDir())
	t.Cleanup(func() { ds.Close() })
	return ds, func(engine string) (*store.Days, *time.Location, error) {
		if engine != "e1" {
			return nil, nil, fmt.Errorf("no engine %q", engine)
		}
		return ds, time.UTC, nil
	}
}

var testSchema = &store.Schema{Columns: []string{"msg", "n"}}

// testRows returns rows "from".."from+n-1" received now.
func testRows(from, n int) []store.Row {
	rows := make([]store.Row, n)
	now := time.Now().UnixNano()
	for i := range rows {
		v := strconv.Itoa(from + i)
		n := sql.NullString{String: v, Valid: i%3 != 0}
		if !n.Valid {
			n.String = ""
		}
		rows[i] = store.Row{ReceivedAt: now, SenderIP: "10.0.0.1", Client: sql.NullString{String: "c"[:1-i%2], Valid: i%2 == 0},
			Values: []sql.NullString{{String: "log " + v, Valid: true}, n}}
	}
	return rows
}

// storedMsgs returns the msg column of every stored row of ds, sorted.
func storedMsgs(t *testing.T, ds *store.Days) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(ds.Dir(), "*.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		for _, r := range daytest.Rows(t, f) {
			out = append(out, r["msg"])
		}
	}
	slices.Sort(out)
	return out
}

func wantMsgs(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "log " + strconv.Itoa(from+i)
	}
	slices.Sort(out)
	return out
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func TestBatchCodecRoundTrip(t *testing.T) {
	f := func(s *store.Schema, rows []store.Row) {
		t.Helper()
		b := encodeHeader(nil, s)
		for i := range rows {
			b = encodeRow(b, &rows[i], s.KeepOriginal)
		}
		gs, grows, err := decodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gs.Columns, s.Columns) || gs.KeepOriginal != s.KeepOriginal {
			t.Fatalf("unexpected schema; got %+v; want %+v", gs, s)
		}
		if len(grows) != len(rows) {
			t.Fatalf("unexpected rows; got %d; want %d", len(grows), len(rows))
		}
		for i := range rows {
			g, w := grows[i], rows[i]
			if g.ReceivedAt != w.ReceivedAt || g.SenderIP != w.SenderIP || g.Client != w.Client ||
				!slices.Equal(g.Values, w.Values) || g.Original != w.Original {
				t.Fatalf("unexpected row %d; got %+v; want %+v", i, g, w)
			}
		}
		// Every cut of the message is refused, never a panic.
		for n := 0; n < len(b); n++ {
			if _, r, err := decodeBatch(b[:n]); err == nil && len(r) == len(rows) && n < len(b) {
				t.Fatalf("a message cut at %d of %d decoded whole", n, len(b))
			}
		}
	}
	f(testSchema, testRows(0, 5))
	f(&store.Schema{Columns: nil, KeepOriginal: true}, []store.Row{{ReceivedAt: -5, SenderIP: "", Original: "<13>x"}})
	f(&store.Schema{Columns: []string{"a"}}, nil)
}

func TestPublishedBatchesAreStoredOnce(t *testing.T) {
	srv := testServer(t)
	ds, days := engineDays(t)
	n := startNode(t, srv.ClientURL(), "n1", RoleAll, nil)
	if err := n.StartStore(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	sink := n.Sink("e1")
	for b := 0; b < 5; b++ {
		got, err := sink.Write(testSchema, testRows(b*100, 100))
		if err != nil || got != 100 {
			t.Fatalf("write: %d, %v", got, err)
		}
	}
	waitFor(t, "500 stored rows", func() bool { return n.Stats().StoredRows == 500 })
	if got, want := storedMsgs(t, ds), wantMsgs(0, 500); !slices.Equal(got, want) {
		t.Fatalf("unexpected rows; got %d; want %d", len(got), len(want))
	}
	st := n.Stats()
	if st.PublishedBatches != 5 || st.PublishedRows != 500 || st.DuplicateRows != 0 || st.StoreErrors != 0 {
		t.Fatalf("unexpected stats %+v", st)
	}
}

func TestBigBatchIsSplitUnderTheServersPayload(t *testing.T) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true, MaxPayload: 128 << 10})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	ds, days := engineDays(t)
	n := startNode(t, s.ClientURL(), "n1", RoleAll, nil)
	if err := n.StartStore(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	// ~30 bytes a row: 20000 rows need several 128 KiB messages.
	if got, err := n.Sink("e1").Write(testSchema, testRows(0, 20000)); err != nil || got != 20000 {
		t.Fatalf("write: %d, %v", got, err)
	}
	if st := n.Stats(); st.PublishedBatches < 4 {
		t.Fatalf("unexpected message count %d for 20000 rows under 128 KiB", st.PublishedBatches)
	}
	waitFor(t, "20000 stored rows", func() bool { return n.Stats().StoredRows == 20000 })
	if got := storedMsgs(t, ds); !slices.Equal(got, wantMsgs(0, 20000)) {
		t.Fatalf("unexpected rows; got %d; want 20000", len(got))
	}
}

// A store node that commits a batch and dies before its ack: JetStream
// delivers the batch again, and it is not stored twice.
func TestRedeliveredBatchIsNotStoredTwice(t *testing.T) {
	srv := testServer(t)
	ds, days := engineDays(t)
	var mu sync.Mutex
	skipped := map[string]int{}
	n := startNode(t, srv.ClientURL(), "n1", RoleAll, func(c *Config) {
		c.ackHook = func(id string) bool {
			mu.Lock()
			defer mu.Unlock()
			skipped[id]++
			return skipped[id] > 2 // the first two deliveries are not acked
		}
	})
	if err := n.StartStore(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	sink := n.Sink("e1")
	for b := 0; b < 3; b++ {
		if got, err := sink.Write(testSchema, testRows(b*10, 10)); err != nil || got != 10 {
			t.Fatalf("write: %d, %v", got, err)
		}
	}
	waitFor(t, "every batch acked on its third delivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, k := range skipped {
			if k < 3 {
				return false
			}
		}
		return len(skipped) == 3
	})
	st := n.Stats()
	if st.StoredRows != 30 || st.DuplicateRows != 60 {
		t.Fatalf("unexpected stored, duplicate rows %d, %d; want 30, 60", st.StoredRows, st.DuplicateRows)
	}
	if got := storedMsgs(t, ds); !slices.Equal(got, wantMsgs(0, 30)) {
		t.Fatalf("unexpected rows; got %q; want %q", got, wantMsgs(0, 30))
	}
}

// A store node dies between commit and ack; the batch goes to another store
// node, which leaves it to the claimant; the claimant comes back and finds
// it stored. No batch is in both nodes' files.
func TestRedeliveryToAnotherStoreNodeWaitsForTheClaimant(t *testing.T) {
	srv := testServer(t)
	dsA, daysA := engineDays(t)
	dsB, daysB := engineDays(t)
	committed := make(chan string, 1)
	a := startNode(t, srv.ClientURL(), "a", RoleStore, func(c *Config) {
		c.AckWait = 300 * time.Millisecond
		c.ackHook = func(id string) bool {
			select {
			case committed <- id:
			default:
			}
			return false // a dies before any ack
		}
	})
	if err := a.StartStore(t.Context(), daysA); err != nil {
		t.Fatal(err)
	}
	in := startNode(t, srv.ClientURL(), "in", RoleIngest, nil)
	if got, err := in.Sink("e1").Write(testSchema, testRows(0, 10)); err != nil || got != 10 {
		t.Fatalf("write: %d, %v", got, err)
	}
	select {
	case <-committed:
	case <-time.After(20 * time.Second):
		t.Fatal("a stored nothing")
	}
	a.Close()
	b := startNode(t, srv.ClientURL(), "b", RoleStore, nil)
	if err := b.StartStore(t.Context(), daysB); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b to leave the batch to a", func() bool { return b.Stats().ClaimedElsewhere >= 2 })
	a2 := startNode(t, srv.ClientURL(), "a", RoleStore, nil)
	if err := a2.StartStore(t.Context(), daysA); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a to find the batch stored", func() bool { return a2.Stats().DuplicateRows == 10 })
	if got := storedMsgs(t, dsA); !slices.Equal(got, wantMsgs(0, 10)) {
		t.Fatalf("unexpected rows on a; got %q", got)
	}
	if got := storedMsgs(t, dsB); len(got) != 0 {
		t.Fatalf("unexpected rows on b; got %q; want none", got)
	}
	if st := b.Stats(); st.StoredRows != 0 {
		t.Fatalf("b stored %d rows; want 0", st.StoredRows)
	}
}

func TestUnreachableNATSIsRetriedUntilCancelled(t *testing.T) {
	var logs logBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	_, err := Start(ctx, Config{NATS: "nats://127.0.0.1:1", Node: "n1", RetryEvery: 50 * time.Millisecond, Log: logs.logger()})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unexpected error %v; want a give-up after the deadline", err)
	}
	if n := logs.count("cannot reach NATS; retrying"); n < 2 {
		t.Fatalf("unexpected retries %d; want at least 2 in\n%s", n, logs.String())
	}
}

func TestWrongSettingsAreRefusedByName(t *testing.T) {
	f := func(cfg Config, field string) {
		t.Helper()
		_, err := Start(t.Context(), cfg)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Fatalf("unexpected error %v; want a *FieldError on %q", err, field)
		}
	}
	f(Config{NATS: "http://x:4222", Node: "n"}, "nats")
	f(Config{NATS: "nats://:4222", Node: "n"}, "nats")
	f(Config{NATS: " , ", Node: "n"}, "nats")
	f(Config{NATS: "nats://h:4222", Node: "a b"}, "node")
	f(Config{NATS: "nats://h:4222", Node: "n", Role: "query"}, "role")
}

func TestStreamWithOtherRetentionIsRefused(t *testing.T) {
	srv := testServer(t)
	n := startNode(t, srv.ClientURL(), "n1", RoleAll, nil)
	// Someone changes the stream to keep batches by age.
	cfg := n.stream.CachedInfo().Config
	cfg.MaxAge = time.Hour
	if _, err := n.js.UpdateStream(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	_, err := Start(t.Context(), Config{NATS: srv.ClientURL(), Node: "n2", RetryEvery: 50 * time.Millisecond})
	var se *StreamError
	if !errors.As(err, &se) || se.Stream != StreamName {
		t.Fatalf("unexpected error %v; want a *StreamError", err)
	}
	f := func(mut func(*jetstream.StreamConfig), want string) {
		t.Helper()
		c := streamConfig(1)
		mut(&c)
		err := checkStream(c)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("unexpected error %v; want one naming %q", err, want)
		}
	}
	f(func(c *jetstream.StreamConfig) { c.Retention = 0 }, `retention is "Limits"`)
	f(func(c *jetstream.StreamConfig) { c.Storage = 1 }, "storage")
	f(func(c *jetstream.StreamConfig) { c.Subjects = []string{"x.>"} }, "subjects")
	f(func(c *jetstream.StreamConfig) { c.Duplicates = 0 }, "duplicates window")
	if err := checkStream(streamConfig(3)); err != nil {
		t.Fatalf("logsieve's own stream refused: %v", err)
	}
}

func TestEmbeddedNodeStoresInItsDataDir(t *testing.T) {
	dir := t.TempDir()
	ds, days := engineDays(t)
	n := startNode(t, Embedded, "solo", RoleAll, func(c *Config) { c.DataDir = dir })
	if err := n.StartStore(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	if got, err := n.Sink("e1").Write(testSchema, testRows(0, 3)); err != nil || got != 3 {
		t.Fatalf("write: %d, %v", got, err)
	}
	waitFor(t, "3 stored rows", func() bool { return n.Stats().StoredRows == 3 })
	if got := storedMsgs(t, ds); !slices.Equal(got, wantMsgs(0, 3)) {
		t.Fatalf("unexpected rows; got %q", got)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "nats", "jetstream", "*")); len(m) == 0 {
		t.Fatalf("no JetStream files in %s/nats", dir)
	}
}

// logBuffer collects a logger's text output for checks.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) count(s string) int { return strings.Count(l.String(), s) }

// A store node that does not know the engine leaves the batch unclaimed, so
// a node that knows it can store it.
func TestBatchOfAnUnknownEngineIsNotClaimed(t *testing.T) {
	srv := testServer(t)
	_, days := engineDays(t)
	n := startNode(t, srv.ClientURL(), "n1", RoleAll, func(c *Config) { c.RetryEvery = 20 * time.Millisecond })
	if err := n.StartStore(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	if got, err := n.Sink("other").Write(testSchema, testRows(0, 3)); err != nil || got != 3 {
		t.Fatalf("write: %d, %v", got, err)
	}
	waitFor(t, "a failed delivery", func() bool { return n.Stats().StoreErrors >= 1 })
	keys, err := n.claims.ListKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys.Keys() {
		t.Fatalf("unexpected claim %q of a batch this node cannot store", k)
	}
}

// Every node sees every live node's counters in the registry, and a node
// that stops leaves it.
func TestRegistryListsLiveNodesAndSumsThem(t *testing.T) {
	srv := testServer(t)
	_, days := engineDays(t)
	st := startNode(t, srv.ClientURL(), "st", RoleStore, nil)
	if err := st.StartStore(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	in1 := startNode(t, srv.ClientURL(), "in1", RoleIngest, nil)
	in2 := startNode(t, srv.ClientURL(), "in2", RoleIngest, nil)
	for i, n := range []*Node{in1, in2} {
		if got, err := n.Sink("e1").Write(testSchema, testRows(i*10, 10)); err != nil || got != 10 {
			t.Fatalf("write: %d, %v", got, err)
		}
	}
	var nodes []Stats
	waitFor(t, "three nodes with their rows in the registry", func() bool {
		var err error
		nodes, err = st.Nodes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		sum := Sum(nodes)
		return len(nodes) == 3 && sum.PublishedRows == 20 && sum.StoredRows == 20
	})
	var names []string
	for _, s := range nodes {
		names = append(names, s.Node+"/"+s.Role)
	}
	if want := []string{"st/store", "in1/ingest", "in2/ingest"}; !slices.Equal(names, want) {
		t.Fatalf("unexpected nodes; got %q; want %q", names, want)
	}
	in2.Close()
	waitFor(t, "in2 to leave the registry", func() bool {
		nodes, _ = st.Nodes(t.Context())
		return len(nodes) == 2
	})
}

// While NATS is down a batch waits (counted in waiting_rows, each failed
// attempt in publish_retries) and is stored once when NATS is back.
func TestBatchWaitsForNATSAndIsStoredOnceWhenBack(t *testing.T) {
	dir := t.TempDir()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	port := srv.Addr().(*net.TCPAddr).Port
	ds, days := engineDays(t)
	n := startNode(t, srv.ClientURL(), "n1", RoleAll, func(c *Config) { c.PublishWait = 200 * time.Millisecond })
	if err := n.StartStore(t.Context(), days); err != nil {
		t.Fatal(err)
	}
	if got, err := n.Sink("e1").Write(testSchema, testRows(0, 10)); err != nil || got != 10 {
		t.Fatalf("write: %d, %v", got, err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	done := make(chan error, 1)
	go func() {
		got, err := n.Sink("e1").Write(testSchema, testRows(10, 10))
		if err == nil && got != 10 {
			err = fmt.Errorf("accepted %d of 10", got)
		}
		done <- err
	}()
	waitFor(t, "the batch to wait and retry", func() bool {
		st := n.Stats()
		return st.WaitingRows == 10 && st.PublishRetries >= 2
	})
	select {
	case err := <-done:
		t.Fatalf("the write returned while NATS was down: %v", err)
	default:
	}
	opts2 := *opts
	opts2.Port = port
	srv2, err := server.NewServer(&opts2)
	if err != nil {
		t.Fatal(err)
	}
	go srv2.Start()
	if !srv2.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready again")
	}
	t.Cleanup(func() { srv2.Shutdown(); srv2.WaitForShutdown() })
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the write did not end after NATS came back")
	}
	waitFor(t, "20 stored rows", func() bool { return n.Stats().StoredRows == 20 })
	if got := storedMsgs(t, ds); !slices.Equal(got, wantMsgs(0, 20)) {
		t.Fatalf("unexpected rows; got %q", got)
	}
	if st := n.Stats(); st.WaitingRows != 0 || st.PublishedRows != 20 {
		t.Fatalf("unexpected stats %+v", st)
	}
}
