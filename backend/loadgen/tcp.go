package loadgen

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
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

// sendTCP sends o.Count messages over one TCP (or TLS) connection at o.Rate
// per second (0 = as fast as the receiver reads), up to tcpBatch frames a
// write. Sent counts the messages the kernel took; the connection is closed
// cleanly so the receiver frames every one.
func sendTCP(ctx context.Context, o Options) (Result, error) {
	stream, ends, err := frameStream(Messages(8192, o.Size, o.Seed+1), o.Framing)
	if err != nil {
		return Result{}, err
	}
	conn, err := dialStream(ctx, o)
	if err != nil {
		return Result{}, err
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetWriteDeadline(time.Now()) })
	defer stop()
	start := time.Now()
	sent, next := 0, 0 // next: index of the next frame in ends
	for sent < o.Count && ctx.Err() == nil {
		want := min(o.Count-sent, tcpBatch, len(ends)-next)
		if o.Rate > 0 {
			due := int(float64(o.Rate) * time.Since(start).Seconds())
			if due <= sent {
				time.Sleep(200 * time.Microsecond)
				continue
			}
			want = min(want, due-sent)
		}
		from := 0
		if next > 0 {
			from = ends[next-1]
		}
		if _, err := conn.Write(stream[from:ends[next+want-1]]); err != nil {
			conn.Close()
			return Result{Sent: sent, Elapsed: time.Since(start)}, fmt.Errorf("%s write to %q: %w", o.Protocol, o.Target, err)
		}
		sent += want
		next = (next + want) % len(ends)
	}
	_ = conn.CloseWrite() // TLS: close_notify
	err = conn.Close()
	return Result{Sent: sent, Elapsed: time.Since(start)}, err
}
