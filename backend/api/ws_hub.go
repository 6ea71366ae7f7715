package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/factory"
)

// Websocket limits.
const (
	wsSendQueue    = 64               // messages queued per client before it counts as slow
	wsWriteTimeout = 10 * time.Second // a write that takes longer drops the client
	wsReadLimit    = 4096             // the largest client message
)

// hub pushes stats to every websocket client and relays tails. A client that cannot keep
// up (full queue or slow write) is dropped; nothing here ever blocks an engine.
type hub struct {
	s       *Server
	mu      sync.Mutex
	clients map[*wsClient]struct{}
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type wsClient struct {
	conn *websocket.Conn
	send chan []byte
	done chan struct{}
	once sync.Once

	tailMu     sync.Mutex
	tailCancel func()
	tailWG     sync.WaitGroup
}

func newHub(s *Server) *hub {
	ctx, cancel := context.WithCancel(context.Background())
	h := &hub{s: s, clients: map[*wsClient]struct{}{}, cancel: cancel}
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

type statsMessage struct {
	Type    string                  `json:"type"`
	T       int64                   `json:"t"`
	Engines map[string]engine.Stats `json:"engines"`
	System  SystemInfo              `json:"system"`
}

func (h *hub) statsMessage() []byte {
	f := h.s.d.Factory
	m := statsMessage{Type: "stats", T: h.s.d.Now().UnixMilli(), Engines: map[string]engine.Stats{}, System: h.s.systemInfo()}
	for _, e := range f.Engines() {
		if st, err := f.Stats(e.Name); err == nil {
			m.Engines[e.Name] = st
		}
	}
	b, _ := json.Marshal(m)
	return b
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

func (h *hub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for cl := range h.clients {
		cl.enqueue(msg)
	}
}

func (h *hub) add(cl *wsClient) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.clients[cl] = struct{}{}
	h.wg.Add(1)
	return true
}

func (h *hub) remove(cl *wsClient) {
	h.mu.Lock()
	delete(h.clients, cl)
	h.mu.Unlock()
	h.wg.Done()
}

// close drops every client and waits until their handlers and the pusher returned.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	for cl := range h.clients {
		cl.drop()
	}
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// enqueue queues msg without blocking; a full queue drops the client.
func (cl *wsClient) enqueue(msg []byte) {
	select {
	case <-cl.done:
	case cl.send <- msg:
	default:
		cl.drop()
	}
}

// drop ends the connection once; the reader and writer return.
func (cl *wsClient) drop() {
	cl.once.Do(func() {
		close(cl.done)
		_ = cl.conn.Close()
	})
}

func (cl *wsClient) writeLoop(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-cl.done:
			return
		case m := <-cl.send:
			_ = cl.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
			if err := cl.conn.WriteMessage(websocket.TextMessage, m); err != nil {
				cl.drop()
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
func (cl *wsClient) tail(f Factory, name string) {
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
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, string(c.Request().Host())) {
			return &Error{Status: http.StatusForbidden, Msg: "the websocket origin is not this server"}
		}
	}
	return c.Next()
}

// wsHandler runs one websocket client: a writer goroutine drains its queue, this goroutine
// reads tail/untail requests.
func (s *Server) wsHandler() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		cl := &wsClient{conn: conn, send: make(chan []byte, wsSendQueue), done: make(chan struct{})}
		if !s.hub.add(cl) {
			_ = conn.Close()
			return
		}
		defer s.hub.remove(cl)
		var wg sync.WaitGroup
		wg.Add(1)
		go cl.writeLoop(&wg)
		conn.SetReadLimit(wsReadLimit)
		cl.enqueue(s.hub.statsMessage())
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
				cl.tail(s.d.Factory, m.Engine)
			case "untail":
				cl.untail()
			default:
				cl.enqueue(errorMessage("unknown message type " + m.Type))
			}
		}
		cl.drop()
		cl.untail()
		wg.Wait()
	}, websocket.Config{HandshakeTimeout: 10 * time.Second})
}
