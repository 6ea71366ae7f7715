package class

// The fixed columns of a day file's logs table: every engine's rows have them
// whatever their class, and no key may take their names (Reserved). The table
// holds, in this order: id, log_sender_ip, client, time, time_zone, the value
// columns (the 8 syslog header columns when the engine parses headers, then
// the class's in class order), original_log (when the engine keeps the
// original line), received_at. Columns added to an existing day file are
// appended after these. The API and CSV show HeadColumns, the value
// columns and original_log (ShownColumns); /logs puts id first; received_at is
// only used for ordering.
const (
	ColID         = "id"            // INTEGER PRIMARY KEY
	ColSenderIP   = "log_sender_ip" // the datagram's source address
	ColClient     = "client"        // the matched client's name, NULL when none
	ColTime       = "time"          // HH:MM:SS of the receive time in the engine's timezone
	ColTimeZone   = "time_zone"     // the engine's IANA timezone name
	ColOriginal   = "original_log"  // the whole line, when the engine keeps it
	ColReceivedAt = "received_at"   // receive time, unix nanoseconds (ordering only)
)

// Reserved lists the column names of a day file that a key may not take.
var Reserved = []string{ColID, ColSenderIP, ColClient, ColTime, ColTimeZone, ColOriginal, ColReceivedAt}

// HeadColumns returns the fixed columns a row shows before its class's value
// columns, in order: log_sender_ip, client, time, time_zone. The slice is new
// on each call; the caller may append to it or change it.
func HeadColumns() []string {
	return []string{ColSenderIP, ColClient, ColTime, ColTimeZone}
}

// ShownColumns returns the columns of a row as the API and CSV show them
// (without id): HeadColumns, the value columns, then original_log when
// keepOriginal. The slice is new; values is not changed.
func ShownColumns(values []string, keepOriginal bool) []string {
	cols := make([]string, 0, 4+len(values)+1)
	cols = append(cols, HeadColumns()...)
	cols = append(cols, values...)
	if keepOriginal {
		cols = append(cols, ColOriginal)
	}
	return cols
}
