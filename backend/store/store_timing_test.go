package store

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchRows builds batches of the SPEC §7 five-key class (the mikrotik keys
// plus proto and length) with ~250-byte varied originals.
func benchRows(n int, start int64) []Row {
	rng := rand.New(rand.NewPCG(1, 2))
	protos := []string{"TCP", "UDP", "ICMP"}
	rows := make([]Row, n)
	for i := range rows {
		ip := func() string {
			return fmt.Sprintf("%d.%d.%d.%d", rng.IntN(223)+1, rng.IntN(256), rng.IntN(256), rng.IntN(256))
		}
		pppoe, ident, dst, port := fmt.Sprintf("user%06d", rng.IntN(1e6)), fmt.Sprintf("R%04d", rng.IntN(50)), ip(), fmt.Sprint(rng.IntN(65535)+1)
		proto, length := protos[rng.IntN(3)], fmt.Sprint(rng.IntN(1400)+40)
		src := ip()
		orig := fmt.Sprintf("<869> 01:02:05 %s prerouting: in:<pppoe-%s> out:(unknown 0), connection-state:established,snat proto %s (ACK,FIN,PSH), %s:%d->%s:%s, NAT (%s:%d->95.110.59.28:11384)->%s:%s, len %s",
			ident, pppoe, proto, src, rng.IntN(65535), dst, port, src, rng.IntN(65535), dst, port, length)
		rows[i] = Row{
			ReceivedAt: start + int64(i)*10_000, // 100k rows per second of receive time
			SenderIP:   "192.168.88.1",
			Values:     []sql.NullString{str(pppoe), str(ident), str(dst), str(port), str(proto), str(length)},
			Original:   orig,
		}
	}
	return rows
}

// cutValuesFromLines makes each value of rows a substring of its row's original
// line, as the class extractor returns them (the writer then finds them in
// the line by their address instead of searching: valuesInLine).
func cutValuesFromLines(rows []Row) {
	for i := range rows {
		r := &rows[i]
		for j, v := range r.Values {
			if k := strings.Index(r.Original, v.String); v.Valid && k >= 0 {
				r.Values[j].String = r.Original[k : k+len(v.String)]
			}
		}
	}
}

// BenchmarkWrite measures Writer.Write with batches of 1000 rows whose
// values are cut out of their lines (as the engine's are); with
// tokens=ahead the rows carry Row.Tokens, as the engine's parse workers
// compute them (the writer only adds them to the block summaries).
func BenchmarkWrite(b *testing.B) {
	for _, c := range []struct{ keep, ahead bool }{{true, false}, {true, true}, {false, false}} {
		keep := c.keep
		b.Run(fmt.Sprintf("keep_original=%v/tokens_ahead=%v", keep, c.ahead), func(b *testing.B) {
			w, err := OpenWriter(b.TempDir(), Options{Location: time.UTC})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			s := &Schema{Columns: []string{"pppoe", "router_identity", "destination_ip", "destination_port", "proto", "length"}, KeepOriginal: keep}
			start := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC).UnixNano()
			batch := benchRows(1000, start)
			cutValuesFromLines(batch)
			if c.ahead {
				var tok RowTokenizer
				var toks []uint64
				for i := range batch {
					toks = tok.Tokens(toks, &batch[i], keep)
				}
			}
			var bytes int64
			for _, r := range batch {
				bytes += int64(len(r.Original))
			}
			b.SetBytes(bytes)
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			b.ResetTimer()
			for b.Loop() {
				if _, err := w.Write(s, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "rows/s")
			// Rows per second of process CPU time: steadier than wall time on
			// a shared machine.
			b.ReportMetric(float64(b.N)*1000/(cpuTime(b)-cpu0).Seconds(), "rows/cpu_s")
		})
	}
}

// cpuTime returns the user+system CPU time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
