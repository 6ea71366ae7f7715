// Package engine runs one listener: it receives syslog datagrams, extracts the
// values of its class from each and writes them in batches to the engine's day
// files. It knows nothing of HTTP; the factory owns engines.
package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/internal/ring"
	"github.com/logsieve/logsieve/backend/spool"
	"github.com/logsieve/logsieve/backend/store"
	"github.com/logsieve/logsieve/backend/syslog"
)

// States of an engine.
const (
	StateRunning = "running"
	StateStopped = "stopped"
	StatePaused  = "paused"
	StateFailed  = "failed"
)

// Config is what an engine needs to run. Zero values take the defaults noted.
type Config struct {
	Name     string
	Protocol string // "udp" (default), "tcp" or "tls"
	Bind     string // IP to bind; default 0.0.0.0
	Port     int
	Dir      string // the engine's day-file directory
	// Days, when set, owns the day files (a factory holds it across restarts);
	// the writer gets its files through it. Otherwise the engine's writer
	// opens a Days of its own on Dir for each run.
	Days         *store.Days
	Location     *time.Location
	TZName       string
	KeepOriginal bool
	// SyslogHeader is the header mode: "none" (or "") stores no header
	// columns; "auto", "rfc3164" or "rfc5424" fill the 8 header columns
	// (syslog.Columns) in front of the class's value columns.
	SyslogHeader string
	RcvBuf       int           // SO_RCVBUF bytes; default 32 MiB (SO_RCVBUFFORCE when allowed)
	Workers      int           // parse workers; default defaultWorkers
	BatchRows    int           // rows per write transaction at most; default 8000 (fits the writer's 4 MiB SQLite cache)
	FlushEvery   time.Duration // a batch waits at most this long; default 250 ms
	FlushIdle    time.Duration // a batch is written once no log came for this long; default 20 ms (>= FlushEvery: off)
	QueueLogs    int           // logs accepted but not yet written before new ones are dropped; default 131072 (udp), streamQueueLogs (tcp, tls)
	QueueBytes   int           // the same bound in datagram bytes (big datagrams); default 64 MiB
	// Stream (tcp) limits: the longest message (an LF message is cut there, a
	// longer octet count closes the connection), the open connections, and how
	// long a connection may stay silent (default DefaultIdleTimeout).
	MaxMessageBytes int
	MaxConnections  int
	IdleTimeout     time.Duration
	// TLS (protocol "tls", RFC 5425): GetCertificate gives the server
	// certificate of each new handshake (required; a tlscert.Store's);
	// ClientCA, when set, is a PEM file of the CAs every client must present a
	// certificate of; a handshake taking longer than HandshakeTimeout
	// (default DefaultHandshakeTimeout) closes the connection.
	GetCertificate   func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	ClientCA         string
	HandshakeTimeout time.Duration
	Now              func() time.Time
	Log              *slog.Logger
	// Events receives what happens to the engine; a new log of
	// DefaultEventLogSize events when nil. A factory passes one log that
	// outlives engine restarts.
	Events *EventLog

	// The overflow spool (udp only; spool.go): when the queue is full,
	// chunks go to segment files in SpoolDir, at most SpoolMaxBytes (0 or
	// no dir: no spool, a full queue drops). SpoolSegmentBytes (default
	// 64 MiB) and SpoolFault (called before each spool write) are for tests.
	SpoolDir          string
	SpoolMaxBytes     int64
	SpoolSegmentBytes int64
	SpoolFault        func() error
	// SpoolOwner is the identity of the engine's definition (spool.Claim):
	// a spool in SpoolDir of another one is moved to SpoolOrphans, not
	// replayed ("" SpoolOrphans: no check).
	SpoolOwner, SpoolOrphans string

	// ReusePort sets SO_REUSEPORT on the listener: several processes (cluster
	// ingest nodes on one box) share the engine's port and the kernel spreads
	// the senders between them. Off on a single box: a second engine on the
	// port is a conflict, as before.
	ReusePort bool

	// Sink, when set, takes the parsed batches instead of the engine's day
	// files (a cluster ingest node publishes them; see Sink). nil: the day
	// files, as on a single box.
	Sink Sink
}

// Sink takes the engine's parsed batches, in receive order, one call at a
// time. Write returns how many rows it accepted (stored, or durably handed
// on); the rest count as write errors. A *store.Writer is the local Sink.
type Sink interface {
	Write(s *store.Schema, rows []store.Row) (int, error)
}

func (c *Config) fill() {
	if c.Protocol == "" {
		c.Protocol = "udp"
	}
	if c.Bind == "" {
		c.Bind = "0.0.0.0"
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.TZName == "" {
		c.TZName = c.Location.String()
	}
	if c.RcvBuf <= 0 {
		c.RcvBuf = 32 << 20
	}
	if c.Workers <= 0 {
		c.Workers = defaultWorkers(c.Protocol, runtime.GOMAXPROCS(0))
	}
	if c.BatchRows <= 0 {
		c.BatchRows = 8000
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = 250 * time.Millisecond
	}
	if c.FlushIdle <= 0 {
		c.FlushIdle = 20 * time.Millisecond
	}
	if c.QueueLogs <= 0 {
		c.QueueLogs = 128 << 10
		if c.Protocol != "udp" {
			c.QueueLogs = streamQueueLogs
		}
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = 64 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Events == nil {
		c.Events = NewEventLog(DefaultEventLogSize, c.Now, nil)
	}
}

// classState is the class in force and the store schema derived from it:
// the header columns (when the engine parses headers), then the class's.
type classState struct {
	cls    *class.Class
	schema *store.Schema
}

// Engine is one running (or stopped) listener. Its methods are safe for
// concurrent use.
type Engine struct {
	cfg     Config
	header  syslog.Mode // from cfg.SyslogHeader
	hdrErr  error       // an unknown cfg.SyslogHeader: Start fails with it
	cur     atomic.Pointer[classState]
	clients atomic.Pointer[ClientList]
	events  *EventLog
	sink    atomic.Pointer[sinkBox] // see SetRowSink

	paused      atomic.Bool // storing refused (disk guard); see Pause
	pauseMu     sync.Mutex
	pauseReason string

	mu      sync.Mutex // guards the lifecycle fields below
	state   string
	reason  string
	started time.Time
	conn    net.PacketConn // udp
	ln      net.Listener   // tcp, tls
	streams *streamConns   // tcp, tls: the open connections
	queue   *chunkQueue    // the received chunks waiting for the parse workers
	done    chan struct{}

	// tcp: chunks of all connections are numbered in the order they enter the
	// queue; room wakes connections waiting for the queue to drain, and full
	// tells the writer that one began to wait (batcher.go).
	seqMu      sync.Mutex
	seq        uint64
	room       roomSignal
	full       chan struct{}
	connEvents eventLimiter
	// tcp, tls: bytes of the connections' read buffers (stream_buf.go; tests read it)
	streamBufBytes atomic.Int64

	// udp with a spool (spool.go): the receiver and the drainer enqueue
	// under seqMu, which also guards spoolBusy (the drainer holds a record
	// read from the spool but not yet in the queue) and the receiver's
	// spool scratch.
	sp         *spool.Spool
	spoolDays  *store.Days
	spoolBusy  bool
	spoolWake  chan struct{}
	spoolBuf   []byte
	spoolErr   string
	spoolErrAt time.Time
	spc        spoolCounters
	// backlog: the receiver's last recvmmsg filled its batch, so the
	// socket holds more than it has read (parse workers yield to it while
	// spooling: parse_worker.go).
	backlog atomic.Bool

	ctr     counters
	hist    *ring.Ring[Point] // per-second points, oldest first
	tail    tailHub
	workers []*workerStat
}

// New returns a stopped engine for cls.
func New(cfg Config, cls *class.Class) *Engine {
	cfg.fill()
	e := &Engine{cfg: cfg, state: StateStopped, hist: ring.New[Point](historySeconds), events: cfg.Events, full: make(chan struct{}, 1)}
	e.header, e.hdrErr = syslog.ParseMode(cfg.SyslogHeader)
	e.SetClass(cls)
	return e
}

// Name returns the engine's name.
func (e *Engine) Name() string { return e.cfg.Name }

// SetClass makes cls the engine's class from the next received chunk on, without a
// restart and without losing a log; the open day file gains any new columns.
func (e *Engine) SetClass(cls *class.Class) {
	cols := cls.Columns()
	if e.header != syslog.ModeNone {
		cols = append(syslog.Columns(), cols...)
	}
	old := e.cur.Swap(&classState{cls: cls, schema: &store.Schema{Columns: cols, KeepOriginal: e.cfg.KeepOriginal}})
	switch {
	case old == nil:
	case old.cls.Name != cls.Name:
		e.events.Add(LevelInfo, "class changed from %q to %q", old.cls.Name, cls.Name)
	default:
		e.events.Add(LevelInfo, "class %q changed: columns %v", cls.Name, cls.Columns())
	}
}

// Class returns the class in force.
func (e *Engine) Class() *class.Class { return e.cur.Load().cls }

// ErrRunning is returned by Start on an engine that is already running.
var ErrRunning = errors.New("engine is already running")

// Start binds the socket and starts receiving. A bind failure is returned (and the
// engine shows failed with the reason); nothing keeps running then.
func (e *Engine) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done != nil {
		return ErrRunning
	}
	var (
		conn    net.PacketConn
		ln      net.Listener
		tlsConf *tls.Config
		err     error
	)
	switch {
	case e.hdrErr != nil:
		err = e.hdrErr
	case e.cfg.Protocol == "udp":
		conn, err = listenUDP(e.cfg.Bind, e.cfg.Port, e.cfg.RcvBuf, e.cfg.ReusePort)
	case e.cfg.Protocol == "tcp":
		ln, err = listenTCP(e.cfg.Bind, e.cfg.Port, e.cfg.ReusePort)
	case e.cfg.Protocol == "tls":
		if tlsConf, err = e.serverTLSConfig(); err == nil {
			ln, err = listenTCP(e.cfg.Bind, e.cfg.Port, e.cfg.ReusePort)
		}
	default:
		err = fmt.Errorf("unknown protocol %q", e.cfg.Protocol)
	}
	if err != nil {
		e.logState(e.state, StateFailed, err.Error())
		e.state, e.reason = StateFailed, err.Error()
		e.events.Add(LevelError, "failed to start: %v", err)
		return err
	}
	opt := store.Options{Location: e.cfg.Location, TZName: e.cfg.TZName}
	var w *store.Writer
	if e.cfg.Days != nil {
		w, err = e.cfg.Days.OpenWriter(opt)
	} else {
		w, err = store.OpenWriter(e.cfg.Dir, opt)
	}
	if err != nil {
		closeSocket(conn, ln)
		e.logState(e.state, StateFailed, err.Error())
		e.state, e.reason = StateFailed, err.Error()
		e.events.Add(LevelError, "failed to start: %v", err)
		return err
	}
	sp, err := e.openSpool(w)
	if err != nil {
		e.cfg.Log.Error("cannot open the spool; a full queue drops", "engine", e.cfg.Name, "err", err)
		e.events.Add(LevelError, "spool: cannot open, a full queue drops: %v", err)
	}
	e.sp = sp
	if err := w.IndexClosedDays(e.today()); err != nil {
		e.cfg.Log.Warn("cannot queue index builds of closed days", "engine", e.cfg.Name, "err", err)
	}
	e.conn, e.ln, e.done = conn, ln, make(chan struct{})
	to, why := StateRunning, ""
	if paused, r := e.Paused(); paused {
		to, why = StatePaused, r
	}
	e.logState(e.state, to, why, "addr", e.addrLocked())
	e.state, e.reason, e.started = StateRunning, "", time.Now()
	e.run(conn, ln, tlsConf, w)
	e.events.Add(LevelInfo, "started on %s %s", e.cfg.Protocol, e.addrLocked())
	return nil
}

// logState writes the service log's one line for a change of the engine's state
// (docs/operations.md): the engine, the new state, the one before, and why when
// there is a reason; failed is an error, paused a warning. attrs are added.
func (e *Engine) logState(from, to, reason string, attrs ...any) {
	level := slog.LevelInfo
	switch to {
	case StateFailed:
		level = slog.LevelError
	case StatePaused:
		level = slog.LevelWarn
	}
	args := append([]any{"engine", e.cfg.Name, "state", to, "from", from}, attrs...)
	if reason != "" {
		args = append(args, "reason", reason)
	}
	e.cfg.Log.Log(context.Background(), level, "engine state changed", args...)
}

// closeSocket closes whichever of the engine's sockets is open.
func closeSocket(conn net.PacketConn, ln net.Listener) {
	if conn != nil {
		_ = conn.Close()
	}
	if ln != nil {
		_ = ln.Close()
	}
}

// run wires receiver (a stream listener, TLS when tlsConf is set) -> parse
// workers -> batcher (the worker named "writer"), and subscribes the
// engine's per-second sample to the engines' shared clock.
func (e *Engine) run(conn net.PacketConn, ln net.Listener, tlsConf *tls.Config, w *store.Writer) {
	// A chunk holds at least one log (1..64 from a UDP read, a TCP read's worth
	// from a connection); the queue is bounded in logs (QueueLogs), so chunks
	// only needs room for that many single-log chunks at most (chunk_queue.go:
	// the room is held only while chunks wait). parsed only hands chunks to
	// the writer: while the writer is busy the parse workers wait on it and
	// the queue waits in chunks, so 1,024 places are enough.
	chunks := newChunkQueue(min(e.cfg.QueueLogs, maxQueueChunks))
	e.queue = chunks
	parsed := make(chan *parsedChunk, min(e.cfg.QueueLogs, parsedQueue))
	e.workers = []*workerStat{{name: "receiver"}}
	for i := 0; i < e.cfg.Workers; i++ {
		e.workers = append(e.workers, &workerStat{name: fmt.Sprintf("parser-%d", i+1)})
	}
	e.workers = append(e.workers, &workerStat{name: "writer"})
	kd := newKernelDrops(conn)
	// The history's baseline is taken before the first datagram can be counted,
	// so its points add up to the counters' growth from here on.
	base := e.sampleBase(kd)

	sp := e.sp
	var recvWG, parseWG sync.WaitGroup
	recvWG.Add(1)
	if ln != nil {
		sc := &streamConns{open: map[*streamConn]struct{}{}, tls: tlsConf}
		e.streams, e.seq = sc, 0
		go func() {
			defer recvWG.Done()
			e.serveStream(ln, sc, chunks, e.workers[0])
			chunks.close()
		}()
	} else {
		e.seq, e.spoolBusy, e.spoolWake = 0, false, make(chan struct{}, 1)
		go func() {
			defer recvWG.Done()
			stopDrain, drained := make(chan struct{}), make(chan struct{})
			if sp != nil {
				go func() {
					defer close(drained)
					e.drain(chunks, stopDrain)
				}()
			} else {
				close(drained)
			}
			e.receive(conn, chunks, e.workers[0])
			close(stopDrain)
			<-drained
			chunks.close()
		}()
	}
	for i := 0; i < e.cfg.Workers; i++ {
		parseWG.Add(1)
		go func(wst *workerStat) {
			defer parseWG.Done()
			e.parse(chunks, parsed, wst)
		}(e.workers[1+i])
	}
	go func() {
		parseWG.Wait()
		close(parsed)
	}()
	writerDone := make(chan struct{})
	dayTick := make(chan struct{}, 1)
	go func() {
		defer close(writerDone)
		e.runBatcher(parsed, w, e.workers[len(e.workers)-1], dayTick)
	}()
	stopSampling := engineClock.add(e.sampler(kd, base, dayTick))
	done := e.done
	go func() {
		recvWG.Wait()
		<-writerDone
		if err := w.Close(); err != nil {
			e.cfg.Log.Error("cannot close day files", "engine", e.cfg.Name, "err", err)
		}
		if sp != nil {
			if err := sp.Close(); err != nil {
				e.cfg.Log.Error("cannot close the spool", "engine", e.cfg.Name, "err", err)
			}
		}
		stopSampling()
		close(done)
	}()
}

// defaultWorkers is the number of parse workers of an engine of protocol on
// procs Ps: GOMAXPROCS for udp, one less (at least one) for tcp and tls. A
// stream engine's receiver is light (a read brings ~500 logs) and its writer,
// the one serial stage, bounds it: with as many parse workers as Ps, both
// parsed ahead whenever a flush let the connection read again and took both
// Ps, and the writer, back from a cgo call into SQLite, waited for one (a
// runtime trace of one connection at 121k logs/s: the writer runnable but
// not running 2.4 s of 8.7 s, the parse workers idle 4 s each). With one
// fewer, the writer keeps a P (README, "TCP: the writer's P").
func defaultWorkers(protocol string, procs int) int {
	if protocol == "tcp" || protocol == "tls" {
		return max(procs-1, 1)
	}
	return procs
}

// streamQueueLogs is the default queue of a tcp or tls engine. A stream
// loses nothing while its queue is full (its connections are not read and
// the senders' TCP windows fill), so the queue only has to keep the writer
// fed: two batches. A queue of 131,072 logs, always full behind one fast
// connection, held ~200 MB of parsed rows that the writer read long after
// the parse workers wrote them, out of the CPU's caches: one connection at
// 350,000/s offered took 5.17 µs of server CPU per log with an RSS of ~300 MB,
// 4.41 µs and ~100 MB with this queue (README, "TCP: a queue of two
// batches").
const streamQueueLogs = 16 << 10

// parsedQueue is the room of the channel from the parse workers to the writer.
const parsedQueue = 1024

// maxQueueChunks bounds an engine's queue in chunks, besides QueueLogs and
// QueueBytes.
const maxQueueChunks = 1 << 16

// Stop closes the socket and returns once every accepted log is written and every
// goroutine of the engine has ended.
func (e *Engine) Stop() error {
	e.mu.Lock()
	done, conn, ln := e.done, e.conn, e.ln
	e.mu.Unlock()
	if done == nil {
		return nil
	}
	closeSocket(conn, ln) // a stream listener then closes its connections
	<-done
	e.tail.closeAll()
	e.mu.Lock()
	e.done, e.conn, e.ln, e.streams, e.sp, e.queue = nil, nil, nil, nil, nil, nil
	from := StateRunning
	if paused, _ := e.Paused(); paused {
		from = StatePaused
	}
	e.logState(from, StateStopped, "")
	if e.state != StateFailed {
		e.state, e.reason = StateStopped, ""
	}
	e.started = time.Time{}
	e.mu.Unlock()
	st := e.Stats()
	e.events.Add(LevelInfo, "stopped (received %d, stored %d, rejected %d, dropped %d, refused %d, write errors %d)",
		st.Received, st.Stored, st.Rejected, st.Dropped, st.Refused, st.WriteErrors)
	return nil
}

// Running reports whether the engine's socket is open.
func (e *Engine) Running() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.done != nil
}

// setReason records a problem seen while running (e.g. write errors) without
// stopping the engine.
func (e *Engine) setReason(r string) {
	e.mu.Lock()
	e.reason = r
	e.mu.Unlock()
}

// Addr returns the bound socket address while running ("" when stopped).
func (e *Engine) Addr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addrLocked()
}

func (e *Engine) addrLocked() string {
	switch {
	case e.conn != nil:
		return e.conn.LocalAddr().String()
	case e.ln != nil:
		return e.ln.Addr().String()
	}
	return ""
}
