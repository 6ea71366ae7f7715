package engine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Where kernelDrops reads a socket's drop counter.
const (
	dropsNone    = ""           // unknown: no socket, or neither source has it
	dropsMemInfo = "so_meminfo" // getsockopt SO_MEMINFO, SK_MEMINFO_DROPS (Linux >= 4.7)
	dropsProc    = "proc"       // the socket's line in /proc/net/udp{,6}, found by inode
)

// kernelDrops reads the socket's drop counter: datagrams the kernel discarded
// because the receive buffer was full (sk_drops). It asks the socket itself
// (SO_MEMINFO, one getsockopt) and falls back to scanning /proc/net/udp{,6} for
// the socket's inode where SO_MEMINFO has no drops field. Both report the same
// kernel counter.
type kernelDrops struct {
	source string
	rc     syscall.RawConn // dropsMemInfo
	inode  string          // dropsProc
}

func newKernelDrops(conn net.PacketConn) *kernelDrops {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return &kernelDrops{}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return &kernelDrops{}
	}
	if _, ok := memInfoDrops(rc); ok {
		return &kernelDrops{source: dropsMemInfo, rc: rc}
	}
	return procKernelDrops(rc)
}

// procKernelDrops reads the drops of rc's socket from /proc/net/udp{,6}.
func procKernelDrops(rc syscall.RawConn) *kernelDrops {
	var inode string
	_ = rc.Control(func(fd uintptr) {
		link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inode = strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")
		}
	})
	if inode == "" {
		return &kernelDrops{}
	}
	return &kernelDrops{source: dropsProc, inode: inode}
}

// read returns the socket's cumulative drop count, or ok=false when unknown.
func (k *kernelDrops) read() (drops uint64, ok bool) {
	switch k.source {
	case dropsMemInfo:
		return memInfoDrops(k.rc)
	case dropsProc:
		for _, p := range []string{"/proc/net/udp", "/proc/net/udp6"} {
			if d, found := scanProcUDP(p, k.inode); found {
				return d, true
			}
		}
	}
	return 0, false
}

// memInfoDrops reads SK_MEMINFO_DROPS of rc's socket with getsockopt(SO_MEMINFO).
// ok is false when the socket is closed or the kernel's answer has no drops
// field.
func memInfoDrops(rc syscall.RawConn) (drops uint64, ok bool) {
	var (
		buf   [unix.SK_MEMINFO_VARS * 4]byte
		n     = uint32(len(buf))
		errno syscall.Errno
	)
	// A raw getsockopt: unix.GetsockoptString would cut the answer at its first
	// zero byte (an empty receive queue's rmem_alloc).
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	}); err != nil || errno != 0 {
		return 0, false
	}
	return parseMemInfo(buf[:min(int(n), len(buf))])
}

// parseMemInfo returns the SK_MEMINFO_DROPS field of a SO_MEMINFO answer (an
// array of native-endian uint32).
func parseMemInfo(b []byte) (uint64, bool) {
	off := unix.SK_MEMINFO_DROPS * 4
	if len(b) < off+4 {
		return 0, false
	}
	return uint64(binary.NativeEndian.Uint32(b[off:])), true
}

func scanProcUDP(path, inode string) (uint64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	return parseProcUDP(data, inode)
}

// parseProcUDP finds the line of the socket with inode and returns its drops
// field (the last one).
func parseProcUDP(data []byte, inode string) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 13 || f[9] != inode {
			continue
		}
		d, err := strconv.ParseUint(f[len(f)-1], 10, 64)
		return d, err == nil
	}
	return 0, false
}
