package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/logsieve/logsieve/backend/api"
	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/internal/apitest"
	"github.com/logsieve/logsieve/backend/meta"
)

// wsMsg is one message a watched websocket received.
type wsMsg struct {
	at     time.Time
	Type   string      `json:"type"`
	T      int64       `json:"t"`
	Engine string      `json:"engine"`
	Rows   [][]*string `json:"rows"`
}

// wsWatch reads a websocket until it ends and records what arrived.
type wsWatch struct {
	conn   *websocket.Conn
	mu     sync.Mutex
	msgs   []wsMsg
	ended  chan struct{}
	code   int // close code; -1 when the connection ended without a close frame
	reason string
	at     time.Time // when it ended
}

func watchWS(t *testing.T, conn *websocket.Conn) *wsWatch {
	w := &wsWatch{conn: conn, ended: make(chan struct{})}
	go func() {
		defer close(w.ended)
		for {
			_, b, err := conn.ReadMessage()
			now := time.Now()
			if err != nil {
				w.code, w.at = -1, now
				if ce, ok := err.(*websocket.CloseError); ok {
					w.code, w.reason = ce.Code, ce.Text
				}
				return
			}
			m := wsMsg{at: now}
			_ = json.Unmarshal(b, &m)
			w.mu.Lock()
			w.msgs = append(w.msgs, m)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close(); <-w.ended })
	return w
}

// has reports whether a message that cond accepts arrived.
func (w *wsWatch) has(cond func(wsMsg) bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.msgs {
		if cond(m) {
			return true
		}
	}
	return false
}

// waitFor waits up to 10 s for a message that cond accepts.
func (w *wsWatch) waitFor(t *testing.T, what string, cond func(wsMsg) bool) {
	t.Helper()
	apitest.Eventually(t, 10*time.Second, what, func() bool { return w.has(cond) })
}

// tailHas reports whether m is a tail message with a row holding text.
func tailHas(m wsMsg, text string) bool {
	if m.Type != "tail" {
		return false
	}
	for _, r := range m.Rows {
		for _, c := range r {
			if c != nil && strings.Contains(*c, text) {
				return true
			}
		}
	}
	return false
}

// dialWatch opens /ws with token, waits for its first stats message, tails engine (when
// not empty) until rows arrive, and returns the watch.
func dialWatch(t *testing.T, addr, token, engine string, port int) *wsWatch {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/api/v1/ws", http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	w := watchWS(t, conn)
	w.waitFor(t, "the first stats message", func(m wsMsg) bool { return m.Type == "stats" })
	if engine == "" {
		return w
	}
	if err := conn.WriteJSON(map[string]string{"type": "tail", "engine": engine}); err != nil {
		t.Fatal(err)
	}
	// The subscription races the first datagrams: send until rows arrive.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; !w.has(func(m wsMsg) bool { return m.Type == "tail" }); i++ {
		if time.Now().After(deadline) {
			t.Fatal("no tail rows within 10s")
		}
		sendUDP(t, port, fmt.Sprintf("x msg=before%d", i))
		time.Sleep(20 * time.Millisecond)
	}
	return w
}

// checkClosedAfter checks that w got code (with a reason) within 1 s of start, and that
// nothing made after the event reached it: no stats stamped at or after answered (the
// moment the event's request was answered) and no tail row holding marker (sent after it).
func (w *wsWatch) checkClosedAfter(t *testing.T, start, answered time.Time, code int, marker string) {
	t.Helper()
	select {
	case <-w.ended:
	case <-time.After(time.Until(start.Add(time.Second))):
		t.Fatalf("the websocket was not closed within 1s of the event")
	}
	if w.code != code || w.reason == "" {
		t.Errorf("close; got code %d reason %q; want code %d with a reason", w.code, w.reason, code)
	}
	if d := w.at.Sub(start); d > time.Second {
		t.Errorf("close arrived %v after the event; want <= 1s", d)
	} else {
		t.Logf("close %d %q arrived %v after the event", w.code, w.reason, d.Round(time.Microsecond))
	}
	if w.has(func(m wsMsg) bool { return m.Type == "stats" && m.T > answered.UnixMilli() }) {
		t.Error("a stats message made after the event reached the closed client")
	}
	if w.has(func(m wsMsg) bool { return tailHas(m, marker) }) {
		t.Error("a tail row sent after the event reached the closed client")
	}
}

// TestWebsocketClosedWhenCredentialsEnd: logout, a password change, a role change and the
// user's deletion each close the user's open websockets (the ones using the ended
// credential) with 4001 within 1 s; nothing made after the event reaches them, and a
// bystander's websocket keeps its stats and tail.
func TestWebsocketClosedWhenCredentialsEnd(t *testing.T) {
	events := []struct {
		name string
		do   func(e *env, token string) apitest.Request
	}{
		{"logout", func(e *env, token string) apitest.Request {
			return apitest.Request{Method: "POST", Path: "/api/v1/auth/logout", Token: token}
		}},
		{"password change", func(e *env, token string) apitest.Request {
			return apitest.Request{Method: "POST", Path: "/api/v1/auth/password", Token: token,
				Body: map[string]string{"current": viewerPassword, "new": "another viewer password"}}
		}},
		{"role change", func(e *env, _ string) apitest.Request {
			return apitest.Request{Method: "PATCH", Path: "/api/v1/users/viewer", Token: e.admin, Body: map[string]string{"role": "admin"}}
		}},
		{"user deletion", func(e *env, _ string) apitest.Request {
			return apitest.Request{Method: "DELETE", Path: "/api/v1/users/viewer", Token: e.admin}
		}},
	}
	for _, ev := range events {
		t.Run(ev.name, func(t *testing.T) {
			e := newEnv(t)
			e.Do(apitest.Request{Method: "POST", Path: "/api/v1/classes", Token: e.admin, Body: classBody})
			port := e.createEngine(t, "edge")
			victim := dialWatch(t, e.Addr, e.viewer, "edge", port)
			bystander := dialWatch(t, e.Addr, e.admin, "edge", port)

			start := time.Now()
			r := e.Do(ev.do(e, e.viewer))
			answered := time.Now()
			if r.Status >= 300 {
				t.Fatalf("%s; got %d %s", ev.name, r.Status, r.Body)
			}
			marker := "after-" + strings.ReplaceAll(ev.name, " ", "-")
			for i := 0; i < 5; i++ {
				sendUDP(t, port, fmt.Sprintf("x msg=%s-%d", marker, i))
			}
			victim.checkClosedAfter(t, start, answered, 4001, marker)

			// The bystander keeps both.
			bystander.waitFor(t, "the bystander's tail row sent after the event", func(m wsMsg) bool { return tailHas(m, marker) })
			bystander.waitFor(t, "a stats message for the bystander after the event", func(m wsMsg) bool {
				return m.Type == "stats" && m.T > answered.UnixMilli()
			})
			select {
			case <-bystander.ended:
				t.Fatalf("the bystander's websocket closed: %d %q", bystander.code, bystander.reason)
			default:
			}
		})
	}
}

// TestWebsocketLogoutClosesOnlyThatSession: logging out one session of a user leaves the
// user's other session's websocket open.
func TestWebsocketLogoutClosesOnlyThatSession(t *testing.T) {
	e := newEnv(t)
	other := e.login(t, "viewer", viewerPassword)
	victim := dialWatch(t, e.Addr, e.viewer, "", 0)
	kept := dialWatch(t, e.Addr, other, "", 0)
	start := time.Now()
	if r := e.Do(apitest.Request{Method: "POST", Path: "/api/v1/auth/logout", Token: e.viewer}); r.Status != 204 {
		t.Fatalf("logout; got %d %s", r.Status, r.Body)
	}
	answered := time.Now()
	victim.checkClosedAfter(t, start, answered, 4001, "no tail")
	kept.waitFor(t, "stats on the other session after the logout", func(m wsMsg) bool { return m.Type == "stats" && m.T > answered.UnixMilli() })
}

// TestWebsocketClosedWhenTokenExpires: a websocket whose token expires is closed with
// 4001 at the next stats push.
func TestWebsocketClosedWhenTokenExpires(t *testing.T) {
	e := newEnv(t)
	w := dialWatch(t, e.Addr, e.viewer, "", 0)
	e.skew.Store(int64(13 * time.Hour)) // past the 12h default token_ttl
	select {
	case <-w.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the websocket of an expired token was not closed")
	}
	if w.code != 4001 || !strings.Contains(w.reason, "expired") {
		t.Errorf("close; got %d %q; want 4001 saying the session expired", w.code, w.reason)
	}
}

// TestWebsocketTailRechecksTheCredential: a tail request checks the token as it is now.
// The server here pushes stats once an hour, so only the tail request can notice a token
// revoked behind the API's back (straight in the metadata DB, so no listener is told).
func TestWebsocketTailRechecksTheCredential(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		t.Fatal(err)
	}
	as, err := auth.New(auth.Config{Meta: db, DataDir: dir, BcryptCost: bcrypt.MinCost, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := as.CreateUser("viewer", viewerPassword, meta.RoleViewer, new(bool)); err != nil {
		t.Fatal(err)
	}
	f, err := factory.New(factory.Config{DataDir: dir, Meta: db, Log: log, HostTZ: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Deps{Meta: db, Factory: f, Auth: as, DataDir: dir, Log: log, StatsInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c := apitest.Start(t, srv.Listener, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		_ = f.Close()
		_ = db.Close()
	})
	sess, err := as.Login("viewer", viewerPassword, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	w := dialWatch(t, c.Addr, sess.Token, "", 0)
	// A viewer may tail: an unknown engine is an error message, not a close.
	if err := w.conn.WriteJSON(map[string]string{"type": "tail", "engine": "ghost"}); err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, "the error about engine ghost", func(m wsMsg) bool { return m.Type == "error" })

	if err := db.RevokeToken(tokenID(t, sess.Token), sess.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := w.conn.WriteJSON(map[string]string{"type": "tail", "engine": "ghost"}); err != nil {
		t.Fatal(err)
	}
	w.checkClosedAfter(t, start, start, 4001, "no tail")
	if !strings.Contains(w.reason, "logged out") {
		t.Errorf("close reason; got %q; want it to say the session was logged out", w.reason)
	}
}

// tokenID returns the jti of a JWT (not verified).
func tokenID(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ID string `json:"jti"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
		t.Fatalf("no jti in %s: %v", b, err)
	}
	return c.ID
}
