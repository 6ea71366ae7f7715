package engine

import (
	"net/netip"
	"testing"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/loadgen"
)

// benchClass is the five-key class of SPEC §7.
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
// turned into rows (text copy, five-key extraction, sender IP). ns/op / 64 = ns/log.
func BenchmarkParseChunk(b *testing.B) {
	e := New(Config{Name: "bench", KeepOriginal: true}, benchClass(b))
	msgs := loadgen.Messages(1024, 0, 7)
	p := &parser{addrs: map[netip.Addr]string{}}
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
