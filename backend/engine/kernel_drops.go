package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// kernelDrops reads the socket's drop counter (packets the kernel discarded
// because the receive buffer was full) from /proc/net/udp{,6}, matched by inode.
type kernelDrops struct {
	inode string
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
	var inode string
	_ = rc.Control(func(fd uintptr) {
		link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inode = strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")
		}
	})
	return &kernelDrops{inode: inode}
}

// read returns the socket's cumulative drop count, or ok=false when unknown.
func (k *kernelDrops) read() (drops uint64, ok bool) {
	if k.inode == "" {
		return 0, false
	}
	for _, p := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		if d, found := scanProcUDP(p, k.inode); found {
			return d, true
		}
	}
	return 0, false
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
