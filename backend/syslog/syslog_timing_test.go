package syslog

import (
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/loadgen"
)

// benchCorpus is a mixed corpus: the RFC examples and device variants, the
// differential generator's RFC 5424, BSD, RFC 3339 and Cisco lines, and the
// loadgen's (`make bench`) MikroTik-style lines.
func benchCorpus() []string {
	var lines []string
	for _, c := range handCases() {
		lines = append(lines, c.line)
	}
	for _, c := range genCases(1024, 3) {
		lines = append(lines, c.line)
	}
	for _, m := range loadgen.Messages(512, 0, 1) {
		lines = append(lines, string(m))
	}
	return lines
}

// BenchmarkParse is the header cost per line in each mode, in a zone with
// DST (the budget: < 300 ns/line).
func BenchmarkParse(b *testing.B) {
	lines := benchCorpus()
	var bytes int
	for _, l := range lines {
		bytes += len(l)
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	recv := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	for _, m := range []Mode{ModeAuto, ModeRFC3164, ModeRFC5424} {
		b.Run(m.String(), func(b *testing.B) {
			p := NewParser(m, loc)
			b.ReportAllocs()
			b.SetBytes(int64(bytes / len(lines)))
			i := 0
			for b.Loop() {
				p.Parse(lines[i], recv)
				if i++; i == len(lines) {
					i = 0
				}
			}
		})
	}
}
