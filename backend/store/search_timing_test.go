package store

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// searchBenchRows is the size of the day file the search benchmarks read
// (LOGSIEVE_BENCH_SEARCH_ROWS overrides it).
const searchBenchRows = 1_000_000

// Needles planted in the search benchmark's day: searchNeedleRows rows
// each, spread evenly; the generator makes none of them by chance.
const (
	searchNeedleUser = "ZzNeedle42" // pppoe value; word q finds it too
	searchNeedleRows = 15
)

var searchFile struct {
	once sync.Once
	dir  string
	rows int
	err  error
}

// searchRows returns n rows of the five-key class like benchRows, unique
// per seed (pppoe users and ports vary row to row as in a real day).
func searchRows(n int, seed uint64, start int64) []Row {
	rng := rand.New(rand.NewPCG(seed, 2))
	protos := []string{"TCP", "UDP", "ICMP"}
	rows := make([]Row, n)
	ip := func() string {
		return fmt.Sprintf("%d.%d.%d.%d", rng.IntN(223)+1, rng.IntN(256), rng.IntN(256), rng.IntN(256))
	}
	for i := range rows {
		pppoe, ident, dst, port := fmt.Sprintf("user%09d", rng.IntN(1e9)), fmt.Sprintf("R%04d", rng.IntN(50)), ip(), fmt.Sprint(rng.IntN(65535)+1)
		proto, length := protos[rng.IntN(3)], fmt.Sprint(rng.IntN(1400)+40)
		src := ip()
		orig := fmt.Sprintf("<869> 01:02:05 %s prerouting: in:<pppoe-%s> out:(unknown 0), connection-state:established,snat proto %s (ACK,FIN,PSH), %s:%d->%s:%s, NAT (%s:%d->95.110.59.28:11384)->%s:%s, len %s",
			ident, pppoe, proto, src, rng.IntN(65535), dst, port, src, rng.IntN(65535), dst, port, length)
		rows[i] = Row{
			ReceivedAt: start + int64(i)*10_000,
			SenderIP:   "192.168.88.1",
			Values:     []sql.NullString{str(pppoe), str(ident), str(dst), str(port), str(proto), str(length)},
			Original:   orig,
		}
	}
	return rows
}

// searchDays returns a Days reading one day file of searchBenchRows rows,
// written once per test binary with the Writer (batches of 8,000 rows, the
// engine's), with searchNeedleUser planted in searchNeedleRows rows.
func searchDays(b *testing.B) *Days {
	b.Helper()
	searchFile.once.Do(func() {
		n := searchBenchRows
		if v, err := strconv.Atoi(os.Getenv("LOGSIEVE_BENCH_SEARCH_ROWS")); err == nil && v > 0 {
			n = v
		}
		dir, err := os.MkdirTemp("", "logsieve-search-bench-")
		if err != nil {
			searchFile.err = err
			return
		}
		searchFile.dir, searchFile.rows = dir, n
		w, err := OpenWriter(dir, Options{Location: time.UTC})
		if err != nil {
			searchFile.err = err
			return
		}
		s := &Schema{Columns: []string{"pppoe", "router_identity", "destination_ip", "destination_port", "proto", "length"}, KeepOriginal: true}
		start := time.Date(2024, 5, 1, 0, 0, 1, 0, time.UTC).UnixNano()
		step := int64(80_000 * time.Second / time.Duration(n))
		const batch = 8000
		t0 := time.Now()
		for done := 0; done < n; done += batch {
			rows := searchRows(min(batch, n-done), uint64(done), 0)
			for i := range rows {
				id := done + i + 1
				rows[i].ReceivedAt = start + int64(id)*step
				if id%(n/searchNeedleRows) == n/searchNeedleRows/2 {
					rows[i].Values[0] = str(searchNeedleUser)
					rows[i].Original = "<869> 01:02:05 R0001 prerouting: in:<pppoe-" + searchNeedleUser + "> out:(unknown 0), len 60"
				}
			}
			if _, err := w.Write(s, rows); err != nil {
				searchFile.err = err
				return
			}
		}
		searchFile.err = w.Close()
		fmt.Fprintf(os.Stderr, "search bench: filled %d rows in %.1fs\n", n, time.Since(t0).Seconds())
	})
	if searchFile.err != nil {
		b.Fatal(searchFile.err)
	}
	ds := NewDays(searchFile.dir)
	b.Cleanup(func() { ds.Close() })
	return ds
}

// TestMain removes the search benchmark's day file.
func TestMain(m *testing.M) {
	code := m.Run()
	if searchFile.dir != "" {
		os.RemoveAll(searchFile.dir)
	}
	os.Exit(code)
}

// BenchmarkSearch measures the needle searches of issue 14 on one day:
// an exact value, a word q and substring scans (which read every row: their
// rows/s metric is the scan speed).
func BenchmarkSearch(b *testing.B) {
	ds := searchDays(b)
	order := []string{"pppoe", "router_identity", "destination_ip", "destination_port", "proto", "length"}
	run := func(name string, q Query, want int, scans bool) {
		b.Run(name, func(b *testing.B) {
			q.Date, q.Order, q.Desc, q.Limit = "2024-05-01", order, true, 100
			b.ReportAllocs()
			for b.Loop() {
				got := 0
				q.Cursor = ""
				for {
					p, err := ds.Query(b.Context(), q)
					if err != nil {
						b.Fatal(err)
					}
					got += len(p.Rows)
					if p.NextCursor == nil {
						break
					}
					q.Cursor = *p.NextCursor
				}
				if got != want {
					b.Fatalf("got %d rows; want %d", got, want)
				}
			}
			if scans {
				b.ReportMetric(float64(b.N)*float64(searchFile.rows)/b.Elapsed().Seconds(), "rows/s")
			}
		})
	}
	run("exact", Query{Filters: []Filter{{Column: "pppoe", Text: searchNeedleUser, Exact: true}}}, searchNeedleRows, false)
	run("q_word", Query{Q: "zzneedle42", Match: MatchWord}, searchNeedleRows, false)
	run("filter_substring", Query{Filters: []Filter{{Column: "pppoe", Text: "needle4"}}}, searchNeedleRows, true)
	run("q_substring", Query{Q: "needle4"}, searchNeedleRows, true)
}

// BenchmarkSubstringPredicate compares, on the same day file, the substring
// condition Query uses (containsFunc) with the ones it replaced (LIKE ...
// ESCAPE, and before it instr(lower(col), needle) > 0): a count over every
// row.
func BenchmarkSubstringPredicate(b *testing.B) {
	ds := searchDays(b)
	v, err := ds.Open(b.Context(), "2024-05-01")
	if err != nil {
		b.Fatal(err)
	}
	defer v.Release()
	for _, col := range []string{"pppoe", "original_log"} {
		for _, c := range []struct{ name, cond, arg string }{
			{"like", quoteIdent(col) + ` LIKE ? ESCAPE '\'`, likePattern("needle4")},
			{"instr_lower", "instr(lower(" + quoteIdent(col) + "), ?) > 0", "needle4"},
			{"contains", containsFunc + "(" + quoteIdent(col) + ", ?)", "needle4"},
		} {
			b.Run(col+"/"+c.name, func(b *testing.B) {
				for b.Loop() {
					var n int
					if err := v.conn.QueryRowContext(b.Context(), "SELECT count(*) FROM logs WHERE "+c.cond, c.arg).Scan(&n); err != nil {
						b.Fatal(err)
					}
					if n != searchNeedleRows {
						b.Fatalf("got %d rows; want %d", n, searchNeedleRows)
					}
				}
				b.ReportMetric(float64(b.N)*float64(searchFile.rows)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkQSubstringPredicate compares two forms of q's substring
// condition over every shown column: one LIKE per column, OR'ed, and one
// LIKE over the columns joined by a newline.
func BenchmarkQSubstringPredicate(b *testing.B) {
	ds := searchDays(b)
	v, err := ds.Open(b.Context(), "2024-05-01")
	if err != nil {
		b.Fatal(err)
	}
	defer v.Release()
	shown := shownColumns([]string{"pppoe", "router_identity", "destination_ip", "destination_port", "proto", "length"}, [][]string{v.cols})
	var ors, cat []string
	var orArgs []any
	for _, c := range shown {
		ors = append(ors, quoteIdent(c)+` LIKE ? ESCAPE '\'`)
		orArgs = append(orArgs, likePattern("needle4"))
		cat = append(cat, "ifnull("+quoteIdent(c)+", '')")
	}
	for _, c := range []struct {
		name, cond string
		args       []any
	}{
		{"or_of_likes", balanced(ors, " OR "), orArgs},
		{"like_of_concat", "(" + strings.Join(cat, " || char(10) || ") + `) LIKE ? ESCAPE '\'`, []any{likePattern("needle4")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var n int
				if err := v.conn.QueryRowContext(b.Context(), "SELECT count(*) FROM logs WHERE "+c.cond, c.args...).Scan(&n); err != nil {
					b.Fatal(err)
				}
				if n != searchNeedleRows {
					b.Fatalf("got %d rows; want %d", n, searchNeedleRows)
				}
			}
			b.ReportMetric(float64(b.N)*float64(searchFile.rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// likePattern returns the LIKE pattern (with ESCAPE '\') of a literal
// substring: %needle% with %, _ and \ escaped (the condition containsFunc
// replaced, kept to compare with).
func likePattern(needle string) string {
	var b strings.Builder
	b.Grow(len(needle) + 4)
	b.WriteByte('%')
	for i := 0; i < len(needle); i++ {
		switch c := needle[i]; c {
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('%')
	return b.String()
}
