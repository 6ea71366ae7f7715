package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultIdleTimeout is how long a TCP connection may stay silent before the
// engine closes it (Config.IdleTimeout; tests shorten it).
var DefaultIdleTimeout = 10 * time.Minute

// Defaults of the stream limits (engine fields max_message_bytes, max_connections).
const (
	DefaultMaxMessageBytes = 65536
	DefaultMaxConnections  = 1024
)

// listenTCP opens the engine's stream listener. A TLS listener can wrap it.
func listenTCP(bind string, port int, reusePort bool) (net.Listener, error) {
	ip, err := netip.ParseAddr(bind)
	if err != nil {
		return nil, fmt.Errorf("invalid bind address %q: %w", bind, err)
	}
	network := "tcp4"
	if ip.Is6() && !ip.Is4In6() {
		network = "tcp6"
		if ip.IsUnspecified() {
			network = "tcp" // dual stack
		}
	}
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	var lc net.ListenConfig
	if reusePort {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			}); err != nil {
				return err
			}
			return serr
		}
	}
	ln, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on tcp %s: %w", addr, err)
	}
	return ln, nil
}

// streamConn is one open connection of a stream engine.
type streamConn struct {
	conn     net.Conn // the socket (a TLS connection reads through it)
	peer     netip.Addr
	peerText string
	since    time.Time
	messages atomic.Uint64
	bytes    atomic.Uint64
	bufPeak  atomic.Int64 // the largest read buffer it had (tests)
}

// Connection is one open connection, shaped as GET /engines/:name/connections.
type Connection struct {
	Peer     string `json:"peer"`  // address:port of the sender
	Since    int64  `json:"since"` // unix ms
	Messages uint64 `json:"messages"`
	Bytes    uint64 `json:"bytes"`
}

// streamConns is the set of open connections of a running stream engine.
type streamConns struct {
	mu   sync.Mutex
	open map[*streamConn]struct{}
	wg   sync.WaitGroup
	tls  *tls.Config // tls engines: each connection starts with a handshake
}

// Connections lists the open connections, oldest first (none for a UDP engine).
func (e *Engine) Connections() []Connection {
	e.mu.Lock()
	sc := e.streams
	e.mu.Unlock()
	out := []Connection{}
	if sc == nil {
		return out
	}
	sc.mu.Lock()
	for c := range sc.open {
		out = append(out, Connection{Peer: c.peerText, Since: c.since.UnixMilli(),
			Messages: c.messages.Load(), Bytes: c.bytes.Load()})
	}
	sc.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Since != out[j].Since {
			return out[i].Since < out[j].Since
		}
		return out[i].Peer < out[j].Peer
	})
	return out
}

// serveStream accepts connections until ln is closed, then closes the open
// ones and returns once every connection goroutine has handed on what it
// framed. Known senders apply at accept time; max_connections bounds the open
// connections (the next one is closed at once and counted).
func (e *Engine) serveStream(ln net.Listener, sc *streamConns, out *chunkQueue, wst *workerStat) {
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				break
			}
			// EMFILE and the like: back off as net/http does, and try again.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			e.connEvent(LevelWarning, "accept failed: %v", err)
			time.Sleep(delay)
			continue
		}
		delay = 0
		t0 := time.Now()
		e.accept(conn, sc, out)
		wst.addBusy(time.Since(t0))
	}
	sc.mu.Lock()
	for c := range sc.open {
		_ = c.conn.Close()
	}
	sc.mu.Unlock()
	sc.wg.Wait()
}

// accept admits conn or closes it: a sender the client list rejects is counted
// as one received and rejected log (the accounting identity holds); one over
// max_connections is counted in connections_refused. A TLS connection holds
// its slot during the handshake, which runs in the connection's goroutine,
// never in the accept loop.
func (e *Engine) accept(conn net.Conn, sc *streamConns, out *chunkQueue) {
	var peer netip.Addr
	peerText := conn.RemoteAddr().String()
	if ap, err := netip.ParseAddrPort(peerText); err == nil {
		peer = ap.Addr().Unmap()
	}
	if e.clients.Load().resolve(peer) == senderRejected {
		e.ctr.received.Add(1)
		e.ctr.rejected.Add(1)
		_ = conn.Close()
		return
	}
	sc.mu.Lock()
	if len(sc.open) >= e.cfg.MaxConnections {
		sc.mu.Unlock()
		e.ctr.connRefused.Add(1)
		_ = conn.Close()
		e.connEvent(LevelWarning, "connection from %s refused: max_connections (%d) are open", peerText, e.cfg.MaxConnections)
		return
	}
	c := &streamConn{conn: conn, peer: peer, peerText: peerText, since: time.Now()}
	sc.open[c] = struct{}{}
	e.ctr.connections.Add(1)
	e.ctr.connTotal.Add(1)
	sc.wg.Add(1)
	sc.mu.Unlock()
	go func() {
		defer sc.wg.Done()
		var rd net.Conn = conn
		if sc.tls != nil {
			rd = e.handshake(c, sc.tls)
		}
		if rd != nil {
			e.serveConn(c, rd, out)
		}
		_ = conn.Close() // the socket: a TLS close_notify could block on a peer that does not read
		sc.mu.Lock()
		delete(sc.open, c)
		sc.mu.Unlock()
		e.ctr.connections.Add(-1)
	}()
}

// serveConn reads one connection through rd (the socket, or its TLS
// connection) until it ends, framing what it reads and handing on the
// messages of each read as one chunk. A framing error, the idle timeout or
// the peer's close ends it; a frame cut off by the end is not stored and
// counts as a framing error.
func (e *Engine) serveConn(c *streamConn, rd net.Conn, out *chunkQueue) {
	sb := newStreamBuf(e.cfg.MaxMessageBytes, &e.streamBufBytes, &c.bufPeak)
	defer sb.release()
	_, isTLS := rd.(*tls.Conn)
	f := framer{max: e.cfg.MaxMessageBytes}
	for {
		if e.cfg.IdleTimeout > 0 {
			_ = rd.SetReadDeadline(time.Now().Add(e.cfg.IdleTimeout))
		}
		room := sb.room()
		n, err := rd.Read(room)
		full := n == len(room)
		if isTLS && err == nil {
			n, full, err = moreRecords(rd, room, n)
		}
		if n > 0 {
			c.bytes.Add(uint64(n))
			r := sb.r + n
			ch := getChunk()
			ch.at = e.cfg.Now().UnixNano()
			used, ferr := f.feed(sb.b[:r], ch)
			for len(ch.addrs) < len(ch.ends) {
				ch.addrs = append(ch.addrs, c.peer)
			}
			if f.truncated > 0 {
				e.ctr.truncated.Add(f.truncated)
				f.truncated = 0
			}
			c.messages.Add(uint64(len(ch.ends)))
			e.handOn(ch, out)
			sb.r = copy(sb.b, sb.b[used:r])
			if ferr != nil {
				e.ctr.framingErrors.Add(1)
				e.connEvent(LevelWarning, "connection from %s closed: %v", c.peerText, ferr)
				return
			}
			if !sb.adapt(n, full) { // cannot happen with a limit above max+16; never spin
				e.ctr.framingErrors.Add(1)
				e.connEvent(LevelWarning, "connection from %s closed: frame does not fit the read buffer", c.peerText)
				return
			}
		}
		if err == nil {
			continue
		}
		if f.pending(sb.b[:sb.r]) {
			e.ctr.framingErrors.Add(1)
			e.connEvent(LevelWarning, "connection from %s ended mid-frame: %d bytes not stored", c.peerText, sb.r)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			e.connEvent(LevelInfo, "connection from %s closed after %v idle", c.peerText, e.cfg.IdleTimeout)
		} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
			e.cfg.Log.Debug("tcp read ended", "engine", e.cfg.Name, "peer", c.peerText, "err", err)
		}
		return
	}
}

// A TLS read returns one record (at most 16 KiB of plaintext), where a TCP
// read returns what the socket holds (up to the read buffer's room).
// moreRecords reads on into buf[n:] the records that are already there,
// waiting at most tlsMoreWait for each, so that one chunk carries about as
// many logs as a TCP read's: eight times fewer, fuller chunks through the
// queue and the parse workers (TLS RSS and CPU, README). full reports that it
// stopped with records perhaps still there (buf or the chunk bound is full),
// not after waiting in vain: the connection's buffer grows. A timeout here is
// no error: crypto/tls keeps a partly read record (and the rest of a record
// that did not fit buf) and the next Read goes on with it. The caller sets
// the idle deadline again before its next read.
func moreRecords(rd net.Conn, buf []byte, n int) (_ int, full bool, _ error) {
	for n < tlsCoalesceBytes && n < len(buf) {
		_ = rd.SetReadDeadline(time.Now().Add(tlsMoreWait))
		m, err := rd.Read(buf[n:])
		n += m
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return n, false, nil
			}
			return n, false, err
		}
	}
	return n, true, nil
}

// The bounds of moreRecords: a chunk of at least tlsCoalesceBytes goes on at
// once; the wait for the next record.
const (
	tlsCoalesceBytes = 96 << 10
	tlsMoreWait      = 50 * time.Microsecond
)

// handOn puts a chunk of framed messages into the pipeline, waiting while the
// queue is full: a stream loses nothing it has read. Meanwhile the connection
// is not read, so the sender's TCP window fills; the wait adds to
// backpressure_ms. A chunk always fits an empty queue.
func (e *Engine) handOn(c *chunk, out *chunkQueue) {
	n := len(c.ends)
	if n == 0 {
		putChunk(c)
		return
	}
	e.ctr.received.Add(uint64(n))
	size := int64(len(c.buf))
	e.ctr.receivedBytes.Add(uint64(size))
	var t0 time.Time
	var timer *time.Timer
	for {
		room := e.room.wait()
		q := e.ctr.queued.Load()
		if q == 0 || (q+int64(n) <= int64(e.cfg.QueueLogs) && e.ctr.queuedBytes.Load()+size <= int64(e.cfg.QueueBytes)) {
			break
		}
		if t0.IsZero() {
			t0 = time.Now()
			e.ctr.waiting.Add(1)
			select {
			case e.full <- struct{}{}:
			default:
			}
			timer = time.NewTimer(10 * time.Millisecond)
		} else {
			timer.Reset(10 * time.Millisecond)
		}
		select { // Go >= 1.23 timers: Reset after Stop needs no drain
		case <-room:
			timer.Stop()
		case <-timer.C: // a safety net; the batcher signals room
		}
	}
	if !t0.IsZero() {
		timer.Stop()
		e.ctr.waiting.Add(-1)
		e.ctr.backpressureNs.Add(uint64(time.Since(t0)))
	}
	e.ctr.queued.Add(int64(n))
	e.ctr.queuedBytes.Add(size)
	e.seqMu.Lock()
	c.seq = e.seq
	e.seq++
	out.push(c)
	e.seqMu.Unlock()
}

// roomSignal wakes the connections waiting for room in the queue.
type roomSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next signal.
func (s *roomSignal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// signal wakes every waiter.
func (s *roomSignal) signal() {
	s.mu.Lock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	s.mu.Unlock()
}

// eventLimiter keeps connection events (refusals, framing errors, idle
// closes) from flooding the event log: a burst of 10, then one every 6 s, the
// next event telling how many were left out.
type eventLimiter struct {
	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed int
}

const (
	connEventBurst = 10
	connEventEvery = 6 * time.Second
)

func (l *eventLimiter) allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last.IsZero() {
		l.tokens = connEventBurst
	} else {
		l.tokens = min(connEventBurst, l.tokens+float64(now.Sub(l.last))/float64(connEventEvery))
	}
	l.last = now
	if l.tokens < 1 {
		l.suppressed++
		return false, 0
	}
	l.tokens--
	s := l.suppressed
	l.suppressed = 0
	return true, s
}

// connEvent records a connection event, rate limited.
func (e *Engine) connEvent(level, format string, a ...any) {
	ok, suppressed := e.connEvents.allow(time.Now())
	if !ok {
		return
	}
	msg := fmt.Sprintf(format, a...)
	if suppressed > 0 {
		msg += fmt.Sprintf(" (%d similar connection events left out)", suppressed)
	}
	e.events.Add(level, "%s", msg)
}
