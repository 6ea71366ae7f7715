package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestHasWordNeedsNoWordCharacterAroundTheOccurrence(t *testing.T) {
	f := func(s, needle string, want bool) {
		t.Helper()
		if got := hasWord(s, asciiLower(needle)); got != want {
			t.Fatalf("hasWord(%q, %q) = %v; want %v", s, needle, got, want)
		}
	}
	f("to 176.13.130.56:80", "176.13.130.56", true)
	f("to 1176.13.130.56:80", "176.13.130.56", false)
	f("to 176.13.130.567", "176.13.130.56", false)
	f("user=alice,", "alice", true)
	f("user=malice,", "alice", false)
	f("user=alice_2", "alice", false)
	f("Alice", "ALICE", true)
	f("alice", "alice", true)
	f("malice alice", "alice", true) // a later occurrence counts
	f("héalice", "alice", false)     // bytes >= 0x80 are word characters
	f("é alice", "alice", true)
	f("a-foo", "-foo", false) // the rule holds whatever the needle's edges
	f("a -foo", "-foo", true)
	f("", "x", false)
}

// matchFixture writes rows whose one value column holds each text, ids 1...
func matchFixture(t *testing.T, texts ...string) string {
	t.Helper()
	w, dir := openTestWriter(t, time.UTC)
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	s := &Schema{Columns: []string{"msg"}}
	var rows []Row
	for i, x := range texts {
		rows = append(rows, Row{ReceivedAt: at + int64(i)*1e9, SenderIP: "10.0.0.1", Values: []sql.NullString{str(x)}})
	}
	mustWrite(t, w, s, rows)
	return dir
}

func TestQueryMatchWordAndSubstring(t *testing.T) {
	texts := []string{"to 176.13.130.56:80", "to 1176.13.130.56:80", "user=alice,", "user=malice,",
		"50%off", "5000off", "a_b", "axb", `c:\x`, `c:x`, "ALICE", "x.y", "xzy"}
	dir := matchFixture(t, texts...)
	f := func(q Query, want ...int) {
		t.Helper()
		q.Date, q.Order, q.Desc = queryDate, []string{"msg"}, false
		p, err := QueryDay(t.Context(), dir, q)
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{}
		for _, id := range want {
			ids = append(ids, fmt.Sprint(id))
		}
		checkEqual(t, fmt.Sprintf("ids of %+v", q), pageIDs(p), ids)
	}
	f(Query{Q: "176.13.130.56", Match: MatchWord}, 1)
	f(Query{Q: "176.13.130.56"}, 1, 2)
	f(Query{Q: "176.13.130.56", Match: MatchSubstring}, 1, 2)
	f(Query{Q: "alice", Match: MatchWord}, 3, 11)
	f(Query{Q: "alice"}, 3, 4, 11)
	f(Query{Q: "50%", Match: MatchWord}) // "50%off": a word character follows
	f(Query{Q: "50%"}, 5)
	f(Query{Filters: []Filter{{Column: "msg", Text: "0%o"}}}, 5)
	f(Query{Filters: []Filter{{Column: "msg", Text: "_"}}}, 7)
	f(Query{Filters: []Filter{{Column: "msg", Text: `:\`}}}, 9)
	f(Query{Filters: []Filter{{Column: "msg", Text: "."}}}, 1, 2, 12)
	f(Query{Q: "x", Match: MatchWord}, 9, 10, 12)
}

func TestQueryWordRejectionsKeepLimitAndCursor(t *testing.T) {
	// Every row holds "alice" as a substring; only every third as a word.
	var texts []string
	var want []string
	for i := 1; i <= 40; i++ {
		if i%3 == 0 {
			texts = append(texts, fmt.Sprintf("user=alice n=%d", i))
			want = append(want, fmt.Sprint(i))
		} else {
			texts = append(texts, fmt.Sprintf("user=malice n=%d", i))
		}
	}
	dir := matchFixture(t, texts...)
	defer func(c int64) { scanChunk = c }(scanChunk)
	for _, chunk := range []int64{1 << 15, 7, 1} {
		scanChunk = chunk
		q := Query{Date: queryDate, Order: []string{"msg"}, Q: "alice", Match: MatchWord, Limit: 4}
		var got []string
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("no end after 20 pages")
			}
			p, err := QueryDay(t.Context(), dir, q)
			if err != nil {
				t.Fatal(err)
			}
			if p.NextCursor != nil && len(p.Rows) != q.Limit {
				t.Fatalf("got a page of %d rows with a cursor; want %d", len(p.Rows), q.Limit)
			}
			got = append(got, pageIDs(p)...)
			if p.NextCursor == nil {
				break
			}
			q.Cursor = *p.NextCursor
		}
		checkEqual(t, fmt.Sprintf("ids (chunk %d)", chunk), got, want)
	}
}

func TestQueryAndExportRejectAnUnknownMatch(t *testing.T) {
	dir := matchFixture(t, "a")
	_, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Q: "a", Match: "regex"})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "match" || !strings.Contains(err.Error(), "regex") {
		t.Fatalf("got error %v; want a *FieldError on match", err)
	}
	ds := NewDays(dir)
	defer ds.Close()
	err = ds.Export(t.Context(), &strings.Builder{}, []string{queryDate}, Query{Q: "a", Match: "Word"})
	if !errors.As(err, &fe) || fe.Field != "match" {
		t.Fatalf("got error %v; want a *FieldError on match", err)
	}
}

func TestExportMatchWord(t *testing.T) {
	dir := matchFixture(t, "user=alice,", "user=malice,", "ALICE")
	ds := NewDays(dir)
	defer ds.Close()
	var b strings.Builder
	if err := ds.Export(t.Context(), &b, []string{queryDate}, Query{Q: "alice", Match: MatchWord, Order: []string{"msg"}}); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
		f := strings.Split(strings.TrimSpace(line), ",")
		msgs = append(msgs, strings.Join(f[4:], ","))
	}
	checkEqual(t, "exported msg cells", msgs, []string{`"user=alice,"`, "ALICE"})
}
