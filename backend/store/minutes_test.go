package store

import (
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// plainCounts counts, by a plain scan of each day file, the rows with
// start <= date+time <= end (DateTimeLayout, "" = open) for which cond holds
// (SQL over the file's columns), per bucket of bucketS seconds keyed as a
// Histogram's T.
func plainCounts(t *testing.T, dir string, dates []string, start, end string, bucketS int, cond string, args ...any) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, date := range dates {
		db, err := openReadOnly(dayPath(dir, date))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("SELECT time, count(*) FROM logs WHERE "+cond+" GROUP BY 1", args...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var tm string
			var n int64
			if err := rows.Scan(&tm, &n); err != nil {
				t.Fatal(err)
			}
			at := date + "T" + tm
			if (start != "" && at < start) || (end != "" && at > end) {
				continue
			}
			hh, _ := strconv.Atoi(tm[:2])
			mm, _ := strconv.Atoi(tm[3:5])
			m := (hh*60 + mm) / (bucketS / 60) * (bucketS / 60)
			out[fmt.Sprintf("%sT%02d:%02d", date, m/60, m%60)] += n
		}
		rows.Close()
		db.Close()
	}
	return out
}

// minuteTable returns the minutes table of a day file, without minutes of 0.
func minuteTable(t *testing.T, dir, date string) map[string]int64 {
	t.Helper()
	db, err := openReadOnly(dayPath(dir, date))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT minute, n FROM " + minutesTable + " WHERE n != 0")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		m[date+"T"+k] = n
	}
	return m
}

func TestWriterKeepsPerMinuteCountsInTheRowTransaction(t *testing.T) {
	_, dir := timeWindowFixture(t)
	got := minuteTable(t, dir, queryDate)
	want := plainCounts(t, dir, []string{queryDate}, "", "", 60, "1")
	checkEqual(t, "minute counts", got, want)
	if len(want) < 3 {
		t.Fatalf("fixture spans %d minutes; want at least 3", len(want))
	}
}

// writeSpreadDays writes, into w, rows on each of dates: one every step
// seconds from 00:00:03 to 23:59:59 with a = "n<i%5>" and a client of two.
func writeSpreadDays(t *testing.T, w *Writer, step int, dates ...string) {
	t.Helper()
	s := &Schema{Columns: []string{"a"}}
	for _, date := range dates {
		var rows []Row
		base := ns(t, time.UTC, date+" 00:00:03")
		for i := 0; i*step < 86400-3; i++ {
			cl := str("c" + strconv.Itoa(i%2))
			rows = append(rows, Row{ReceivedAt: base + int64(i*step)*1e9, SenderIP: "10.0.0.1", Client: cl,
				Values: []sql.NullString{str("n" + strconv.Itoa(i%5))}})
			if len(rows) == 500 {
				mustWrite(t, w, s, rows)
				rows = nil
			}
		}
		mustWrite(t, w, s, rows)
	}
}

func TestPurgeTakesDeletedRowsOffTheMinuteCounts(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	writeSpreadDays(t, w, 7, "2026-03-01", "2026-03-02")
	if _, err := w.Days().PurgeClient(t.Context(), "c1", nil); err != nil {
		t.Fatal(err)
	}
	writeSpreadDays(t, w, 7, "2026-03-02") // the writer keeps counting on the purged file
	for _, date := range []string{"2026-03-01", "2026-03-02"} {
		checkEqual(t, "minute counts of "+date, minuteTable(t, dir, date), plainCounts(t, dir, []string{date}, "", "", 60, "1"))
	}
}
