package store

import (
	"database/sql"
	"testing"
	"time"
)

// TestDayFilesShareOneSQLiteMemoryBudget: once a writer opened a day file,
// SQLite's process-wide soft heap limit is set, so the page caches of many
// engines' day files share one budget.
func TestDayFilesShareOneSQLiteMemoryBudget(t *testing.T) {
	w, dir := openTestWriter(t, time.UTC)
	mustWrite(t, w, &Schema{Columns: []string{"a"}}, []Row{{ReceivedAt: ns(t, time.UTC, queryDate+" 10:00:00"),
		SenderIP: "10.0.0.1", Values: []sql.NullString{str("a")}}})
	db, err := sql.Open("sqlite3", fileDSN(dayPath(dir, queryDate), "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var limit int64
	if err := db.QueryRow("PRAGMA soft_heap_limit").Scan(&limit); err != nil {
		t.Fatal(err)
	}
	if limit != sqliteSoftHeapLimit {
		t.Fatalf("unexpected soft_heap_limit; got %d; want %d", limit, sqliteSoftHeapLimit)
	}
}
