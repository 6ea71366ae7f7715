package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"sync"
	"time"
)

// tcpBatch is how many messages one write carries at most (about 64 KB).
const tcpBatch = 256

// frameStream returns msgs framed back to back for a syslog TCP stream and
// the end offset of each frame.
func frameStream(msgs [][]byte, framing string) ([]byte, []int, error) {
	var stream []byte
	ends := make([]int, 0, len(msgs))
	for _, m := range msgs {
		switch framing {
		case "", "octet":
			stream = strconv.AppendInt(stream, int64(len(m)), 10)
			stream = append(stream, ' ')
			stream = append(stream, m...)
		case "lf":
			stream = append(stream, m...)
			stream = append(stream, '\n')
		default:
			return nil, nil, fmt.Errorf("invalid framing %q: use octet or lf", framing)
		}
		ends = append(ends, len(stream))
	}
	return stream, ends, nil
}

// streamConn is one stream connection of the sender: plain TCP or TLS.
type streamConn interface {
	net.Conn
	CloseWrite() error
}

// dialStream connects to o.Target over tcp, or over TLS when o.Protocol is
// "tls" (the handshake done).
func dialStream(ctx context.Context, o Options) (streamConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", o.Target)
	if err != nil {
		return nil, fmt.Errorf("cannot connect over tcp to %q: %w", o.Target, err)
	}
	tc := conn.(*net.TCPConn)
	_ = tc.SetWriteBuffer(4 << 20)
	if o.Protocol != "tls" {
		return tc, nil
	}
	// A load generator, not a syslog client: it trusts whatever certificate
	// the server shows (a fresh self-signed one in `make bench`). Real senders
	// verify it (docs/api.md, TLS).
	c := tls.Client(tc, &tls.Config{InsecureSkipVerify: true})
	if err := c.HandshakeContext(ctx); err != nil {
		tc.Close()
		return nil, fmt.Errorf("TLS handshake with %q failed: %w", o.Target, err)
	}
	return c, nil
}

// maxWorkers bounds the goroutines that drive the connections of one send:
// each paces its share of them, so a thousand connections cost a handful of
// goroutines and timer wake-ups, not a thousand.
const maxWorkers = 8

// minNap and maxNap bound a paced worker's sleep between passes: it sleeps
// until its next connection is due, at least minNap (so many connections due
// within a millisecond share one wake-up) and at most maxNap.
const (
	minNap = time.Millisecond
	maxNap = 20 * time.Millisecond
)

// stream is one connection of a send and its share of the messages.
type stream struct {
	conn  streamConn
	count int     // messages this connection sends
	rate  float64 // messages per second; 0 = unpaced
	phase float64 // in [0,1): staggers the connections' first message
	next  int     // index of the next frame in ends
	sent  int
	done  bool
}

// due is how many messages s should have sent el seconds after the start.
func (s *stream) due(el float64) int {
	if s.rate == 0 {
		return s.count
	}
	return min(s.count, int(s.rate*el+s.phase))
}

// sendTCP sends o.Count messages over o.Conns TCP (or TLS) connections (one
// when o.Conns is 0): each connection gets an even share of the messages and
// of o.Rate (0 = as fast as the receiver reads), paced on its own, its first
// message staggered so the connections do not send in step, and writes the
// frames due at once (up to tcpBatch a write). A few worker goroutines drive
// all connections. Every connection is opened (handshake done) before the
// first message, so Elapsed and the pace start together. Sent counts the
// messages the kernel took; each connection is closed cleanly (TLS:
// close_notify) once its share is sent, so the receiver frames every one.
func sendTCP(ctx context.Context, o Options) (Result, error) {
	stream0, ends, err := frameStream(Messages(8192, o.Size, o.Seed+1), o.Framing)
	if err != nil {
		return Result{}, err
	}
	n := max(o.Conns, 1)
	ss := make([]*stream, n)
	for i := range ss {
		c := o.Count / n
		if i < o.Count%n {
			c++
		}
		// Each connection starts at its own place in the pool.
		ss[i] = &stream{count: c, rate: float64(o.Rate) / float64(n), phase: float64(i) / float64(n),
			next: int(uint64(i) * 7919 % uint64(len(ends)))}
	}
	workers := min(n, maxWorkers)
	closeAll := func() {
		for _, s := range ss {
			if s.conn != nil && !s.done {
				_ = s.conn.Close()
			}
		}
	}
	// Open every connection first, the workers dialling their shares side by side.
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n && errs[w] == nil; i += workers {
				ss[i].conn, errs[w] = dialStream(ctx, o)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll()
		return Result{}, fmt.Errorf("opening %d connections: %w", n, err)
	}
	// A cancelled ctx, or a failed connection, unblocks every write.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(sctx, func() {
		for _, s := range ss {
			_ = s.conn.SetWriteDeadline(time.Now())
		}
	})
	defer stop()
	start := time.Now()
	var once sync.Once
	var firstErr error // the first worker's failure; the others then stop on their deadline
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*stream
			for i := w; i < n; i += workers {
				mine = append(mine, ss[i])
			}
			if err := drive(sctx, mine, stream0, ends, start); err != nil {
				once.Do(func() { firstErr = err })
				cancel()
			}
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start)}
	for _, s := range ss {
		res.Sent += s.sent
	}
	closeAll()
	if firstErr != nil && ctx.Err() == nil { // a stop by ctx is not an error (Send's contract)
		return res, fmt.Errorf("%s to %q: %w", o.Protocol, o.Target, firstErr)
	}
	return res, nil
}

// drive sends the messages of ss, each connection at its pace, and closes
// each connection once its share is sent. It returns on the first write or
// close error, or when ctx ends.
func drive(ctx context.Context, ss []*stream, buf []byte, ends []int, start time.Time) error {
	left := len(ss)
	for _, s := range ss {
		if s.count == 0 {
			if err := finish(s); err != nil {
				return err
			}
			left--
		}
	}
	for left > 0 && ctx.Err() == nil {
		el := time.Since(start).Seconds()
		wake := math.Inf(1) // seconds after start when the next connection is due
		for _, s := range ss {
			if s.done {
				continue
			}
			for want := s.due(el) - s.sent; want > 0; want = s.due(el) - s.sent {
				k := min(want, tcpBatch, len(ends)-s.next)
				from := 0
				if s.next > 0 {
					from = ends[s.next-1]
				}
				if _, err := s.conn.Write(buf[from:ends[s.next+k-1]]); err != nil {
					return fmt.Errorf("write: %w", err)
				}
				s.sent += k
				s.next = (s.next + k) % len(ends)
				if s.rate == 0 {
					break // unpaced: one batch, then the worker's next connection
				}
			}
			if s.sent == s.count {
				if err := finish(s); err != nil {
					return err
				}
				left--
			} else if s.rate > 0 {
				wake = min(wake, (float64(s.sent+1)-s.phase)/s.rate)
			}
		}
		if !math.IsInf(wake, 1) {
			nap := time.Duration((wake - time.Since(start).Seconds()) * float64(time.Second))
			time.Sleep(min(max(nap, minNap), maxNap))
		}
	}
	return nil
}

// finish closes s's connection cleanly once its share is sent.
func finish(s *stream) error {
	s.done = true
	_ = s.conn.CloseWrite() // TLS: close_notify
	if err := s.conn.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}
