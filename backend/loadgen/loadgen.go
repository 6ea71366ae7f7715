// Package loadgen sends paced, realistic, varied syslog messages: datagrams over
// UDP in sendmmsg batches, or TCP / TLS streams (RFC 6587 octet counting or LF
// framing): one connection in large writes, or many, each paced. It drives
// `logsieve loadgen` and `make bench`.
package loadgen

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// Options says what to send.
type Options struct {
	Target string // host:port
	Rate   int    // datagrams per second; 0 = as fast as possible
	Count  int    // datagrams in all
	Size   int    // pad or cut each message to this many bytes; 0 = natural (~250)
	Seed   uint64
	NoGSO  bool // one datagram per sendmmsg message even where UDP GSO is available
	// Protocol is "udp" (default), "tcp" or "tls" (any server certificate
	// trusted). Framing is the stream framing, "octet" (default, RFC 6587
	// octet counting) or "lf".
	Protocol string
	Framing  string
	// Conns is how many tcp/tls connections share Count and Rate evenly
	// (0 or 1: one; at most MaxConns). UDP sends from one socket: only 0 or 1.
	Conns int
}

// MaxConns is the most connections one Send opens.
const MaxConns = 10000

// Result is what was sent.
type Result struct {
	Sent    int
	Elapsed time.Duration
}

// batch is the datagrams of one sendmmsg call.
const batch = 256

// Messages returns n varied Mikrotik-style firewall logs (about 250 bytes each)
// that exercise the five-key class of `make bench` (README, Performance): pppoe, router identity, destination
// IP:port, protocol and length. Roughly one in eight has no pppoe interface.
func Messages(n, size int, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	routers := []string{"T8Y45jGZY", "CoreRTR01", "edge-gw", "BRAS7", "AccessR2", "NASx9"}
	protos := []string{"TCP", "UDP", "ICMP", "TCP", "TCP", "UDP"}
	flags := []string{"(SYN)", "(ACK)", "(ACK,PSH)", "(ACK,FIN,PSH)", "(RST)", ""}
	states := []string{"established", "new", "related", "invalid"}
	ip := func() string {
		return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	}
	alnum := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	word := func(k int) string {
		var b strings.Builder
		for i := 0; i < k; i++ {
			b.WriteByte(alnum[r.IntN(len(alnum))])
		}
		return b.String()
	}
	out := make([][]byte, n)
	for i := range out {
		src, dst, nat := ip(), ip(), ip()
		sp, dp, np := 1024+r.IntN(64000), 1+r.IntN(65535), 1024+r.IntN(64000)
		in := "in:<pppoe-" + word(6+r.IntN(6)) + ">"
		if r.IntN(8) == 0 {
			in = "in:ether" + fmt.Sprint(1+r.IntN(8))
		}
		p := protos[r.IntN(len(protos))]
		msg := fmt.Sprintf("<%d> %02d:%02d:%02d %s prerouting: %s out:(unknown 0), connection-state:%s,snat proto %s %s, %s:%d->%s:%d, NAT (%s:%d->%s:%d)->%s:%d, len %d",
			r.IntN(1000), r.IntN(24), r.IntN(60), r.IntN(60), routers[r.IntN(len(routers))], in,
			states[r.IntN(len(states))], p, flags[r.IntN(len(flags))], src, sp, dst, dp, src, sp, nat, np, dst, dp, 40+r.IntN(1460))
		if size > 0 {
			for len(msg) < size {
				msg += " pad=" + word(8)
			}
			msg = msg[:size]
		}
		out[i] = []byte(msg)
	}
	return out
}

type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// unit is what one message of a sendmmsg batch carries: n datagrams of seg
// bytes each, back to back in buf. With UDP GSO (UDP_SEGMENT) the kernel cuts
// buf into n datagrams; the receiver still gets each one on its own.
type unit struct {
	buf  []byte
	seg  int
	n    int
	cmsg []byte // UDP_SEGMENT control message; nil without GSO
}

// maxSegs bounds the datagrams of one GSO message (the kernel takes up to 64
// on older releases, 128 on newer) and maxGSOBytes its payload.
const (
	maxSegs     = 64
	maxGSOBytes = 65000
)

// units arranges pool for sending. Without gso every message is its own unit.
// With gso, messages of equal length are packed into units of up to maxSegs
// datagrams; the units are shuffled so lengths stay mixed over time.
func units(pool [][]byte, gso bool, seed uint64) []unit {
	if !gso {
		us := make([]unit, len(pool))
		for i, m := range pool {
			us[i] = unit{buf: m, seg: len(m), n: 1}
		}
		return us
	}
	byLen := map[int][][]byte{}
	var lens []int
	for _, m := range pool {
		if _, ok := byLen[len(m)]; !ok {
			lens = append(lens, len(m))
		}
		byLen[len(m)] = append(byLen[len(m)], m)
	}
	var us []unit
	for _, l := range lens {
		ms, per := byLen[l], max(1, min(maxSegs, maxGSOBytes/max(l, 1)))
		for len(ms) > 0 {
			k := min(per, len(ms))
			buf := make([]byte, 0, k*l)
			for _, m := range ms[:k] {
				buf = append(buf, m...)
			}
			us = append(us, unit{buf: buf, seg: l, n: k, cmsg: segmentCmsg(l)})
			ms = ms[k:]
		}
	}
	r := rand.New(rand.NewPCG(seed, 7))
	r.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i] })
	return us
}

// segmentCmsg returns the UDP_SEGMENT control message for datagrams of seg bytes.
func segmentCmsg(seg int) []byte {
	b := make([]byte, unix.CmsgSpace(2))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(b[unix.CmsgLen(0):], uint16(seg))
	return b
}

// gsoSupported reports whether the kernel offers UDP_SEGMENT on conn (4.18+).
func gsoSupported(conn *net.UDPConn) bool {
	rc, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	_ = rc.Control(func(fd uintptr) {
		_, err := unix.GetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_SEGMENT)
		ok = err == nil
	})
	return ok
}

// Send sends o.Count datagrams to o.Target at o.Rate per second in sendmmsg
// batches and returns how many the kernel took. It stops early when ctx ends.
// Unless o.NoGSO, runs of equal-length datagrams go out as one UDP GSO message
// each: the receiver sees the same separate datagrams, and the sender, which
// shares the machine with the server in `make bench`, spends far less CPU.
func Send(ctx context.Context, o Options) (Result, error) {
	if o.Conns < 0 || o.Conns > MaxConns {
		return Result{}, fmt.Errorf("invalid conns %d: use 1-%d", o.Conns, MaxConns)
	}
	switch o.Protocol {
	case "", "udp":
		if o.Conns > 1 {
			return Result{}, fmt.Errorf("invalid conns %d for udp: udp sends from one socket; use tcp or tls", o.Conns)
		}
	case "tcp", "tls":
		return sendTCP(ctx, o)
	default:
		return Result{}, fmt.Errorf("invalid protocol %q: use udp, tcp or tls", o.Protocol)
	}
	raddr, err := net.ResolveUDPAddr("udp", o.Target)
	if err != nil {
		return Result{}, fmt.Errorf("invalid target %q: %w", o.Target, err)
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return Result{}, fmt.Errorf("cannot open udp to %q: %w", o.Target, err)
	}
	defer conn.Close()
	_ = conn.SetWriteBuffer(8 << 20)
	var bw batchWriter = ipv4.NewPacketConn(conn)
	if raddr.IP.To4() == nil {
		bw = ipv6.NewPacketConn(conn)
	}
	us := units(Messages(8192, o.Size, o.Seed+1), !o.NoGSO && gsoSupported(conn), o.Seed+2)
	msgs := make([]ipv4.Message, batch)
	bufs := make([][]byte, batch) // msgs[i].Buffers = bufs[i:i+1], set once: no allocation per send
	for i := range msgs {
		msgs[i].Buffers = bufs[i : i+1 : i+1]
	}
	segs := make([]int, batch)
	start := time.Now()
	sent, next, off := 0, 0, 0 // off: datagrams of us[next] already sent
	for sent < o.Count {
		if ctx.Err() != nil {
			break
		}
		want := o.Count - sent
		if o.Rate > 0 {
			due := int(float64(o.Rate) * time.Since(start).Seconds())
			if due <= sent {
				time.Sleep(200 * time.Microsecond)
				continue
			}
			want = min(want, due-sent)
		}
		m, taken := 0, 0
		for ; m < batch && want > 0; m++ {
			u := us[next]
			k := min(u.n-off, want)
			bufs[m], msgs[m].OOB, segs[m] = u.buf[off*u.seg:(off+k)*u.seg], u.cmsg, k
			if k == 1 {
				msgs[m].OOB = nil // a lone datagram needs no segmentation
			}
			want, taken = want-k, taken+k
			if off += k; off == u.n {
				next, off = (next+1)%len(us), 0
			}
		}
		n, err := bw.WriteBatch(msgs[:m], 0)
		took := 0
		for _, k := range segs[:max(n, 0)] {
			took += k
		}
		sent += took
		// What the kernel did not take goes out again in the next batch.
		next, off = rewind(us, next, off, taken-took)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return Result{Sent: sent, Elapsed: time.Since(start)}, err
			}
			// ECONNREFUSED (nobody listening yet) or ENOBUFS: back off a little.
			time.Sleep(time.Millisecond)
		}
	}
	return Result{Sent: sent, Elapsed: time.Since(start)}, nil
}

// rewind steps the send position (next, off) back by k datagrams.
func rewind(us []unit, next, off, k int) (int, int) {
	for k > 0 {
		if off == 0 {
			next = (next - 1 + len(us)) % len(us)
			off = us[next].n
		}
		d := min(off, k)
		off, k = off-d, k-d
	}
	return next, off
}
