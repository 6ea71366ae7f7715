// Package store keeps each engine's logs in one SQLite file per day.
//
// Layout: <dataDir>/engines/<engine>/<YYYY-MM-DD>.sqlite3, each with one table
// `logs` whose columns are the fixed ones of package class around the class
// value columns: id, log_sender_ip, client, time, time_zone, the value
// columns, original_log (when kept) and received_at. Columns a class gains later are appended; removed keys keep
// their column. The Writer appends to today's file; a closed day gets indexes
// on its extracted columns in the background. QueryDay and ExportCSV read the
// files read-only.
package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// TimeLayout is the layout of the `time` column and of the from/to bounds.
const TimeLayout = "15:04:05"

// DateLayout is the layout of a day file's date.
const DateLayout = "2006-01-02"

// fileExt is the suffix of a day file after its date.
const fileExt = ".sqlite3"

// EngineDir returns the directory holding the day files of engine.
func EngineDir(dataDir, engine string) string {
	return filepath.Join(dataDir, "engines", engine)
}

// ValidDate reports whether s is a strict YYYY-MM-DD date that exists in the
// calendar. The error is a *FieldError with Field "date" naming s.
func ValidDate(s string) error {
	bad := func() error {
		return &FieldError{Field: "date", Reason: fmt.Sprintf("%q is not a YYYY-MM-DD calendar date", s)}
	}
	if len(s) != len(DateLayout) {
		return bad()
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 4 || i == 7 {
			if c != '-' {
				return bad()
			}
			continue
		}
		if c < '0' || c > '9' {
			return bad()
		}
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil || t.Format(DateLayout) != s {
		return bad()
	}
	return nil
}

// validClock reports whether s is a strict HH:MM:SS time of day.
func validClock(s string) bool {
	if len(s) != len(TimeLayout) || s[2] != ':' || s[5] != ':' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4, 6, 7} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	_, err := time.Parse(TimeLayout, s)
	return err == nil
}

// Schema describes the rows of one batch: the class as it was when the rows
// were extracted.
type Schema struct {
	Columns      []string // class value columns in class order (class.Columns())
	KeepOriginal bool     // store Row.Original in original_log
}

// Row is one log to store.
type Row struct {
	ReceivedAt int64            // unix nanoseconds (UTC); decides the day file and `time`
	SenderIP   string           // log_sender_ip
	Client     sql.NullString   // matched client's name, NULL when none
	Values     []sql.NullString // aligned with Schema.Columns
	Original   string           // stored when Schema.KeepOriginal
	// SpoolPos is the overflow-spool position the row was replayed from (0:
	// not spooled); the file's spool mark commits with the row (spool_mark.go).
	SpoolPos uint64
	// Tokens, when not nil, are the block summaries' token hashes of the
	// row, computed ahead by a RowTokenizer (the engine's parse workers, in
	// parallel): the hashes of AppendRowTokens(nil, row, Schema.KeepOriginal)
	// less those in Tokens of the SharedTokens rows right before it in the
	// rows given to Write. The writer uses them when those rows land in the
	// same block of the same day file, and computes the row's hashes itself
	// otherwise (and when Tokens is nil).
	Tokens       []uint64
	SharedTokens int
}

// Options configure a Writer.
type Options struct {
	Location *time.Location // engine timezone (date of file + `time` column); nil = UTC
	TZName   string         // IANA name written in time_zone; empty = Location.String()
}

// FieldError is a validation error about one input field (a query
// parameter, a filter column, a date). The API answers it with 400 and Field.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "invalid <field>: <reason>".
func (e *FieldError) Error() string {
	return "invalid " + e.Field + ": " + e.Reason
}

// dayPath returns the path of the day file of date in dir.
func dayPath(dir, date string) string {
	return filepath.Join(dir, date+fileExt)
}

// quoteIdent quotes a column name for SQL.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// fileDSN builds a go-sqlite3 URI DSN for path with the given query.
func fileDSN(path, query string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path) + "?" + query
}
