package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	coalesceBelow = 8                      // a batch shorter than this ...
	coalesceWait  = 500 * time.Microsecond // ... waits this long before the next read
	readBatch     = 64                     // datagrams per recvmmsg
	maxDatagram   = 65536                  // larger than any UDP payload (65,507 on IPv4)
)

// chunk is what one recvmmsg call brought: datagrams packed back to back in buf,
// ends[i] the end offset of datagram i, addrs[i] its sender.
type chunk struct {
	seq   uint64
	at    int64 // receive time, unix ns
	buf   []byte
	ends  []int
	addrs []netip.Addr
	// spoolPos is the spool position the chunk was replayed from (0: none).
	spoolPos uint64
}

var chunkPool = sync.Pool{New: func() any {
	return &chunk{buf: make([]byte, 0, 4<<10), ends: make([]int, 0, readBatch), addrs: make([]netip.Addr, 0, readBatch)}
}}

func getChunk() *chunk { return chunkPool.Get().(*chunk) }

func putChunk(c *chunk) {
	if cap(c.buf) > 1<<20 { // do not keep a buffer grown by a burst of huge datagrams
		return
	}
	c.buf, c.ends, c.addrs, c.spoolPos = c.buf[:0], c.ends[:0], c.addrs[:0], 0
	chunkPool.Put(c)
}

// listenUDP opens the engine's socket with a large receive buffer. It uses
// SO_RCVBUFFORCE (root or CAP_NET_ADMIN) and falls back to SO_RCVBUF, which the
// kernel caps at net.core.rmem_max. reusePort sets SO_REUSEPORT first: other
// processes of the same user that set it too share the port (the kernel
// spreads senders between them).
func listenUDP(bind string, port, rcvbuf int, reusePort bool) (net.PacketConn, error) {
	ip, err := netip.ParseAddr(bind)
	if err != nil {
		return nil, fmt.Errorf("invalid bind address %q: %w", bind, err)
	}
	network := "udp4"
	if ip.Is6() && !ip.Is4In6() {
		network = "udp6"
		if ip.IsUnspecified() {
			network = "udp" // dual stack
		}
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if reusePort {
				if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); serr != nil {
					return
				}
			}
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) != nil {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	conn, err := lc.ListenPacket(context.Background(), network, addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on udp %s: %w", addr, err)
	}
	return conn, nil
}

// IsAddrInUse reports whether err is a bind conflict.
func IsAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

// receive reads batches until conn is closed and hands each batch on as one chunk.
// A chunk that finds the queue full is spooled to disk when the engine has a
// spool, else dropped and counted, never waited for: a slow writer must not
// make the kernel buffer overflow silently.
func (e *Engine) receive(conn net.PacketConn, out *chunkQueue, wst *workerStat) {
	r, err := newRecvReader(conn, e.cfg.Now)
	if err != nil {
		e.cfg.Log.Error("cannot read the udp socket", "engine", e.cfg.Name, "err", err)
		return
	}
	// At stop the parse workers must not pause for a receiver that is gone.
	defer e.backlog.Store(false)
	for {
		c, t0, err := r.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			e.cfg.Log.Warn("udp read failed", "engine", e.cfg.Name, "err", err)
			continue
		}
		n := len(c.ends)
		if full := n == readBatch; full != e.backlog.Load() {
			e.backlog.Store(full)
		}
		e.ctr.received.Add(uint64(n))
		e.ctr.receivedBytes.Add(uint64(len(c.buf)))
		e.seqMu.Lock()
		if e.sp != nil { // the overflow spool decides (spool.go)
			e.admitLocked(c, out)
		} else if !e.enqueueLocked(c, out, false) { // the queue is full: drop
			e.ctr.dropped.Add(uint64(n))
			putChunk(c)
		}
		e.seqMu.Unlock()
		wst.addBusy(time.Since(t0))
		if n < coalesceBelow {
			// A short batch means the socket is nearly empty: wait a moment so the
			// next recvmmsg brings a fuller batch, the longer the shorter it was
			// (4 ms after one datagram, 0.5 ms after seven). Under load this
			// halves the syscalls and chunks per log; an engine that gets a
			// datagram every millisecond or so (50 engines sharing 100k/s) reads,
			// parses and hands on a few at a time instead of each alone; idle, it
			// adds at most ~4 ms of latency.
			time.Sleep(coalesceWait * coalesceBelow / time.Duration(max(n, 1)))
		}
	}
}
