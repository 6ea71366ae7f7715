package engine

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/loadgen"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// benchClass is the five-key class of `make bench` (README, Performance).
func benchClass(b *testing.B) *class.Class {
	b.Helper()
	c, err := class.Compile("bench5", map[string]string{
		"pppoe":           `in:<pppoe-([A-Za-z\d]+)>`,
		"router_identity": `\d{1,2}:\d{1,2}:\d{1,2}\s+(\w+)`,
		"destination_ip":  `->(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+)`,
		"proto":           `proto (\w+)`,
		"length":          `len (\d+)`,
	}, []string{"pppoe", "router_identity", "destination_ip", "proto", "length"})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkParseChunk measures the parse stage: one chunk of 64 received logs
// turned into rows (text copy, syslog header (none or auto), five-key
// extraction, sender IP). ns/op / 64 = ns/log.
func BenchmarkParseChunk(b *testing.B) {
	for _, header := range []string{"none", "auto"} {
		b.Run("header="+header, func(b *testing.B) { benchParseChunk(b, header) })
	}
}

func benchParseChunk(b *testing.B, header string) {
	e := New(Config{Name: "bench", KeepOriginal: true, SyslogHeader: header}, benchClass(b))
	msgs := loadgen.Messages(1024, 0, 7)
	p := e.newParser()
	addr := netip.MustParseAddr("192.0.2.10")
	var bytes int64
	for _, m := range msgs[:readBatch] {
		bytes += int64(len(m))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := getChunk()
		off := (i * readBatch) % len(msgs)
		for _, m := range msgs[off : off+readBatch] {
			c.buf = append(c.buf, m...)
			c.ends = append(c.ends, len(c.buf))
			c.addrs = append(c.addrs, addr)
		}
		putParsed(e.parseChunk(p, c))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*readBatch), "ns/log")
}

// BenchmarkReceive measures the receive stage: recvmmsg batches from a real
// loopback socket packed into chunks (copy, sender address). Each op first
// fills the socket with as many ~250-byte datagrams as its buffer holds (not
// timed), then drains them through recvReader.read (timed).
func BenchmarkReceive(b *testing.B) {
	conn, err := listenUDP("127.0.0.1", 0, 32<<20, false)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	rcvbuf := 0
	if rc, err := conn.(*net.UDPConn).SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { rcvbuf, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF) })
	}
	// A small datagram takes 1-2 KB of socket buffer (its skb): stay well inside.
	fill := min(max(rcvbuf/2048, readBatch), 8192)
	out, err := net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	sender := ipv4.NewPacketConn(out)
	pool := loadgen.Messages(fill, 0, 7)
	wms := make([]ipv4.Message, len(pool))
	var bytes int64
	for i, m := range pool {
		wms[i].Buffers = [][]byte{m}
		bytes += int64(len(m))
	}
	r, err := newRecvReader(conn, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	total := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for sent := 0; sent < len(wms); {
			n, err := sender.WriteBatch(wms[sent:min(sent+readBatch, len(wms))], 0)
			if err != nil {
				b.Fatal(err)
			}
			sent += n
		}
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		b.StartTimer()
		for got := 0; got < fill; {
			c, _, err := r.read()
			if err != nil {
				b.Fatalf("received %d of %d datagrams: %v", got, fill, err)
			}
			got += len(c.ends)
			putChunk(c)
		}
		total += fill
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/log")
}
