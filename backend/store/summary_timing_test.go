package store

import (
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkSummaryTokens measures the writer's token work per row of the
// five-key class (values, original_log and head cells into a block's set).
func BenchmarkSummaryTokens(b *testing.B) {
	rows := searchRows(8192, 7, 0)
	var set tokenSet
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for i := range rows {
			r := &rows[i]
			for _, v := range r.Values {
				set.addText(v.String)
			}
			set.addText(r.Original)
			if n++; n%4096 == 0 {
				set.reset()
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N*len(rows)), "cpu_ns/row")
}

func BenchmarkSummaryTokenizeOnly(b *testing.B) {
	rows := searchRows(8192, 7, 0)
	var sink uint64
	for b.Loop() {
		for i := range rows {
			r := &rows[i]
			for _, v := range r.Values {
				eachToken(v.String, func(h uint64) { sink ^= h })
			}
			eachToken(r.Original, func(h uint64) { sink ^= h })
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}

func TestSummaryTokenCount(t *testing.T) {
	rows := searchRows(4096, 7, 0)
	var set tokenSet
	occ := 0
	for i := range rows {
		for _, v := range rows[i].Values {
			eachToken(v.String, func(uint64) { occ++ })
			set.addText(v.String)
		}
		eachToken(rows[i].Original, func(uint64) { occ++ })
		set.addText(rows[i].Original)
	}
	t.Logf("distinct %d occurrences %d slots %d", set.n, occ, len(set.slots))
}

func BenchmarkSummaryByteLoop(b *testing.B) {
	rows := searchRows(8192, 7, 0)
	var sink uint64
	cpu0 := cpuTime(b)
	for b.Loop() {
		for i := range rows {
			s := rows[i].Original
			for j := 0; j < len(s); j++ {
				sink += uint64(wordByte[s[j]])
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N*len(rows)), "cpu_ns/row")
	_ = sink
}

func TestAddTextAddsTheHashesOfEachToken(t *testing.T) {
	f := func(s string) {
		t.Helper()
		want := map[uint64]bool{}
		eachToken(s, func(h uint64) {
			if h == 0 {
				h = 1
			}
			want[h] = true
		})
		var set tokenSet
		set.addText(s)
		got := map[uint64]bool{}
		for _, h := range set.slots {
			if h != 0 {
				got[h] = true
			}
		}
		if !maps.Equal(got, want) {
			t.Fatalf("unexpected hashes of %q; got %d; want %d", s, len(got), len(want))
		}
	}
	f("")
	f("a")
	f("abc def")
	f(" x ")
	f("Hello, World_42! é-x")
	f("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b")
	f("<869> 01:02:05 R0001 prerouting: in:<pppoe-ZzNeedle42> out:(unknown 0), connection-state:established,snat proto TCP (ACK,FIN,PSH), 1.2.3.4:5->6.7.8.9:10")
	f("abcdefgh ABCDEFGH abcdefghi 12345678")
	// Tokens at and across the 64-byte words of the mask, of every length.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(300))
		for i := range b {
			switch rng.IntN(4) {
			case 0:
				b[i] = " .:-<>"[rng.IntN(6)]
			default:
				b[i] = "aZ09_\xc3"[rng.IntN(6)]
			}
		}
		f(string(b))
	}
	for n := 0; n < 200; n++ {
		f(strings.Repeat("x", n))
		f(strings.Repeat("ab.", n))
		f(strings.Repeat("abcd ", n))
	}
}

// BenchmarkSummaryRowTokens measures the two halves of the token work when
// the engine's parse workers compute Row.Tokens: the worker's (hashes of a
// row, less those its run already had) and the writer's (those into a
// block's set), per row of the five-key class. Values are cut out of the
// line, as the extractor does.
func BenchmarkSummaryRowTokens(b *testing.B) {
	rows := searchRows(8192, 7, 0)
	for i := range rows {
		r := &rows[i]
		for j, v := range r.Values {
			if k := strings.Index(r.Original, v.String); k >= 0 {
				r.Values[j].String = r.Original[k : k+len(v.String)]
			}
		}
	}
	var toks []uint64
	var tok RowTokenizer
	b.Run("worker", func(b *testing.B) {
		cpu0 := cpuTime(b)
		for b.Loop() {
			toks = toks[:0]
			for i := range rows {
				if i%1000 == 0 {
					tok.NewRun() // a chunk
				}
				toks = tok.Tokens(toks, &rows[i], true)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
		b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N*len(rows)), "cpu_ns/row")
		b.ReportMetric(float64(len(toks))/float64(len(rows)), "hashes/row")
	})
	b.Run("writer", func(b *testing.B) {
		var set tokenSet
		n := 0
		cpu0 := cpuTime(b)
		for b.Loop() {
			for i := range rows {
				set.addHashes(rows[i].Tokens)
				if n++; n%4096 == 0 {
					buildBlooms(&set, nil) // as summarizer.tokenize, at a block's end
					set.reset()
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
		b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N*len(rows)), "cpu_ns/row")
	})
}
