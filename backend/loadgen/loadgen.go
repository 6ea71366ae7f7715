// Package loadgen sends paced, realistic, varied syslog datagrams over UDP in
// sendmmsg batches. It drives `logsieve loadgen` and `make bench`.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Options says what to send.
type Options struct {
	Target string // host:port
	Rate   int    // datagrams per second; 0 = as fast as possible
	Count  int    // datagrams in all
	Size   int    // pad or cut each message to this many bytes; 0 = natural (~250)
	Seed   uint64
}

// Result is what was sent.
type Result struct {
	Sent    int
	Elapsed time.Duration
}

const batch = 64

// Messages returns n varied Mikrotik-style firewall logs (about 250 bytes each)
// that exercise the SPEC §7 five-key class: pppoe, router identity, destination
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

// Send sends o.Count datagrams to o.Target at o.Rate per second in sendmmsg
// batches and returns how many the kernel took. It stops early when ctx ends.
func Send(ctx context.Context, o Options) (Result, error) {
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
	pool := Messages(8192, o.Size, o.Seed+1)
	msgs := make([]ipv4.Message, batch)
	start := time.Now()
	sent, next := 0, 0
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
		want = min(want, batch)
		for i := 0; i < want; i++ {
			msgs[i].Buffers = [][]byte{pool[next]}
			msgs[i].Addr = nil
			next = (next + 1) % len(pool)
		}
		n, err := bw.WriteBatch(msgs[:want], 0)
		sent += n
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
