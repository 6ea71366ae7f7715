package class

import (
	"database/sql"
	"fmt"
	"testing"
)

// benchClass is the five-key class of `make bench` (README, Performance).
func benchClass(tb testing.TB) *Class {
	tb.Helper()
	p := map[string]string{
		"pppoe":           mikrotik["pppoe"],
		"router_identity": mikrotik["router_identity"],
		"destination_ip":  mikrotik["destination_ip"],
		"proto":           `proto (\w+)`,
		"length":          `len (\d+)`,
	}
	c, err := Compile("bench", p, []string{"pppoe", "router_identity", "destination_ip", "proto", "length"})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchLines are ~250-byte varied Mikrotik-like logs, some without every key.
func benchLines() []string {
	protos := []string{"TCP (ACK,FIN,PSH)", "UDP", "ICMP (type 3, code 3)", "TCP (SYN)"}
	lines := make([]string, 0, 64)
	for i := range 64 {
		line := fmt.Sprintf("<869> %02d:%02d:%02d R%dX45jGZY prerouting: in:<pppoe-U%dLkNYEZ> out:(unknown 0), connection-state:established,snat proto %s, 73.181.%d.17:%d->176.13.%d.56:%d, NAT (73.181.232.17:34921->95.110.59.28:11384)->176.13.130.56:13878, len %d",
			i%24, i%60, (i*7)%60, i, i*31, protos[i%len(protos)], i, 30000+i, i*3%256, 1000+i*17, 40+i*13)
		if i%8 == 7 {
			line = fmt.Sprintf("<14> system,info,account user admin%d logged in from 10.0.%d.4 via ssh", i, i)
		}
		lines = append(lines, line)
	}
	return lines
}

func BenchmarkExtract(b *testing.B) {
	c := benchClass(b)
	lines := benchLines()
	var size int
	for _, l := range lines {
		size += len(l)
	}
	b.Run("fast", func(b *testing.B) {
		x := c.NewExtractor()
		dst := make([]sql.NullString, len(c.Columns()))
		b.ReportAllocs()
		b.SetBytes(int64(size / len(lines)))
		for i := 0; b.Loop(); i++ {
			x.Extract(lines[i%len(lines)], dst)
		}
	})
	b.Run("regexp-only", func(b *testing.B) {
		dst := make([]sql.NullString, len(c.Columns()))
		b.ReportAllocs()
		b.SetBytes(int64(size / len(lines)))
		for i := 0; b.Loop(); i++ {
			line := lines[i%len(lines)]
			for j := range c.matchers {
				m := &c.matchers[j]
				s, e := m.findRegexp(line)
				if s >= 0 {
					dst[m.col] = sql.NullString{String: line[s:e], Valid: true}
				}
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size / len(lines)))
		b.RunParallel(func(pb *testing.PB) {
			x := c.NewExtractor()
			dst := make([]sql.NullString, len(c.Columns()))
			for i := 0; pb.Next(); i++ {
				x.Extract(lines[i%len(lines)], dst)
			}
		})
	})
}
