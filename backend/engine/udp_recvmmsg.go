package engine

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"syscall"
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

// recvSetPool keeps the sets of the process's receivers: at most one free
// set per P (a receiver holds its set only while it runs on one), so
// however many engines, the sets take at most about GOMAXPROCS x 4 MiB.
type recvSetPool struct {
	free chan *recvSet
	live atomic.Int64 // sets made and not dropped: held or free
}

var recvSets = recvSetPool{free: make(chan *recvSet, runtime.GOMAXPROCS(0))}

func (p *recvSetPool) get() *recvSet {
	select {
	case s := <-p.free:
		return s
	default:
		p.live.Add(1)
		return newRecvSet()
	}
}

func (p *recvSetPool) put(s *recvSet) {
	select {
	case p.free <- s:
	default:
		p.live.Add(-1) // more sets than Ps: let the GC have this one
	}
}

// recvReader reads recvmmsg batches from a UDP socket. Not for concurrent use.
type recvReader struct {
	rc     syscall.RawConn
	readFn func(fd uintptr) bool // r.recv, bound once
	// the outcome of the last recv
	set   *recvSet
	n     int
	errno syscall.Errno
}

func newRecvReader(conn net.PacketConn) (*recvReader, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &recvReader{rc: rc}
	r.readFn = r.recv
	return r, nil
}

// read waits until datagrams are ready and returns one recvmmsg batch: n
// datagrams in s, the length of each in s.hdrs[i].n. The caller hands s back
// with done as soon as it has copied them. It returns net.ErrClosed once the
// socket is closed, os.ErrDeadlineExceeded past a read deadline.
func (r *recvReader) read() (s *recvSet, n int, err error) {
	r.set, r.n, r.errno = nil, 0, 0
	if err := r.rc.Read(r.readFn); err != nil {
		return nil, 0, err
	}
	if r.errno != 0 {
		return nil, 0, r.errno
	}
	return r.set, r.n, nil
}

// done hands back the set of the last read.
func (r *recvReader) done(s *recvSet) { recvSets.put(s) }

// recv is one non-blocking recvmmsg; false (not ready) makes the runtime's
// poller wait for the socket and call it again.
func (r *recvReader) recv(fd uintptr) bool {
	s := recvSets.get()
	for i := range s.hdrs {
		s.hdrs[i].hdr.Namelen = uint32(unsafe.Sizeof(s.names[i]))
		s.hdrs[i].hdr.Flags = 0
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&s.hdrs[0])), readBatch,
		unix.MSG_DONTWAIT, 0, 0)
	if errno == unix.EAGAIN || errno == unix.EINTR {
		recvSets.put(s)
		return false
	}
	if errno != 0 {
		recvSets.put(s)
		r.errno = errno
		return true
	}
	r.set, r.n = s, int(n)
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
