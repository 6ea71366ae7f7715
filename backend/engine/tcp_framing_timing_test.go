package engine

import (
	"strings"
	"testing"
)

func BenchmarkFramerOctet(b *testing.B) {
	benchFramer(b, func(m string) string { return itoa(len(m)) + " " + m })
}

func BenchmarkFramerLF(b *testing.B) {
	benchFramer(b, func(m string) string { return m + "\n" })
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// benchFramer frames 128 KiB reads of ~250-byte logs, as one connection brings them.
func benchFramer(b *testing.B, frame func(string) string) {
	var sb strings.Builder
	msgs := 0
	for sb.Len() < streamBufMax-300 {
		sb.WriteString(frame(mikrotikLog))
		msgs++
	}
	data := []byte(sb.String())
	f := framer{max: DefaultMaxMessageBytes}
	c := getChunk()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.buf, c.ends = c.buf[:0], c.ends[:0]
		if _, err := f.feed(data, c); err != nil || len(c.ends) != msgs {
			b.Fatalf("framed %d of %d: %v", len(c.ends), msgs, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*msgs), "ns/log")
}
