package engine

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The buffer's sizing rules, read by read: full reads double it up to
// streamBufMax, a frame that does not fit doubles it up to the limit
// max_message_bytes needs, quiet reads halve it, and one too long for the
// limit is refused.
func TestStreamBufGrowsWhenFullShrinksWhenQuiet(t *testing.T) {
	var held, peak atomic.Int64
	s := newStreamBuf(DefaultMaxMessageBytes, &held, &peak)
	if len(s.b) != streamBufMin || held.Load() != streamBufMin {
		t.Fatalf("new buffer %d bytes, held %d; want %d", len(s.b), held.Load(), streamBufMin)
	}
	for want := 2 * streamBufMin; want <= streamBufMax; want *= 2 {
		s.adapt(len(s.room()), true)
		if len(s.b) != want {
			t.Fatalf("after a full read: %d bytes; want %d", len(s.b), want)
		}
	}
	s.adapt(len(s.room()), true)
	if len(s.b) != streamBufMax || held.Load() != streamBufMax || peak.Load() != streamBufMax {
		t.Fatalf("a full read at the top: %d bytes, held %d, peak %d; want %d each", len(s.b), held.Load(), peak.Load(), streamBufMax)
	}
	// A half-used read is not quiet; quarter-used ones are, streamShrinkAfter in a row.
	for i := 0; i < 3*streamShrinkAfter; i++ {
		s.adapt(streamBufMax/2, false)
	}
	if len(s.b) != streamBufMax {
		t.Fatalf("half-used reads shrank the buffer to %d", len(s.b))
	}
	for i := 0; i < streamShrinkAfter-1; i++ {
		s.adapt(10, false)
	}
	if len(s.b) != streamBufMax {
		t.Fatalf("%d quiet reads shrank the buffer to %d; want it kept until %d", streamShrinkAfter-1, len(s.b), streamShrinkAfter)
	}
	s.r = 3 // a frame's start is kept across the resize
	copy(s.b, "abc")
	s.adapt(10, false)
	if len(s.b) != streamBufMax/2 || string(s.b[:3]) != "abc" {
		t.Fatalf("after %d quiet reads: %d bytes starting %q; want %d starting \"abc\"", streamShrinkAfter, len(s.b), s.b[:3], streamBufMax/2)
	}
	for i := 0; i < 10*streamShrinkAfter; i++ {
		s.adapt(1, false)
	}
	if len(s.b) != streamBufMin || held.Load() != streamBufMin {
		t.Fatalf("a quiet connection keeps %d bytes (held %d); want %d", len(s.b), held.Load(), streamBufMin)
	}
	// A frame as long as the buffer: it grows, past streamBufMax when
	// max_message_bytes needs it, and refuses at the limit.
	big := newStreamBuf(300<<10, &held, &peak)
	for big.r = len(big.b); len(big.b) < big.limit; big.r = len(big.b) {
		before := len(big.b)
		if !big.adapt(0, true) || len(big.b) <= before {
			t.Fatalf("a frame filling %d bytes did not grow the buffer (now %d)", before, len(big.b))
		}
	}
	if len(big.b) != 300<<10+32 || big.adapt(0, true) {
		t.Fatalf("buffer at %d bytes took a frame filling it; want a refusal at %d", len(big.b), 300<<10+32)
	}
	s.release()
	big.release()
	if held.Load() != 0 {
		t.Fatalf("released buffers still count %d bytes", held.Load())
	}
}

// streamConnPeaks returns each open connection's largest read buffer.
func streamConnPeaks(e *Engine) map[string]int64 {
	e.mu.Lock()
	sc := e.streams
	e.mu.Unlock()
	out := map[string]int64{}
	sc.mu.Lock()
	for c := range sc.open {
		out[c.peerText] = c.bufPeak.Load()
	}
	sc.mu.Unlock()
	return out
}

// Many slow connections hold a small buffer each, one fast connection's
// grows to streamBufMax (reads of a few hundred logs), and a message longer
// than the small buffer is framed whole (LF and octet counted).
func TestStreamBuffersSmallWhenSlowLargeWhenFast(t *testing.T) {
	testStreamBuffers(t, "tcp")
}

func TestTLSStreamBuffersSmallWhenSlowLargeWhenFast(t *testing.T) {
	testStreamBuffers(t, "tls")
}

func testStreamBuffers(t *testing.T, protocol string) {
	dir := t.TempDir()
	var e *Engine
	var dial func() net.Conn
	if protocol == "tls" {
		var addr string
		var pool *x509.CertPool
		e, addr, pool = tlsEngine(t, Config{Dir: dir})
		dial = func() net.Conn { return dialTLS(t, addr, &tls.Config{RootCAs: pool, ServerName: "localhost"}) }
	} else {
		var addr string
		e, addr = startTCPEngine(t, Config{Dir: dir})
		dial = func() net.Conn { return dialTCP(t, addr) }
	}
	const slow = 100
	for i := 0; i < slow; i++ {
		c := dial()
		write(t, c, fmt.Sprintf("slow %d\n", i))
	}
	waitStored(t, e, slow)
	if held := e.streamBufBytes.Load(); held != slow*streamBufMin {
		t.Fatalf("%d connections that sent one log hold %d bytes of read buffers; want %d (%d each)", slow, held, slow*streamBufMin, streamBufMin)
	}

	// Longer than the small buffer: an LF line and an octet-counted frame,
	// each framed whole.
	long := dial()
	lf := strings.Repeat("L", 50_000)
	oc := strings.Repeat("O", DefaultMaxMessageBytes-1)
	write(t, long, lf+"\n"+fmt.Sprintf("%d %s", len(oc), oc))
	waitStored(t, e, slow+2)
	got := originals(t, dir)
	if len(got) != slow+2 || got[slow] != lf || got[slow+1] != oc {
		t.Fatalf("long messages not framed whole: %d rows, last two %d and %d bytes; want %d and %d", len(got), len(got[len(got)-2]), len(got[len(got)-1]), len(lf), len(oc))
	}
	if st := e.Stats(); st.Truncated != 0 || st.FramingErrors != 0 {
		t.Fatalf("unexpected stats %+v; want nothing truncated, no framing error", st)
	}

	// A fast connection: 4 MB in one go (the socket fills, reads fill the buffer).
	fast := dial()
	var sb strings.Builder
	n := 0
	for sb.Len() < 4<<20 {
		fmt.Fprintf(&sb, "fast %07d %s\n", n, strings.Repeat("f", 200))
		n++
	}
	write(t, fast, sb.String())
	waitStored(t, e, uint64(slow+2+n))
	peaks := streamConnPeaks(e)
	if p := peaks[fast.LocalAddr().String()]; p != streamBufMax {
		t.Fatalf("the fast connection's read buffer peaked at %d bytes; want %d", p, streamBufMax)
	}
	for peer, p := range peaks {
		if peer != fast.LocalAddr().String() && peer != long.LocalAddr().String() && p != streamBufMin {
			t.Fatalf("slow connection %s had a read buffer of %d bytes; want %d", peer, p, streamBufMin)
		}
	}

	// The fast connection goes quiet: its buffer shrinks back to the small one.
	for i := 0; i < 8*streamShrinkAfter; i++ {
		before := e.Stats().Stored
		write(t, fast, fmt.Sprintf("quiet %d\n", i))
		waitStored(t, e, before+1) // one read per log
	}
	// slow + fast at streamBufMin; long at most what the 64 KiB frame needed.
	small := int64((slow + 1) * streamBufMin)
	waitFor(t, 5*time.Second, "the quiet connection's buffer to shrink", func() bool {
		h := e.streamBufBytes.Load()
		return h >= small && h <= small+streamBufMax
	})
}
