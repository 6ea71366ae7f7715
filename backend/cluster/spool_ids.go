package cluster

import "strconv"

// spoolBatchID names the part-th message of the spool record at pos of the
// spool spoolID on node: <node>-s<spool id>-<segment>-<index>-<part>. The
// same record gets the same id at every replay (after a kill -9 between
// JetStream's ack and the spool's mark), so JetStream's duplicate window,
// or past it the store nodes' claims and batch tables, drop the copy. The
// other batch ids (<node>-<12 hex>-<sequence>) never have an "s" there.
func spoolBatchID(node, spoolID string, pos uint64, part int) string {
	b := make([]byte, 0, len(node)+len(spoolID)+32)
	b = append(b, node...)
	b = append(b, "-s"...)
	b = append(b, spoolID...)
	b = append(b, '-')
	b = strconv.AppendUint(b, pos>>32, 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, pos&(1<<32-1), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(part), 10)
	return string(b)
}
