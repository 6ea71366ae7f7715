package engine

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// The sizes of a connection's read buffer. It starts at streamBufMin; a read
// that fills it (a busy connection) doubles it up to streamBufMax, so a fast
// sender's read still brings a few hundred logs as one chunk; a frame that
// does not fit doubles it up to what max_message_bytes needs; streamShrinkAfter
// reads in a row that use at most a quarter of it (a connection gone quiet)
// halve it again. 1,000 connections at 50 logs/s hold 4 KiB each, not 128 KiB
// (README, "TCP/TLS: 1,000 connections").
const (
	streamBufMin      = 4 << 10
	streamBufMax      = 128 << 10
	streamShrinkAfter = 8
)

// streamBufClasses is the number of pooled sizes, streamBufMin..streamBufMax
// doubling; a larger buffer (max_message_bytes above 128 KiB) is not pooled.
const streamBufClasses = 6

// streamBufPools hold the buffers of connections that grew, shrank or ended,
// one pool per size, shared by every engine.
var streamBufPools [streamBufClasses]sync.Pool

// bufClass is the pool of a buffer of size n, or -1 when it is not pooled.
func bufClass(n int) int {
	if n < streamBufMin || n > streamBufMax || n&(n-1) != 0 {
		return -1
	}
	return bits.TrailingZeros(uint(n)) - bits.TrailingZeros(uint(streamBufMin))
}

// streamBuf is the read buffer of one connection: b[:r] is read and not yet
// framed (the start of a frame), b[r:] is room for the next read.
type streamBuf struct {
	b     []byte
	r     int
	limit int           // the largest size: what a max_message_bytes frame needs, or streamBufMax
	quiet int           // reads in a row that used at most a quarter of b
	held  *atomic.Int64 // the engine's bytes of read buffers (tests read it)
	peak  *atomic.Int64 // the connection's largest size so far
}

// newStreamBuf returns a buffer of streamBufMin for a connection whose frames
// are at most maxMessage bytes; the bytes it holds add to held.
func newStreamBuf(maxMessage int, held, peak *atomic.Int64) *streamBuf {
	s := &streamBuf{limit: max(streamBufMax, maxMessage+32), held: held, peak: peak}
	s.resize(streamBufMin)
	return s
}

// resize replaces b by a buffer of n bytes (n > r), keeping b[:r].
func (s *streamBuf) resize(n int) {
	var nb []byte
	if c := bufClass(n); c >= 0 {
		if p, ok := streamBufPools[c].Get().(*[]byte); ok {
			nb = *p
		}
	}
	if nb == nil {
		nb = make([]byte, n)
	}
	copy(nb, s.b[:s.r])
	s.release()
	s.b = nb
	s.held.Add(int64(n))
	if int64(n) > s.peak.Load() {
		s.peak.Store(int64(n))
	}
}

// release gives b back to its pool (the connection ended, or b was replaced).
func (s *streamBuf) release() {
	if s.b == nil {
		return
	}
	s.held.Add(-int64(len(s.b)))
	if c := bufClass(len(s.b)); c >= 0 {
		b := s.b
		streamBufPools[c].Put(&b)
	}
	s.b = nil
}

// room is where the next read goes.
func (s *streamBuf) room() []byte { return s.b[s.r:] }

// adapt sizes b after a read of n bytes (full: it filled its room, or a TLS
// read took records until the buffer or the chunk bound was full) whose
// frames were consumed. It reports false when a frame does not fit even the
// largest buffer (the caller closes the connection; feed never leaves that
// much unconsumed).
func (s *streamBuf) adapt(n int, full bool) bool {
	size := len(s.b)
	switch {
	case s.r == size: // a frame longer than the buffer
		if size >= s.limit {
			return false
		}
		s.quiet = 0
		s.resize(min(2*size, s.limit))
	case full && size < streamBufMax:
		s.quiet = 0
		s.resize(2 * size)
	case n <= size/4 && size > streamBufMin:
		s.quiet++
		if s.quiet >= streamShrinkAfter && s.r <= size/4 {
			s.quiet = 0
			s.resize(size / 2)
		}
	default:
		s.quiet = 0
	}
	return true
}
