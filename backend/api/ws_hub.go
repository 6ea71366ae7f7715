package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/internal/fanout"
)

// Websocket limits.
const (
	wsSendQueue    = 64               // messages queued per client before it counts as slow
	wsWriteTimeout = 10 * time.Second // a write that takes longer drops the client
	wsReadLimit    = 4096             // the largest client message
	wsCloseTimeout = time.Second      // the longest a close frame may wait before the connection is cut
)

// Close codes the server sends besides the standard ones (RFC 6455 §7.4.2: 4000-4999
// belong to the application).
const (
	wsCloseUnauthorized = 4001 // the credentials ended: logout, password or role change, user deleted, expiry
)

// hub pushes stats to every websocket client and relays tails. A client that cannot keep
// up (full queue or slow write) is dropped; nothing here ever blocks an engine. A client
// whose credentials end (auth.Service.OnRevoke, or found on the check before each stats
// push) is closed with 4001.
type hub struct {
	s *Server
	// out holds each client's send queue: broadcasts (Publish) and the client's own
	// messages (SendTo) alike; a client whose queue is full is dropped (1013).
	out         *fanout.Hub[[]byte]
	mu          sync.Mutex
	clients     map[*wsClient]struct{} // every connected client, for the credential checks and close
	closed      bool
	cancel      context.CancelFunc
	unsubscribe func()
	wg          sync.WaitGroup
}

type wsClient struct {
	conn  *websocket.Conn
	raw   net.Conn // the TCP connection under conn
	token string   // the credential the client connected with, checked again on every push
	user  string
	out   *fanout.Hub[[]byte]
	queue <-chan []byte // the client's messages, subscribed to out by hub.add
	done  chan struct{}
	once  sync.Once

	unsubscribe func() // ends queue's subscription
	// code and reason are the close frame of a drop decided by the server (code 0: the
	// client left); written before done is closed.
	code   int
	reason string

	tailMu     sync.Mutex
	tailCancel func()
	tailWG     sync.WaitGroup
}

func newHub(s *Server) *hub {
	ctx, cancel := context.WithCancel(context.Background())
	h := &hub{s: s, out: fanout.New[[]byte](fanout.Drop), clients: map[*wsClient]struct{}{}, cancel: cancel}
	h.unsubscribe = s.d.Auth.OnRevoke(h.revoke)
	h.wg.Add(1)
	go h.run(ctx)
	return h
}

// run pushes a stats message every interval while someone listens.
func (h *hub) run(ctx context.Context) {
	defer h.wg.Done()
	t := time.NewTicker(h.s.d.StatsInterval)
	defer t.Stop()
	events, unsubscribe := h.s.d.Factory.SubscribeEvents()
	defer unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if h.count() > 0 {
				h.broadcast(eventMessage(ev))
			}
		case <-t.C:
			if h.count() == 0 {
				continue
			}
			h.recheck(func(*wsClient) bool { return true })
			h.broadcast(h.statsMessage())
		}
	}
}

// eventMessage renders an engine event as {"type":"event","engine","t","level","message"}.
func eventMessage(ev factory.EngineEvent) []byte {
	b, _ := json.Marshal(struct {
		Type string `json:"type"`
		factory.EngineEvent
	}{"event", ev})
	return b
}

// statsMessage is the websocket's stats push: each engine's Stats (in a
// cluster, as GET /engines/:name/stats: summed over the ingest nodes, with
// their nodes).
type statsMessage struct {
	Type    string         `json:"type"`
	T       int64          `json:"t"`
	Engines map[string]any `json:"engines"`
	System  SystemInfo     `json:"system"`
}

func (h *hub) statsMessage() []byte {
	f := h.s.d.Factory
	m := statsMessage{Type: "stats", T: h.s.d.Now().UnixMilli(), Engines: map[string]any{}, System: h.s.systemInfo()}
	for _, e := range f.Engines() {
		st, err := f.Stats(e.Name)
		if err != nil {
			continue
		}
		if h.s.d.Cluster != nil {
			// The registry's last snapshot: the push never waits on NATS.
			m.Engines[e.Name] = h.s.clusterEngineStats(e.Name, st)
		} else {
			m.Engines[e.Name] = st
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// count returns the number of clients the hub still sends to.
func (h *hub) count() int { return h.out.Len() }

// broadcast queues msg for every client without blocking; a full queue drops its client.
// It holds h.mu so that no broadcast comes between a new client's subscription and its
// first message (add).
func (h *hub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.out.Publish(msg)
}

// add registers cl and gives it its send queue with first as its first message; false
// once the hub is closing.
func (h *hub) add(cl *wsClient, first []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	cl.out = h.out
	cl.queue, cl.unsubscribe = h.out.SubscribeFunc(wsSendQueue, func() {
		cl.drop(websocket.CloseTryAgainLater, "the client did not read its messages in time")
	})
	h.out.SendTo(cl.queue, first)
	h.clients[cl] = struct{}{}
	h.wg.Add(1)
	return true
}

func (h *hub) remove(cl *wsClient) {
	cl.unsubscribe()
	h.mu.Lock()
	delete(h.clients, cl)
	h.mu.Unlock()
	h.wg.Done()
}

// close sends every client the close code 1001 and waits, up to ctx, until their
// handlers and the pusher returned. Each handler ends within wsCloseTimeout of the drop
// whatever its client does (reads, writes, or neither).
func (h *hub) close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	for cl := range h.clients {
		cl.drop(websocket.CloseGoingAway, "the server is shutting down")
	}
	h.mu.Unlock()
	h.cancel()
	h.unsubscribe()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("websocket clients still open at the shutdown deadline: %w", ctx.Err())
	}
}

// enqueue queues msg for this client only, without blocking; a full queue drops the
// client (the hub's rule, see hub.add).
func (cl *wsClient) enqueue(msg []byte) {
	select {
	case <-cl.done:
	default:
		cl.out.SendTo(cl.queue, msg)
	}
}

// drop ends the client once and never blocks: the writer stops, the reader wakes up, and
// the handler sends the close frame code/reason (code 0: none, the client left) and
// closes the connection (finish). fasthttp's Close of a hijacked connection does
// nothing until the handler returns, so the reader is woken through the socket's
// deadline.
func (cl *wsClient) drop(code int, reason string) {
	cl.once.Do(func() {
		cl.code, cl.reason = code, reason
		close(cl.done)
		_ = cl.raw.SetReadDeadline(time.Now())
	})
}

// finish runs after drop, on the handler's goroutine: it sends the close frame, waiting
// at most wsCloseTimeout (a writer blocked on a client that does not read holds the
// connection), then closes the TCP connection, which ends such a write.
func (cl *wsClient) finish() {
	if cl.code != 0 {
		reason := cl.reason
		if len(reason) > 123 { // the largest close reason (a control frame holds 125 bytes)
			reason = reason[:123]
		}
		_ = cl.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(cl.code, reason), time.Now().Add(wsCloseTimeout))
	}
	_ = cl.raw.Close()
}

func (cl *wsClient) writeLoop(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-cl.done:
			return
		case m, ok := <-cl.queue:
			if !ok { // dropped by the hub: its drop is under way
				return
			}
			select {
			case <-cl.done: // dropped meanwhile: nothing more goes out
				return
			default:
			}
			_ = cl.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
			if err := cl.conn.WriteMessage(websocket.TextMessage, m); err != nil {
				cl.drop(0, "")
				return
			}
		}
	}
}

type clientMessage struct {
	Type   string `json:"type"`
	Engine string `json:"engine"`
}

type tailMessage struct {
	Type    string      `json:"type"`
	Engine  string      `json:"engine"`
	Columns []string    `json:"columns"`
	Rows    [][]*string `json:"rows"`
}

func errorMessage(msg string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "error", "error": msg})
	return b
}

// untail stops the client's tail, if any, and waits for its relay to return.
func (cl *wsClient) untail() {
	cl.tailMu.Lock()
	if cl.tailCancel != nil {
		cl.tailCancel()
		cl.tailCancel = nil
	}
	cl.tailMu.Unlock()
	cl.tailWG.Wait()
}

// tail subscribes the client to the live rows of one engine (replacing a previous tail).
func (cl *wsClient) tail(f *factory.Factory, name string) {
	cl.untail()
	if !factory.ValidEngineName(name) {
		cl.enqueue(errorMessage("invalid engine name"))
		return
	}
	ch, cancel, err := f.Tail(name)
	if err != nil {
		cl.enqueue(errorMessage(err.Error()))
		return
	}
	stop := make(chan struct{})
	cl.tailMu.Lock()
	cl.tailCancel = func() { close(stop); cancel() }
	cl.tailMu.Unlock()
	cl.tailWG.Add(1)
	go func() {
		defer cl.tailWG.Done()
		for {
			select {
			case <-stop:
				return
			case <-cl.done:
				return
			case b, ok := <-ch:
				if !ok {
					return
				}
				msg, _ := json.Marshal(tailMessage{Type: "tail", Engine: name, Columns: b.Columns, Rows: b.Rows})
				cl.enqueue(msg)
			}
		}
	}()
}

// wsUpgrade refuses a request that is not a websocket upgrade (426) or whose browser
// Origin is not this server (403). Authentication ran before it.
func (s *Server) wsUpgrade(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return &Error{Status: http.StatusUpgradeRequired, Msg: "this route needs a websocket upgrade"}
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && !auth.SameHost(origin, string(c.Request().Host())) {
		return &Error{Status: http.StatusForbidden, Msg: "the websocket origin is not this server"}
	}
	// The handler keeps the credential to check it again for as long as the socket lives.
	c.Locals(wsTokenLocal, auth.TokenFrom(c))
	if p := auth.Caller(c); p != nil {
		c.Locals(wsUserLocal, p.Username)
	}
	return c.Next()
}

// Locals that carry the upgrade request's credential to the websocket handler.
const (
	wsTokenLocal = "logsieve.ws.token"
	wsUserLocal  = "logsieve.ws.user"
)

// rawConn returns the TCP connection under a hijacked fasthttp connection.
func rawConn(c net.Conn) net.Conn {
	if u, ok := c.(interface{ UnsafeConn() net.Conn }); ok {
		return u.UnsafeConn()
	}
	return c
}

// wsHandler runs one websocket client: a writer goroutine drains its queue, this goroutine
// reads tail/untail requests.
func (s *Server) wsHandler() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		cl := &wsClient{conn: conn, raw: rawConn(conn.NetConn()), done: make(chan struct{})}
		cl.token, _ = conn.Locals(wsTokenLocal).(string)
		cl.user, _ = conn.Locals(wsUserLocal).(string)
		if !s.hub.add(cl, s.hub.statsMessage()) {
			cl.drop(websocket.CloseGoingAway, "the server is shutting down")
			cl.finish()
			return
		}
		defer s.hub.remove(cl)
		s.d.Log.Debug("websocket opened", "user", cl.user, "remote", cl.raw.RemoteAddr().String())
		var wg sync.WaitGroup
		wg.Add(1)
		go cl.writeLoop(&wg)
		conn.SetReadLimit(wsReadLimit)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				break
			}
			var m clientMessage
			if err := decodeBytes(data, &m); err != nil {
				cl.enqueue(errorMessage("messages must be JSON objects {type, engine?}: " + err.Error()))
				continue
			}
			switch m.Type {
			case "tail":
				// Each subscription checks the credential and role as they are now.
				if !s.hub.allow(cl) {
					continue
				}
				cl.tail(s.d.Factory, m.Engine)
			case "untail":
				cl.untail()
			default:
				cl.enqueue(errorMessage("unknown message type " + m.Type))
			}
		}
		cl.drop(0, "")
		cl.untail()
		cl.finish()
		wg.Wait()
		if cl.code == wsCloseUnauthorized || cl.code == websocket.ClosePolicyViolation {
			s.d.Log.Info("websocket closed: its credentials ended", "user", cl.user, "code", cl.code, "reason", cl.reason)
		} else {
			s.d.Log.Debug("websocket closed", "user", cl.user, "code", cl.code, "reason", cl.reason)
		}
	}, websocket.Config{HandshakeTimeout: 10 * time.Second})
}
