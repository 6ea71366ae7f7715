package engine

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr of recvmmsg(2): a msghdr and the length the
// kernel received into it.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// recvSet is the buffers of one recvmmsg call: readBatch slots of
// maxDatagram bytes (no datagram is ever cut), their iovecs, the senders'
// addresses and the message headers pointing at them. A receiver holds a set
// only during the call and copies what came into its chunk, so all the UDP
// engines of a process share a few sets instead of 4 MiB each: an idle engine
// holds none.
type recvSet struct {
	buf   []byte
	iovs  [readBatch]unix.Iovec
	names [readBatch]unix.RawSockaddrAny
	hdrs  [readBatch]mmsghdr
}

func newRecvSet() *recvSet {
	s := &recvSet{buf: make([]byte, readBatch*maxDatagram)}
	for i := range s.hdrs {
		s.iovs[i].Base = &s.buf[i*maxDatagram]
		s.iovs[i].SetLen(maxDatagram)
		h := &s.hdrs[i].hdr
		h.Iov = &s.iovs[i]
		h.SetIovlen(1)
		h.Name = (*byte)(unsafe.Pointer(&s.names[i]))
	}
	return s
}

// recvSetPool keeps the sets of the process's receivers for reuse, never
// dropping one: a receiver holds a set only during its recvmmsg and the copy,
// on its P, so the sets made are as many as receivers ever ran that part at
// once (one per P, a few more when a receiver is preempted there), not one
// per engine.
// Dropping sets past a bound churned 4 MiB allocations and grew the heap.
type recvSetPool struct {
	mu   sync.Mutex
	free []*recvSet
	live int // sets made: held or free
}

var recvSets recvSetPool

func (p *recvSetPool) get() *recvSet {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s
	}
	p.live++
	return newRecvSet()
}

func (p *recvSetPool) put(s *recvSet) {
	p.mu.Lock()
	p.free = append(p.free, s)
	p.mu.Unlock()
}

// counts returns the sets made and the free ones.
func (p *recvSetPool) counts() (live, free int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live, len(p.free)
}

// recvReader reads recvmmsg batches from a UDP socket into chunks. Not for
// concurrent use.
type recvReader struct {
	rc     syscall.RawConn
	now    func() time.Time      // the receive time stamped on chunks
	readFn func(fd uintptr) bool // r.recv, bound once
	// the outcome of the last recv
	c     *chunk
	t0    time.Time
	errno syscall.Errno
}

func newRecvReader(conn net.PacketConn, now func() time.Time) (*recvReader, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &recvReader{rc: rc, now: now}
	r.readFn = r.recv
	return r, nil
}

// read waits until datagrams are ready and returns one recvmmsg batch as a
// chunk, and when the read returned. It returns net.ErrClosed once the
// socket is closed, os.ErrDeadlineExceeded past a read deadline.
func (r *recvReader) read() (*chunk, time.Time, error) {
	r.c, r.errno = nil, 0
	if err := r.rc.Read(r.readFn); err != nil {
		return nil, time.Time{}, err
	}
	if r.errno != 0 {
		return nil, time.Time{}, r.errno
	}
	return r.c, r.t0, nil
}

// recv is one non-blocking recvmmsg into a shared set, copied into a chunk
// before the set goes back; false (not ready) makes the runtime's poller
// wait for the socket and call it again.
func (r *recvReader) recv(fd uintptr) bool {
	s := recvSets.get()
	defer recvSets.put(s)
	for i := range s.hdrs {
		s.hdrs[i].hdr.Namelen = uint32(unsafe.Sizeof(s.names[i]))
		s.hdrs[i].hdr.Flags = 0
	}
	// A raw syscall: MSG_DONTWAIT never blocks, and the receiver keeps its P,
	// so no other receiver runs on it (and takes another set) meanwhile.
	// Through Syscall6, 50 engines' receivers made 15 sets (60 MB of heap).
	n, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&s.hdrs[0])), readBatch,
		unix.MSG_DONTWAIT, 0, 0)
	if errno == unix.EAGAIN || errno == unix.EINTR {
		return false
	}
	if errno != 0 {
		r.errno = errno
		return true
	}
	r.t0 = time.Now()
	c := getChunk()
	c.at = r.now().UnixNano()
	for i := 0; i < int(n); i++ {
		c.buf = append(c.buf, s.buf[i*maxDatagram:i*maxDatagram+int(s.hdrs[i].n)]...)
		c.ends = append(c.ends, len(c.buf))
		c.addrs = append(c.addrs, s.addr(i))
	}
	r.c = c
	return true
}

// addr returns the sender address of message i (IPv4-mapped IPv6 unmapped).
func (s *recvSet) addr(i int) netip.Addr {
	switch s.names[i].Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&s.names[i]))
		return netip.AddrFrom4(sa.Addr)
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&s.names[i]))
		return netip.AddrFrom16(sa.Addr).Unmap()
	}
	return netip.Addr{}
}
