package store

import (
	"database/sql"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/class"
)

// withBlockRows sets the summary block size of new files for one test.
func withBlockRows(t *testing.T, n int64) {
	t.Helper()
	old := summaryBlockRows
	summaryBlockRows = n
	t.Cleanup(func() { summaryBlockRows = old })
}

// summaryVocab are the words of the random rows: a few common, many rare.
var summaryVocab = func() []string {
	v := []string{"alpha", "Beta", "gamma", "10.0.0.1", "user=bob", "x_y", "é", "UPPER"}
	for i := range 60 {
		v = append(v, fmt.Sprintf("w%03d", i*7))
	}
	return v
}()

// randomText joins 1-4 random words with random separators.
func randomText(rng *rand.Rand) string {
	seps := []string{" ", ".", ":", ",", "-", "", "=", "/"}
	var b strings.Builder
	for k := rng.IntN(4); k >= 0; k-- {
		b.WriteString(summaryVocab[rng.IntN(len(summaryVocab))])
		if k > 0 {
			b.WriteString(seps[rng.IntN(len(seps))])
		}
	}
	return b.String()
}

// refRow is a row as read back by plain SQL: id and the shown cells.
type refRow struct {
	id    int64
	cells map[string]*string
}

// readAll returns every row of the day with all its text columns.
func readAll(t *testing.T, dir string) ([]refRow, []string) {
	t.Helper()
	db, err := openReadOnly(dayPath(dir, queryDate))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols, err := tableColumns(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, c := range cols {
		if c != "id" && c != "received_at" {
			text = append(text, c)
		}
	}
	var quoted []string
	for _, c := range text {
		quoted = append(quoted, quoteIdent(c))
	}
	rows, err := db.Query("SELECT id, " + strings.Join(quoted, ", ") + " FROM logs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []refRow
	for rows.Next() {
		vals := make([]sql.NullString, len(text))
		dests := []any{new(int64)}
		for i := range vals {
			dests = append(dests, &vals[i])
		}
		if err := rows.Scan(dests...); err != nil {
			t.Fatal(err)
		}
		r := refRow{id: *dests[0].(*int64), cells: map[string]*string{}}
		for i, c := range text {
			if vals[i].Valid {
				s := vals[i].String
				r.cells[c] = &s
			}
		}
		out = append(out, r)
	}
	return out, text
}

// matches is the reference of q: exact filters compare, word q checks every
// text column in Go.
func (r refRow) matches(q Query) bool {
	for _, f := range q.Filters {
		c := r.cells[f.Column]
		if c == nil || f.Exact && *c != f.Text || !f.Exact && !strings.Contains(asciiLower(*c), asciiLower(f.Text)) {
			return false
		}
	}
	if q.Q != "" {
		for _, c := range r.cells {
			if c != nil && (q.Match == MatchWord && hasWord(*c, asciiLower(q.Q)) ||
				q.Match != MatchWord && strings.Contains(asciiLower(*c), asciiLower(q.Q))) {
				return true
			}
		}
		return false
	}
	return true
}

// allIDs pages through q (newest first) and returns the ids found.
func allIDs(t *testing.T, dir string, q Query) []string {
	t.Helper()
	q.Date, q.Desc, q.Limit = queryDate, true, 50
	return pagedIDs(t, dir, q)
}

// checkSearches compares exact and word queries on the day of dir with the
// reference computed from plain SQL.
func checkSearches(t *testing.T, dir string, rng *rand.Rand, stage string) {
	t.Helper()
	all, text := readAll(t, dir)
	var qs []Query
	for range 12 {
		r := all[rng.IntN(len(all))]
		c := text[rng.IntN(len(text))]
		if v := r.cells[c]; v != nil {
			qs = append(qs, Query{Filters: []Filter{{Column: c, Text: *v, Exact: true}}})
		}
		if v := r.cells[c]; v != nil && len(*v) > 2 {
			// A word cut out of a cell: often a token, sometimes not.
			i := rng.IntN(len(*v) - 1)
			qs = append(qs, Query{Q: (*v)[i:min(len(*v), i+1+rng.IntN(12))], Match: MatchWord})
		}
		w := summaryVocab[rng.IntN(len(summaryVocab))]
		qs = append(qs, Query{Q: w, Match: MatchWord}, Query{Q: strings.ToUpper(w), Match: MatchWord})
		if v := r.cells[c]; v != nil && len(*v) > 2 {
			// A substring of a cell, often with whole tokens inside, in
			// every column (q) and in its own (filter).
			i := rng.IntN(len(*v) - 1)
			sub := (*v)[i:min(len(*v), i+1+rng.IntN(24))]
			qs = append(qs, Query{Q: sub}, Query{Q: strings.ToUpper(sub), Match: MatchSubstring},
				Query{Filters: []Filter{{Column: c, Text: sub}}})
		}
		// Words and separators glued: a token inside, parts of tokens at the edges.
		sub := "a" + summaryVocab[rng.IntN(len(summaryVocab))] + "." + summaryVocab[rng.IntN(len(summaryVocab))] + ":" +
			summaryVocab[rng.IntN(len(summaryVocab))]
		qs = append(qs, Query{Q: sub[1:]}, Query{Q: sub[rng.IntN(4):]})
	}
	qs = append(qs,
		Query{Q: " absent "},
		Query{Q: "a.w007.w"},
		Query{Filters: []Filter{{Column: "a", Text: "=bob,"}}},
		Query{Q: "absent", Match: MatchWord},
		Query{Q: "w007.w014", Match: MatchWord},
		Query{Filters: []Filter{{Column: "a", Text: "", Exact: true}}},
		Query{Filters: []Filter{{Column: "a", Text: "w000", Exact: true}}, Q: "alpha", Match: MatchWord})
	for _, q := range qs {
		q.Order = []string{"a", "b", "c"}
		want := []string{}
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].matches(q) {
				want = append(want, fmt.Sprint(all[i].id))
			}
		}
		got := allIDs(t, dir, q)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: unexpected ids of %+v; got %q; want %q", stage, q, got, want)
		}
	}
}

func TestSummariesNeverHideAMatch(t *testing.T) {
	withBlockRows(t, 16)
	defer func(c int64) { scanChunk = c }(scanChunk)
	scanChunk = 37
	rng := rand.New(rand.NewPCG(14, 1))
	dir := t.TempDir()
	w, err := OpenWriter(dir, Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { w.Close() }()
	at := ns(t, time.UTC, queryDate+" 08:00:00")
	oldS := &Schema{Columns: []string{"a", "b"}, KeepOriginal: true}
	newS := &Schema{Columns: []string{"a", "c"}, KeepOriginal: true}
	n := 0
	var tok RowTokenizer
	write := func(s *Schema, rows int, client string) {
		t.Helper()
		batch := make([]Row, rows)
		for i := range batch {
			vals := make([]sql.NullString, len(s.Columns))
			for j := range vals {
				if rng.IntN(10) > 0 {
					vals[j] = str(randomText(rng))
				}
			}
			orig := randomText(rng) + " " + randomText(rng)
			// Values usually come from their line: sometimes whole tokens
			// of it, sometimes glued to word characters around them; and
			// then mostly cut out of it (same memory, as the extractor
			// does: the writer skips the tokens of such a value when its
			// edges are token edges of the line), sometimes copies.
			cut := make([]int, len(vals))
			for j, v := range vals {
				cut[j] = -1
				switch rng.IntN(3) {
				case 0:
					orig += " k="
					cut[j] = len(orig)
					orig += v.String + ","
				case 1:
					orig += "z"
					cut[j] = len(orig)
					orig += v.String + "9"
				}
			}
			for j, v := range vals {
				if cut[j] >= 0 && v.Valid && rng.IntN(4) > 0 {
					vals[j].String = orig[cut[j] : cut[j]+len(v.String)]
				}
			}
			batch[i] = Row{ReceivedAt: at + int64(n)*1e8, SenderIP: fmt.Sprintf("10.0.%d.%d", rng.IntN(2), rng.IntN(3)),
				Values: vals, Original: orig}
			if client != "" {
				batch[i].Client = str(client)
			}
			n++
		}
		// Mostly with the hashes computed ahead, as the engine's parse
		// workers do, in runs that start at random rows and sometimes go
		// on from the previous batch (block boundaries fall inside runs).
		if rng.IntN(4) > 0 {
			var toks []uint64
			for i := range batch {
				if rng.IntN(20) == 0 {
					tok.NewRun()
				}
				toks = tok.Tokens(toks, &batch[i], s.KeepOriginal)
			}
		}
		if got, err := w.Write(s, batch); err != nil || got != rows {
			t.Fatalf("write: %d rows, %v", got, err)
		}
	}
	reopen := func() {
		t.Helper()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if w, err = OpenWriter(dir, Options{Location: time.UTC}); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		write(oldS, 1+rng.IntN(30), "")
	}
	checkSearches(t, dir, rng, "first rows")

	// Class edit mid-day: c is added, b keeps its column (NULL from now on).
	for range 10 {
		write(newS, 1+rng.IntN(30), "")
	}
	checkSearches(t, dir, rng, "class edit")

	// A restart in the middle of a block (kill -9 keeps the committed rows
	// and summaries; the writer's memory is lost).
	write(newS, 7, "")
	reopen()
	write(newS, 40, "")
	checkSearches(t, dir, rng, "restart")

	// The newest rows (two blocks and a bit) are purged: SQLite gives their
	// ids to the next rows, which land in summarized blocks.
	write(newS, 45, "gone")
	ds := NewDays(dir)
	if _, err := ds.PurgeClient(t.Context(), "gone", nil); err != nil {
		t.Fatal(err)
	}
	ds.Close()
	for range 5 {
		write(newS, 1+rng.IntN(30), "")
	}
	checkSearches(t, dir, rng, "purge of the newest rows")

	// The same while the writer is closed, then a restart.
	write(newS, 50, "gone2")
	reopen()
	ds = NewDays(dir)
	if _, err := ds.PurgeClient(t.Context(), "gone2", nil); err != nil {
		t.Fatal(err)
	}
	ds.Close()
	write(newS, 33, "")
	checkSearches(t, dir, rng, "purge while closed")

	// A file without summaries (written before they existed): its blocks
	// are scanned; the writer summarizes from its next block on.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", fileDSN(dayPath(dir, queryDate), ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE " + bloomTable + "; DROP TABLE " + bloomFormatTable); err != nil {
		t.Fatal(err)
	}
	db.Close()
	checkSearches(t, dir, rng, "no summaries")
	if w, err = OpenWriter(dir, Options{Location: time.UTC}); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		write(newS, 1+rng.IntN(30), "")
	}
	checkSearches(t, dir, rng, "summaries added later")
}

func TestSummariesPruneANeedleSearch(t *testing.T) {
	withBlockRows(t, 64)
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"user", "msg"}, KeepOriginal: true}
	at := ns(t, time.UTC, queryDate+" 08:00:00")
	const total = 5000
	var rows []Row
	for i := 1; i <= total; i++ {
		user := fmt.Sprintf("user%05d", i)
		if i == 1234 || i == 4321 {
			user = "Needle"
		}
		rows = append(rows, Row{ReceivedAt: at + int64(i)*1e7, SenderIP: "10.0.0.1",
			Values: []sql.NullString{str(user), str(fmt.Sprintf("port %d", i%977))}, Original: "login of " + user})
	}
	mustWrite(t, w, s, rows)
	defer func() { testHookScan = nil }()
	f := func(q Query, want []string) {
		t.Helper()
		scanned := int64(0)
		testHookScan = func(_ string, args []any) {
			a, b := args[0].(int64), args[1].(int64)
			scanned += max(a, b) - min(a, b)
		}
		q.Date, q.Order, q.Desc = queryDate, []string{"user", "msg"}, true
		p, err := QueryDay(t.Context(), dir, q)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "ids", pageIDs(p), want)
		// Two blocks hold the needle; a few more are false positives, plus
		// the incomplete last block.
		if scanned > total/5 {
			t.Fatalf("%+v scanned %d ids of %d; want far fewer", q, scanned, total)
		}
		var b strings.Builder
		if err := w.Days().Export(t.Context(), &b, []string{queryDate}, q); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs)-1 != len(want) {
			t.Fatalf("export of %+v: got %d rows; want %d", q, len(recs)-1, len(want))
		}
	}
	f(Query{Filters: []Filter{{Column: "user", Text: "Needle", Exact: true}}}, []string{"4321", "1234"})
	f(Query{Q: "needle", Match: MatchWord}, []string{"4321", "1234"})
	f(Query{Q: "login of needle", Match: MatchWord}, []string{"4321", "1234"})
	f(Query{Filters: []Filter{{Column: "user", Text: "user01000", Exact: true}}}, []string{"1000"})
	f(Query{Filters: []Filter{{Column: "user", Text: "nobody", Exact: true}}}, []string{})
	// Tokens shorter than minTokenLen are not in the summaries: a search
	// whose only rare token is short scans, and still finds every row.
	for _, q := range []Query{{Filters: []Filter{{Column: "msg", Text: "port 12", Exact: true}}}, {Q: "PORT 12", Match: MatchWord}} {
		q.Date, q.Order, q.Desc, q.Limit = queryDate, []string{"user", "msg"}, true, 1000
		p, err := QueryDay(t.Context(), dir, q)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, fmt.Sprintf("ids of %+v", q), pageIDs(p), []string{"4897", "3920", "2943", "1966", "989", "12"})
	}
	idQuery := Query{Filters: []Filter{{Column: "id", Text: "4321", Exact: true}}}
	q := idQuery
	q.Date, q.Order = queryDate, []string{"user", "msg"}
	p, err := QueryDay(t.Context(), dir, q)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "ids of an exact id filter", pageIDs(p), []string{"4321"})
}

// TestSummariesPruneASubstringWithAWholeTokenInside: a substring search
// whose text has a token with a non-word byte on both sides reads only the
// blocks that may hold that token, and finds every row; one whose tokens
// all touch its edges scans every block and finds them too.
func TestSummariesPruneASubstringWithAWholeTokenInside(t *testing.T) {
	withBlockRows(t, 64)
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"user"}, KeepOriginal: true}
	at := ns(t, time.UTC, queryDate+" 08:00:00")
	const total = 5000
	var rows []Row
	for i := 1; i <= total; i++ {
		user := fmt.Sprintf("user%05d", i)
		if i == 1234 || i == 4321 {
			user = "Needle"
		}
		if i == 2000 {
			user = "xneedlex" // holds needle, not as a token
		}
		rows = append(rows, Row{ReceivedAt: at + int64(i)*1e7, SenderIP: "10.0.0.1",
			Values: []sql.NullString{str(user)}, Original: "login of " + user + " from port " + fmt.Sprint(i%977)})
	}
	mustWrite(t, w, s, rows)
	defer func() { testHookScan = nil }()
	f := func(q Query, pruned bool, want ...string) {
		t.Helper()
		scanned := int64(0)
		testHookScan = func(_ string, args []any) {
			a, b := args[0].(int64), args[1].(int64)
			scanned += max(a, b) - min(a, b)
		}
		q.Date, q.Order, q.Desc = queryDate, []string{"user"}, true
		p, err := QueryDay(t.Context(), dir, q)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = []string{}
		}
		checkEqual(t, fmt.Sprintf("ids of %+v", q), pageIDs(p), want)
		if pruned != (scanned <= total/5) {
			t.Fatalf("%+v scanned %d ids of %d; want pruned=%t", q, scanned, total, pruned)
		}
	}
	f(Query{Q: "OF NEEDLE FROM"}, true, "4321", "1234")
	f(Query{Q: "of needle from", Match: MatchSubstring}, true, "4321", "1234")
	f(Query{Filters: []Filter{{Column: class.ColOriginal, Text: "f Needle f"}}}, true, "4321", "1234")
	f(Query{Q: " nobody "}, true)
	// No token inside: "needle" touches an edge, and is a part of xneedlex.
	f(Query{Q: "needle"}, false, "4321", "2000", "1234")
	f(Query{Q: "of needle"}, false, "4321", "1234")
	f(Query{Filters: []Filter{{Column: "user", Text: "needle"}}}, false, "4321", "2000", "1234")
	f(Query{Q: "eedle fro"}, false, "4321", "1234")
}

func TestBloomHasEveryTokenAndFewOthers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 5, 140, 5000, 20000} {
		var set tokenSet
		var in []uint64
		for range n {
			h := rng.Uint64()
			set.add(h)
			in = append(in, h)
		}
		parts, _ := buildBlooms(&set, nil)
		for _, h := range in {
			if !bloomHas(parts[h>>bloomPartShift], h) {
				t.Fatalf("n=%d: the bloom lacks token %x", n, h)
			}
		}
		fp := 0
		const probes = 100000
		for range probes {
			if h := rng.Uint64(); bloomHas(parts[h>>bloomPartShift], h) {
				fp++
			}
		}
		if rate := float64(fp) / probes; rate > 0.02 {
			t.Fatalf("n=%d: false positive rate %.4f; want at most 0.02", n, rate)
		}
	}
}

func TestWordMask8AgreesWithTheTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(x uint64) {
		var want uint8
		for k := range 8 {
			want |= wordBit[byte(x>>(8*k))] << k
		}
		if got := wordMask8(x); got != want {
			t.Fatalf("wordMask8(%#x) = %08b; want %08b", x, got, want)
		}
	}
	for c := range 256 {
		for k := range 8 {
			check(uint64(c) << (8 * k))
			check(uint64(c)<<(8*k) | 0x4141414141414141&^(0xff<<(8*k)))
		}
	}
	for range 100000 {
		check(rng.Uint64())
	}
}

func TestSummariesKeepTheTokensOfValuesCutFromTheLine(t *testing.T) {
	withBlockRows(t, 16)
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"user", "ip"}, KeepOriginal: true}
	at := ns(t, time.UTC, queryDate+" 08:00:00")
	var rows []Row
	for i := 1; i <= 400; i++ {
		line := fmt.Sprintf("login zUser%04d9 from k=10.1.%d.%d:5%04d, done", i, i/256, i%256, i)
		user := line[7:15]                                                     // inside the word zUser....9: its own token
		ip := line[strings.Index(line, "k=")+2 : strings.LastIndex(line, ":")] // whole tokens of the line
		rows = append(rows, Row{ReceivedAt: at + int64(i)*1e7, SenderIP: "10.0.0.1",
			Values: []sql.NullString{str(user), str(ip)}, Original: line})
		if i%2 == 0 {
			// Hashes computed ahead, as the engine's parse workers do.
			rows[i-1].Tokens = AppendRowTokens(nil, &rows[i-1], true)
		}
	}
	mustWrite(t, w, s, rows)
	f := func(q Query, want ...string) {
		t.Helper()
		q.Date, q.Order, q.Desc = queryDate, []string{"user", "ip"}, true
		p, err := QueryDay(t.Context(), dir, q)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, fmt.Sprintf("ids of %+v", q), pageIDs(p), want)
	}
	f(Query{Filters: []Filter{{Column: "user", Text: "User0123", Exact: true}}}, "123")
	f(Query{Filters: []Filter{{Column: "user", Text: "User0124", Exact: true}}}, "124")
	f(Query{Q: "user0301", Match: MatchWord}, "301")
	f(Query{Q: "zuser03019", Match: MatchWord}, "301")
	f(Query{Filters: []Filter{{Column: "ip", Text: "10.1.1.45", Exact: true}}}, "301")
	f(Query{Q: "50302", Match: MatchWord}, "302")
}

func TestTokensWithinNeedsTheSameMemoryAndTokenEdges(t *testing.T) {
	line := "in:<pppoe-Bob42> id=abc123def 1.2.3.4:80"
	f := func(v string, want bool) {
		t.Helper()
		if got := tokensWithin(v, line); got != want {
			t.Fatalf("unexpected tokensWithin(%q); got %v; want %v", v, got, want)
		}
	}
	cut := func(sub string) string {
		i := strings.Index(line, sub)
		return line[i : i+len(sub)]
	}
	f(cut("Bob42"), true)
	f(cut("pppoe-Bob42"), true)
	f(cut("<pppoe-Bob42>"), true)
	f(cut("1.2.3.4"), true)
	f(cut("80"), true)
	f(cut("in"), true)
	f(cut("123"), false)             // inside abc123def
	f(cut("abc123"), false)          // ends inside a word
	f(cut("123def"), false)          // starts inside a word
	f(cut("ob42"), false)            // starts inside a word
	f(strings.Clone("Bob42"), false) // the same text elsewhere in memory
	f("", true)
	f(cut("=abc123def "), true)
}

func TestSummariesOfRowTokensWhenABatchSpansTwoDays(t *testing.T) {
	withBlockRows(t, 16)
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"user"}, KeepOriginal: true}
	day1 := ns(t, time.UTC, queryDate+" 23:00:00")
	day2 := day1 + int64(2*time.Hour)
	date2 := time.Unix(0, day2).UTC().Format(time.DateOnly)
	// Rows alternate between the two days, and a run of the tokenizer
	// covers two of them: a row of the second day shares its tokens with
	// the row before it, which went to the other file.
	var tok RowTokenizer
	var rows []Row
	var toks []uint64
	for i := range 600 {
		at := day1
		if i%2 == 1 {
			at = day2
		}
		rows = append(rows, Row{ReceivedAt: at + int64(i), SenderIP: "10.0.0.1",
			Values: []sql.NullString{str(fmt.Sprintf("u%03d", i))}, Original: fmt.Sprintf("alpha word%03d", i/2)})
		if i%2 == 0 {
			tok.NewRun()
		}
		toks = tok.Tokens(toks, &rows[i], true)
	}
	mustWrite(t, w, s, rows)
	for _, date := range []string{queryDate, date2} {
		q := Query{Date: date, Q: "word242", Match: MatchWord, Order: []string{"user"}}
		p, err := QueryDay(t.Context(), dir, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(pageIDs(p)) != 1 {
			t.Fatalf("unexpected ids of word242 on %s; got %q; want one", date, pageIDs(p))
		}
	}
}

// TestAppendTokenHashesAgreesWithHashToken checks the writer's fast path for
// short tokens (hashShort) against hashToken on every token of random texts
// of word and non-word bytes, of every length and position (the summaries of
// files already written hold hashToken's hashes).
func TestAppendTokenHashesAgreesWithHashToken(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := "aZ9_\xe9 .:-/,<>"
	for range 20000 {
		b := make([]byte, rng.IntN(200))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
			if rng.IntN(3) == 0 {
				b[i] = alphabet[rng.IntN(5)] // longer words
			}
		}
		s := string(b)
		var want []uint64
		eachTokenSpan(s, func(i, j int) { want = append(want, hashToken(s, i, j)) })
		if got := appendTokenHashes(nil, s); !slices.Equal(got, want) {
			t.Fatalf("unexpected hashes of %q; got %x; want %x", s, got, want)
		}
	}
}

// TestRowTokenizerCoversEveryTokenOfItsRows checks the parse workers' Row.Tokens
// against AppendRowTokens, the writer's own hashes of a row, on runs of random
// rows (tokens of every length and case, repeated across rows, values cut out
// of their line or copied): every hash of a row is in its Tokens or in those
// of an earlier row of its run (else a block summary would miss a token and a
// search a row), and no row carries a hash that is not one of its own.
func TestRowTokenizerCoversEveryTokenOfItsRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	// Words share long prefixes and differ in case: the tokenizer looks
	// tokens up by their folded bytes before it hashes them.
	words := make([]string, 60)
	for i := range words {
		b := []byte("Connection_state"[:rng.IntN(17)])
		for range rng.IntN(12) {
			b = append(b, "aBz09_\xc3"[rng.IntN(7)])
		}
		if len(b) == 0 {
			b = append(b, 'q')
		}
		words[i] = string(b)
	}
	line := func() string {
		var b strings.Builder
		for range rng.IntN(60) {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(" .:-<>,"[rng.IntN(7)])
		}
		return b.String()
	}
	var tok RowTokenizer
	var toks []uint64
	for run := range 3000 {
		tok.NewRun()
		have := map[uint64]bool{} // the hashes of the run's Tokens so far
		for k := range 1 + rng.IntN(80) {
			orig := line()
			vals := make([]sql.NullString, 3)
			for j := range vals {
				switch rng.IntN(3) {
				case 0:
					if a, b := rng.IntN(len(orig)+1), rng.IntN(len(orig)+1); a <= b {
						vals[j] = str(orig[a:b]) // cut out, edges anywhere
					}
				case 1:
					vals[j] = str(words[rng.IntN(len(words))])
				}
			}
			r := Row{Values: vals, Original: orig}
			keep := rng.IntN(4) > 0
			toks = tok.Tokens(toks[:0], &r, keep)
			own := map[uint64]bool{}
			for _, h := range AppendRowTokens(nil, &r, keep) {
				own[h] = true
			}
			for _, h := range r.Tokens {
				if !own[h] {
					t.Fatalf("run %d row %d: unexpected hash %x in Tokens of %q", run, k, h, orig)
				}
				have[h] = true
			}
			for h := range own {
				if !have[h] {
					t.Fatalf("run %d row %d: hash %x of %q is in no Tokens of its run", run, k, h, orig)
				}
			}
		}
	}
}
