// Pure bounded buffer of live-tail rows, newest on top.

export const TAIL_MAX = 500;

export interface TailBuffer {
  columns: string[];
  rows: (string | null)[][];
  /** seq counts every row ever pushed: row i (newest first) is number seq - i, a stable key. */
  seq: number;
}

export const emptyTail: TailBuffer = { columns: [], rows: [], seq: 0 };

/** tailKey is the stable key of row i of buf. */
export function tailKey(buf: TailBuffer, i: number): string {
  return `t${buf.seq - i}`;
}

/** pushTail puts a batch (oldest first, as sent) on top of buf, newest first, keeping at most max rows.
 * A change of columns (class edited) restarts the buffer with the new columns. */
export function pushTail(buf: TailBuffer, columns: string[], rows: (string | null)[][], max = TAIL_MAX): TailBuffer {
  const same = buf.columns.length === columns.length && buf.columns.every((c, i) => c === columns[i]);
  const base = same ? buf.rows : [];
  const incoming = [...rows].reverse();
  return { columns, rows: [...incoming, ...base].slice(0, max), seq: buf.seq + rows.length };
}
