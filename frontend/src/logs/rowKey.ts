// Pure stable keys of /logs rows, so a memoized row keeps its identity across renders.

/** rowKeyOf is a row's stable key: its id, with its day in range mode (columns id, date, ...;
 * ids restart in each day file) and, in a cluster, its node (row_nodes; ids are per node).
 * Rows without an id fall back to their position. */
export function rowKeyOf(columns: readonly string[], row: readonly (string | null)[], i: number, node?: string): string {
  if (columns[0] !== 'id' || row[0] === null) return `#${i}`;
  const key = columns[1] === 'date' ? `${row[1]}:${row[0]}` : String(row[0]);
  return node ? `${node}/${key}` : key;
}
