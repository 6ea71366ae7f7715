package store

import (
	"context"
	"database/sql"
	"strings"
	"unsafe"

	"github.com/logsieve/logsieve/backend/class"
)

// A day file keeps two small facts about its rows, each maintained by the
// writer in the rows' transactions, so that a substring search in every
// column (q, see substringTerms) compares less on each row: the time zones
// its rows hold (zonesTable) and whether every value of a column cut from
// the line is a substring of that row's original_log (flagsTable).

// zonesTable lists, in a day file, every time_zone its rows hold: a writer
// writes one zone (its engine's) into every row, and adds it here in the
// transaction of its first batch in the file. A substring search in every
// column (q) then compares time_zone only when one of these zones holds the
// needle, instead of on every row (see substringTerms). A file without it
// (written before it existed) gets it filled from one scan when a writer
// opens it; a read handle of a file that still has none compares every row.
const zonesTable = "logsieve_zones"

const createZonesSQL = "CREATE TABLE IF NOT EXISTS " + zonesTable + " (zone TEXT PRIMARY KEY) WITHOUT ROWID"

// initZones makes sure the day file on conn has the zones table; a file
// without it gets it filled with the zones of its rows.
func initZones(ctx context.Context, conn *sql.Conn) error {
	return initTable(ctx, conn, zonesTable, createZonesSQL, "INSERT OR IGNORE INTO "+zonesTable+" (zone) SELECT DISTINCT "+
		class.ColTimeZone+" FROM logs WHERE "+class.ColTimeZone+" IS NOT NULL")
}

// recordZone adds tz to the zones of d, in the batch's transaction, unless
// an earlier committed batch did; the caller sets d.zone once it commits.
func (d *dayFile) recordZone(tz string) error {
	if d.zone == tz {
		return nil
	}
	_, err := d.conn.ExecContext(context.Background(), "INSERT OR IGNORE INTO "+zonesTable+" (zone) VALUES (?)", tz)
	return err
}

// readZones returns the zones of the day file on q; nil when it has no
// zones table (every row must be compared then).
func readZones(ctx context.Context, q interface {
	queryRower
	querier
}) ([]string, error) {
	ok, err := hasTable(ctx, q, zonesTable)
	if err != nil || !ok {
		return nil, err
	}
	return readList(ctx, q, "SELECT zone FROM "+zonesTable)
}

// clientsTable lists, in a day file, every client name its rows hold: the
// writer adds a name in the transaction of the first batch that holds it.
// A substring search in every column (q) then compares client only when
// one of these names holds the needle (see substringTerms); a purge leaves
// its client's name listed (more names only mean more comparing). The table
// is created with the file's first rows: a file that had rows before it
// existed gets none, and its searches compare client on every row.
const clientsTable = "logsieve_clients"

const createClientsSQL = "CREATE TABLE IF NOT EXISTS " + clientsTable + " (client TEXT PRIMARY KEY) WITHOUT ROWID"

// initClients makes sure a day file without rows has the clients table and
// returns the names it lists; nil when the file has rows but no table.
func initClients(ctx context.Context, conn *sql.Conn) (map[string]bool, error) {
	ok, err := hasTable(ctx, conn, clientsTable)
	if err != nil {
		return nil, err
	}
	if !ok {
		var rows bool
		if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM logs)").Scan(&rows); err != nil || rows {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, createClientsSQL); err != nil {
			return nil, err
		}
	}
	names, err := readList(ctx, conn, "SELECT client FROM "+clientsTable)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m, nil
}

// recordClients adds names to the clients of d, in the batch's
// transaction; the caller adds them to d.clients once it commits.
func (d *dayFile) recordClients(names []string) error {
	for _, n := range names {
		if _, err := d.conn.ExecContext(context.Background(), "INSERT OR IGNORE INTO "+clientsTable+" (client) VALUES (?)", n); err != nil {
			return err
		}
	}
	return nil
}

// readClients returns the client names of the day file on q; nil when it
// has no clients table (every row must be compared then).
func readClients(ctx context.Context, q interface {
	queryRower
	querier
}) ([]string, error) {
	ok, err := hasTable(ctx, q, clientsTable)
	if err != nil || !ok {
		return nil, err
	}
	return readList(ctx, q, "SELECT client FROM "+clientsTable)
}

// readList returns the one text column of the rows of query on q.
func readList(ctx context.Context, q querier, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// fileFacts are the facts of a day file that a search in every column
// uses (substringTerms); the zero value knows none.
type fileFacts struct {
	zones        []string // the file's time zones; nil: not known
	clients      []string // the file's client names; nil: not known
	valuesInLine bool     // values of columns cut from the line are in original_log
	plainIPs     bool     // log_sender_ip holds only hex digits, '.' and ':' (no IPv6 zone)
}

// facts returns the facts of h's file when q searches every column (none
// otherwise, or when they cannot be read: every column is compared then).
// They are read once per handle, after the scan has read the day's id
// bounds: the writer records a fact in the transaction of the rows it is
// about, so facts read later hold it for every row up to those bounds (read
// before, they could miss a flag or zone that a batch committed in between
// set, and its rows with it).
func (h *Day) facts(ctx context.Context, q Query) *fileFacts {
	if q.Q == "" {
		return nil
	}
	h.factsOnce.Do(func() {
		f := &fileFacts{}
		var err error
		if f.zones, err = readZones(ctx, h.conn); err == nil {
			f.valuesInLine, f.plainIPs, err = readFlags(ctx, h.conn)
		}
		if err == nil {
			f.clients, err = readClients(ctx, h.conn)
		}
		if err == nil {
			h.fileFacts = f
		}
	})
	return h.fileFacts
}

// flagsTable holds flags of a day file's rows. flagValuesNotInLine: some
// row stored with original_log has a value of a column cut from the line
// (cutFromLine) that is not a substring of it. The engines' parse workers
// cut every such value out of the line, so the flag stays unset and a
// search in every column need not compare those columns where original_log
// is stored; rows written otherwise (tests, tools) set it and are compared
// in full. flagIPZone: some row's log_sender_ip has an IPv6 zone
// ("fe80::1%eth0"); without it every sender IP is made of hex digits, '.'
// and ':'. A file that had rows before the table existed gets both flags.
const flagsTable = "logsieve_flags"

const (
	flagValuesNotInLine = "values_not_in_line"
	flagIPZone          = "sender_ip_zone"
)

const createFlagsSQL = "CREATE TABLE IF NOT EXISTS " + flagsTable + " (flag TEXT PRIMARY KEY) WITHOUT ROWID"

// initFlags makes sure the day file on conn has the flags table; a file
// that has rows already gets every flag (their origin is unknown).
func initFlags(ctx context.Context, conn *sql.Conn) error {
	return initTable(ctx, conn, flagsTable, createFlagsSQL, "INSERT OR IGNORE INTO "+flagsTable+
		" (flag) SELECT column1 FROM (VALUES (?), (?)) WHERE EXISTS (SELECT 1 FROM logs)", flagValuesNotInLine, flagIPZone)
}

// recordFlag sets flag in d, in the batch's transaction; the caller notes
// it in d once it commits.
func (d *dayFile) recordFlag(flag string) error {
	_, err := d.conn.ExecContext(context.Background(), "INSERT OR IGNORE INTO "+flagsTable+" (flag) VALUES (?)", flag)
	return err
}

// lineMask returns, per column of s, whether its values must be substrings
// of the line (cutFromLine); nil when s stores no original_log.
func lineMask(s *Schema) []bool {
	if !s.KeepOriginal {
		return nil
	}
	m := make([]bool, len(s.Columns))
	for i, c := range s.Columns {
		m[i] = cutFromLine(c)
	}
	return m
}

// hasFlag reports whether the day file on q has flag set.
func hasFlag(ctx context.Context, q queryRower, flag string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+flagsTable+" WHERE flag = ?", flag).Scan(&n)
	return n > 0, err
}

// valuesInLine reports whether every valid value of r in a column of mask
// is a substring of r.Original: at once when it points into the line's
// bytes (the parse workers cut values out of the line), else by a search.
func valuesInLine(r *Row, mask []bool) bool {
	line := r.Original
	lo := uintptr(unsafe.Pointer(unsafe.StringData(line)))
	hi := lo + uintptr(len(line))
	for j, in := range mask {
		v := r.Values[j]
		if !in || !v.Valid || v.String == "" {
			continue
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(v.String)))
		if p >= lo && p+uintptr(len(v.String)) <= hi {
			continue
		}
		if !strings.Contains(line, v.String) {
			return false
		}
	}
	return true
}

// readFlags reports what the flags of the day file on q tell: every value
// of a column cut from the line is inside its row's original_log, and no
// sender IP has a zone (both false when it has no flags table).
func readFlags(ctx context.Context, q queryRower) (valuesInLine, plainIPs bool, err error) {
	ok, err := hasTable(ctx, q, flagsTable)
	if err != nil || !ok {
		return false, false, err
	}
	notInLine, err := hasFlag(ctx, q, flagValuesNotInLine)
	if err != nil {
		return false, false, err
	}
	zone, err := hasFlag(ctx, q, flagIPZone)
	return !notInLine, !zone, err
}
