package syslog

import (
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/loadgen"
)

// benchCorpus is a mixed corpus: the RFC examples and device variants, the
// differential generator's RFC 5424, BSD, RFC 3339 and Cisco lines (times of
// a live stream, or scattered over the years), and the loadgen's
// (`make bench`) MikroTik-style lines.
func benchCorpus(scattered bool) []string {
	var lines []string
	for _, c := range handCases() {
		lines = append(lines, c.line)
	}
	gen := streamCases
	if scattered {
		gen = genCases
	}
	for _, c := range gen(1024, 3) {
		lines = append(lines, c.line)
	}
	for _, m := range loadgen.Messages(512, 0, 1) {
		lines = append(lines, string(m))
	}
	return lines
}

// BenchmarkParse is the header cost per line in each mode, in a zone with
// DST, over a live stream's times (the budget: < 300 ns/line).
func BenchmarkParse(b *testing.B) { benchParse(b, benchCorpus(false)) }

// BenchmarkParseScatteredTimes is BenchmarkParse with header times spread
// over 30 years: each line's zone offset and date are new (the worst case of
// the parser's caches).
func BenchmarkParseScatteredTimes(b *testing.B) { benchParse(b, benchCorpus(true)) }

func benchParse(b *testing.B, lines []string) {
	var bytes int
	for _, l := range lines {
		bytes += len(l)
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []Mode{ModeAuto, ModeRFC3164, ModeRFC5424} {
		b.Run(m.String(), func(b *testing.B) {
			p := NewParser(m, loc)
			b.ReportAllocs()
			b.SetBytes(int64(bytes / len(lines)))
			i := 0
			for b.Loop() {
				p.Parse(lines[i], diffRecv)
				if i++; i == len(lines) {
					i = 0
				}
			}
		})
	}
}
