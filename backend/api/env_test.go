package api_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/logsieve/logsieve/backend/api"
	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/internal/apitest"
	"github.com/logsieve/logsieve/backend/meta"
)

const (
	adminPassword  = "admin password 1"
	viewerPassword = "viewer password 1"
)

// env is a real server (meta DB, auth, factory, API) on a random port.
type env struct {
	*apitest.Client
	srv    *api.Server
	f      *factory.Factory
	db     *meta.DB
	dir    string
	skew   atomic.Int64              // added to the auth clock (token expiry tests)
	now    atomic.Pointer[time.Time] // the API's clock when set (relative ranges)
	admin  string                    // admin token
	viewer string                    // viewer token
}

// newEnv starts the server; tune, when given, adjusts the factory's config.
func newEnv(t *testing.T, tune ...func(*factory.Config)) *env {
	t.Helper()
	return newEnvWith(t, envOptions{factory: func(c *factory.Config) {
		for _, fn := range tune {
			fn(c)
		}
	}})
}

// envOptions change what newEnvWith builds.
type envOptions struct {
	// beforeFactory runs on the metadata DB before the factory loads it (stored
	// engines are then started by Boot).
	beforeFactory func(db *meta.DB)
	// factory adjusts the factory's config (e.g. FreeSpace).
	factory func(*factory.Config)
	// log receives the server's log (discarded when nil).
	log io.Writer
	// cluster makes the server a cluster node (nil: a single box); peerTimeout
	// bounds each node's part of a fan-out.
	cluster     api.ClusterNode
	peerTimeout time.Duration
}

func newEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{dir: t.TempDir()}
	if o.log == nil {
		o.log = io.Discard
	}
	log := slog.New(slog.NewTextHandler(o.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := meta.Open(filepath.Join(e.dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	if _, err := auth.EnsureAdmin(db, e.dir, adminPassword, log); err != nil {
		t.Fatal(err)
	}
	as, err := auth.New(auth.Config{Meta: db, DataDir: e.dir, BcryptCost: bcrypt.MinCost, Log: log,
		Now: func() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := as.CreateUser("viewer", viewerPassword, meta.RoleViewer, new(bool)); err != nil {
		t.Fatal(err)
	}
	if o.beforeFactory != nil {
		o.beforeFactory(db)
	}
	fcfg := factory.Config{DataDir: e.dir, Meta: db, Log: log, HostTZ: "UTC"}
	if o.factory != nil {
		o.factory(&fcfg)
	}
	f, err := factory.New(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Boot(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.f = f
	srv, err := api.New(api.Deps{Meta: db, Factory: f, Auth: as, DataDir: e.dir, Version: "test", Log: log,
		StatsInterval: 100 * time.Millisecond, Cluster: o.cluster, PeerTimeout: o.peerTimeout, OnSettings: func(st meta.Settings) {
			if err := f.ApplySettings(st); err != nil {
				t.Errorf("applying the settings: %v", err)
			}
		}, Now: func() time.Time {
			if t := e.now.Load(); t != nil {
				return *t
			}
			return time.Now()
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.Client = apitest.Start(t, srv.Listener, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		_ = f.Close()
		_ = db.Close()
	})
	e.admin = e.login(t, "admin", adminPassword)
	e.viewer = e.login(t, "viewer", viewerPassword)
	return e
}

func (e *env) login(t *testing.T, user, pw string) string {
	t.Helper()
	r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"username": user, "password": pw}})
	if r.Status != 200 {
		t.Fatalf("login %q; got %d %s; want 200", user, r.Status, r.Body)
	}
	var s struct {
		Token string `json:"token"`
	}
	r.JSON(t, &s)
	return s.Token
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// sendUDP sends each line as one datagram to 127.0.0.1:port.
func sendUDP(t *testing.T, port int, lines ...string) {
	t.Helper()
	c, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, l := range lines {
		if _, err := c.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
}
