package store

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/class"
)

// cut returns the substring word of line (as the parse workers cut values
// out of the line, sharing its bytes).
func cut(t *testing.T, line, word string) sql.NullString {
	t.Helper()
	i := strings.Index(line, word)
	if i < 0 {
		t.Fatalf("%q is not in %q", word, line)
	}
	return str(line[i : i+len(word)])
}

// factsRows writes rows 1-2 with their values cut from original_log and
// row 3 without original_log (the engine's keep_original switched off).
func factsRows(t *testing.T) (*Writer, string, *Schema) {
	t.Helper()
	w, dir := openTestWriter(t, time.UTC)
	s := &Schema{Columns: []string{"user", "peer"}, KeepOriginal: true}
	at := ns(t, time.UTC, queryDate+" 10:00:00")
	var rows []Row
	for i, l := range []struct{ line, user, peer string }{
		{"login alice from 10.0.0.1", "alice", "10.0.0.1"},
		{"logout bob from 10.0.0.2", "bob", "10.0.0.2"},
	} {
		line := strings.Clone(l.line)
		rows = append(rows, Row{ReceivedAt: at + int64(i)*1e9, SenderIP: "192.168.1.1", Original: line,
			Values: []sql.NullString{cut(t, line, l.user), cut(t, line, l.peer)}})
	}
	mustWrite(t, w, s, rows)
	mustWrite(t, w, &Schema{Columns: s.Columns}, []Row{{ReceivedAt: at + 2e9, SenderIP: "192.168.1.1",
		Values: []sql.NullString{str("carol"), str("10.0.0.3")}}})
	return w, dir, s
}

func qIDs(t *testing.T, dir, q string) []string {
	t.Helper()
	p, err := QueryDay(t.Context(), dir, Query{Date: queryDate, Q: q, Desc: false,
		Order: []string{"user", "peer", class.ColOriginal}})
	if err != nil {
		t.Fatal(err)
	}
	return pageIDs(p)
}

// TestSearchEverywhereShortcutsFindTheSameRows: a search in every column
// compares the values cut from the line only on rows without original_log,
// time only for needles of digits and ':', time_zone only when a zone of
// the file holds the needle, and finds exactly what comparing every column
// finds.
func TestSearchEverywhereShortcutsFindTheSameRows(t *testing.T) {
	w, dir, _ := factsRows(t)
	v, err := w.Days().Open(t.Context(), queryDate)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	f := v.facts(t.Context(), Query{Q: "x"})
	if f == nil || !f.valuesInLine || !f.plainIPs || strings.Join(f.zones, ",") != "UTC" {
		t.Fatalf("facts = %+v; want values in the line, plain sender IPs and zones [UTC]", f)
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"alice", []string{"1"}},            // a value, found through original_log
		{"ALICE", []string{"1"}},            // ASCII case ignored
		{"carol", []string{"3"}},            // a value of a row without original_log
		{"10.0.0", []string{"1", "2", "3"}}, // values; row 3 by its own columns
		{"192.168", []string{"1", "2", "3"}},
		{"10:00:0", []string{"1", "2", "3"}}, // time
		{"ut", []string{"1", "2", "3"}},      // time_zone UTC
		{"from 10", []string{"1", "2"}},      // original_log only
		{"zzz", []string{}},
	} {
		checkEqual(t, "ids of q="+c.q, qIDs(t, dir, c.q), c.want)
	}
	shown := []string{class.ColSenderIP, class.ColClient, class.ColTime, class.ColTimeZone, "user", "peer", class.ColOriginal}
	has := map[string]bool{}
	for _, c := range shown {
		has[c] = true
	}
	terms, args := substringTerms(shown, has, "alice", f)
	sql := strings.Join(terms, " OR ")
	if len(terms) != 2 || strings.Contains(sql, `"time`) || strings.Contains(sql, "sender") || strings.Contains(sql, "client") ||
		!strings.Contains(sql, `"original_log" IS NULL AND`) || len(args) != 3 {
		t.Fatalf("terms of alice = %q (%d args); want original_log and the values where it is NULL (no client listed)", terms, len(args))
	}
	if terms, _ := substringTerms(shown, has, "1.a:", f); !strings.Contains(strings.Join(terms, " "), containsFunc+`("log_sender_ip"`) {
		t.Fatalf("terms of 1.a: = %q; want log_sender_ip compared", terms)
	}
	if terms, _ := substringTerms(shown, has, "10:0", f); !strings.Contains(strings.Join(terms, " "), containsFunc+`("time"`) {
		t.Fatalf("terms of 10:0 = %q; want time compared", terms)
	}
	// Without facts only time (its bytes) is left out.
	if terms, _ := substringTerms(shown, has, "alice", nil); len(terms) != len(shown)-1 || strings.Contains(strings.Join(terms, " "), `"time" `) {
		t.Fatalf("terms without facts = %q; want every column but time", terms)
	}
}

// TestAValueNotInTheLineTurnsTheShortcutOff: a row whose value is not in its
// original_log (not written by a parse worker) sets the file's flag, and a
// search in every column then compares every column, so it is found.
func TestAValueNotInTheLineTurnsTheShortcutOff(t *testing.T) {
	w, dir, s := factsRows(t)
	at := ns(t, time.UTC, queryDate+" 10:00:05")
	mustWrite(t, w, s, []Row{{ReceivedAt: at, SenderIP: "192.168.1.1", Original: "unrelated",
		Values: []sql.NullString{str("dave"), str("10.0.0.4")}}})
	checkEqual(t, "ids of q=dave", qIDs(t, dir, "dave"), []string{"4"})
	checkEqual(t, "ids of q=alice", qIDs(t, dir, "alice"), []string{"1"})
	db, err := sql.Open("sqlite3", "file:"+dayPath(dir, queryDate)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if set, err := hasFlag(t.Context(), db, flagValuesNotInLine); err != nil || !set {
		t.Fatalf("flag %s set = %v, %v; want set", flagValuesNotInLine, set, err)
	}
}

// TestFactsOfAFileWrittenBeforeThem: a file with rows but without the facts
// tables (an older build's) gets its zones from its rows and the flag that
// its values' origin is unknown when a writer opens it.
func TestFactsOfAFileWrittenBeforeThem(t *testing.T) {
	w, dir, s := factsRows(t)
	w.Close()
	db, err := sql.Open("sqlite3", "file:"+dayPath(dir, queryDate))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE " + zonesTable, "DROP TABLE " + flagsTable, "UPDATE logs SET time_zone = 'Etc/Old' WHERE id = 1"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	w2, err := OpenWriter(dir, Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	registerDays(t, w2.Days())
	mustWrite(t, w2, s, []Row{{ReceivedAt: ns(t, time.UTC, queryDate+" 10:00:06"), SenderIP: "192.168.1.1", Original: "erin",
		Values: []sql.NullString{str("erin"), null}}})
	checkEqual(t, "ids of q=old", qIDs(t, dir, "old"), []string{"1"})
	h, err := w2.Days().Open(t.Context(), queryDate)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	f := h.facts(t.Context(), Query{Q: "x"})
	if f == nil || f.valuesInLine || f.plainIPs || strings.Join(f.zones, ",") != "Etc/Old,UTC" {
		t.Fatalf("facts = %+v; want zones [Etc/Old UTC], values not known to be in the line, sender IPs not known to be plain", f)
	}
}

// TestASenderIPWithAZoneIsSearchedWhole: a sender IP with an IPv6 zone sets
// the file's flag, so log_sender_ip is compared again for any needle.
func TestASenderIPWithAZoneIsSearchedWhole(t *testing.T) {
	w, dir, s := factsRows(t)
	checkEqual(t, "ids of q=eth0 before", qIDs(t, dir, "eth0"), []string{})
	line := strings.Clone("hello from a link-local sender")
	mustWrite(t, w, s, []Row{{ReceivedAt: ns(t, time.UTC, queryDate+" 10:00:07"), SenderIP: "fe80::1%eth0", Original: line,
		Values: []sql.NullString{cut(t, line, "hello"), null}}})
	checkEqual(t, "ids of q=eth0", qIDs(t, dir, "eth0"), []string{"4"})
	checkEqual(t, "ids of q=alice", qIDs(t, dir, "alice"), []string{"1"})
}

// TestFactsAreReadAfterTheIDs: a batch that commits as a search starts,
// before the search reads the day's ids, holds the file's first sender IP
// with a zone; the search reads the flag that batch set and finds the row
// by its IP (/logs and the export, each on a file of its own).
func TestFactsAreReadAfterTheIDs(t *testing.T) {
	defer func() { testHookBounds = nil }()
	at := ns(t, time.UTC, queryDate+" 10:00:05")
	zonedOnBounds := func() string {
		w, dir, s := factsRows(t)
		testHookBounds = func() {
			testHookBounds = nil
			mustWrite(t, w, s, []Row{{ReceivedAt: at, SenderIP: "fe80::1%eth0", Original: "dave",
				Values: []sql.NullString{str("dave"), null}}})
		}
		return dir
	}
	checkEqual(t, "ids of q=%eth0", qIDs(t, zonedOnBounds(), "%eth0"), []string{"4"})

	ds := NewDays(zonedOnBounds())
	defer ds.Close()
	var b strings.Builder
	if err := ds.Export(t.Context(), &b, []string{queryDate}, Query{Q: "%ETH0", Order: []string{"user", "peer"}}); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(b.String()), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "fe80::1%eth0,") {
		t.Fatalf("export of q=%%ETH0: %q; want the header and the row from fe80::1%%eth0", b.String())
	}
}

// TestSearchEverywhereComparesClientOnlyWhereAClientHoldsTheNeedle: the
// writer lists the client names of a file's rows once each, in their
// batch's transaction; q compares client only when a listed name holds
// it, and finds the rows of a client by its name. A file that had rows
// before the list existed gets none and compares client on every row.
func TestSearchEverywhereComparesClientOnlyWhereAClientHoldsTheNeedle(t *testing.T) {
	w, dir, s := factsRows(t)
	at := ns(t, time.UTC, queryDate+" 10:00:10")
	row := func(i int, client string) Row {
		return Row{ReceivedAt: at + int64(i)*1e9, SenderIP: "192.168.1.1", Client: str(client), Original: "dave",
			Values: []sql.NullString{str("dave"), null}}
	}
	mustWrite(t, w, s, []Row{row(0, "Office-North"), row(1, "Office-North"), row(2, "branch7"), row(3, "Office-North")})
	mustWrite(t, w, s, []Row{row(4, "branch7")})
	v, err := w.Days().Open(t.Context(), queryDate)
	if err != nil {
		t.Fatal(err)
	}
	f := v.facts(t.Context(), Query{Q: "x"})
	v.Release()
	if f == nil || strings.Join(f.clients, ",") != "Office-North,branch7" {
		t.Fatalf("facts = %+v; want the clients Office-North and branch7", f)
	}
	checkEqual(t, "ids of q=north", qIDs(t, dir, "north"), []string{"4", "5", "7"})
	checkEqual(t, "ids of q=BRANCH7", qIDs(t, dir, "BRANCH7"), []string{"6", "8"})
	shown := []string{class.ColClient, "user", class.ColOriginal}
	has := map[string]bool{class.ColClient: true, "user": true, class.ColOriginal: true}
	for needle, want := range map[string]bool{"ch7": true, "office": true, "dave": false} {
		if terms, _ := substringTerms(shown, has, needle, f); strings.Contains(strings.Join(terms, " "), `"client"`) != want {
			t.Fatalf("terms of %s = %q; want client compared: %t", needle, terms, want)
		}
	}

	// A client first seen in a batch that commits as a search starts.
	defer func() { testHookBounds = nil }()
	testHookBounds = func() {
		testHookBounds = nil
		mustWrite(t, w, s, []Row{row(5, "zed")})
	}
	checkEqual(t, "ids of q=zed", qIDs(t, dir, "zed"), []string{"9"})

	// A file with rows and no list (an older build's).
	w.Close()
	db, err := sql.Open("sqlite3", "file:"+dayPath(dir, queryDate))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE " + clientsTable); err != nil {
		t.Fatal(err)
	}
	db.Close()
	w2, err := OpenWriter(dir, Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	registerDays(t, w2.Days())
	mustWrite(t, w2, s, []Row{row(6, "late")})
	v, err = w2.Days().Open(t.Context(), queryDate)
	if err != nil {
		t.Fatal(err)
	}
	f = v.facts(t.Context(), Query{Q: "x"})
	v.Release()
	if f == nil || f.clients != nil {
		t.Fatalf("facts = %+v; want no clients known", f)
	}
	checkEqual(t, "ids of q=late", qIDs(t, dir, "late"), []string{"10"})
	checkEqual(t, "ids of q=north", qIDs(t, dir, "north"), []string{"4", "5", "7"})
}
