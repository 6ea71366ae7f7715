package store

import (
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

func TestAddTextFindsTheTokensOfEachToken(t *testing.T) {
	for _, s := range []string{"", "a", "abc def", " x ", "Hello, World_42! é-x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b",
		"<869> 01:02:05 R0001 prerouting: in:<pppoe-ZzNeedle42> out:(unknown 0), connection-state:established,snat proto TCP (ACK,FIN,PSH), 1.2.3.4:5->6.7.8.9:10"} {
		var want []uint64
		eachToken(s, func(h uint64) { want = append(want, h) })
		var set tokenSet
		set.addText(s)
		if set.n != len(uniq(want)) {
			t.Fatalf("addText(%q) added %d tokens; want %d", s, set.n, len(uniq(want)))
		}
	}
}

func uniq(hs []uint64) map[uint64]bool {
	m := map[uint64]bool{}
	for _, h := range hs {
		m[h] = true
	}
	return m
}
