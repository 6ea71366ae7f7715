// Pure editing of a class's ordered key rows.

export interface KeyRow {
  id: number;
  key: string;
  regex: string;
}

let nextId = 1;

export function newRow(key = '', regex = ''): KeyRow {
  return { id: nextId++, key, regex };
}

/** rowsFromClass builds rows in the class's key order (keys first, then any other pattern). */
export function rowsFromClass(patterns: Record<string, string>, keys?: string[] | null): KeyRow[] {
  const order = [...(keys ?? []).filter((k) => k in patterns), ...Object.keys(patterns).filter((k) => !(keys ?? []).includes(k))];
  return order.map((k) => newRow(k, patterns[k]));
}

/** moveRow moves row i by delta (-1 up, +1 down); out of range returns rows unchanged. */
export function moveRow(rows: KeyRow[], i: number, delta: number): KeyRow[] {
  const j = i + delta;
  if (i < 0 || i >= rows.length || j < 0 || j >= rows.length) return rows;
  const out = [...rows];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

export function removeRow(rows: KeyRow[], i: number): KeyRow[] {
  return rows.filter((_, k) => k !== i);
}

export function updateRow(rows: KeyRow[], i: number, patch: Partial<Omit<KeyRow, 'id'>>): KeyRow[] {
  return rows.map((r, k) => (k === i ? { ...r, ...patch } : r));
}

/** toPatterns turns rows with a key name into {patterns, keys}; patterns keeps row order
 * (JSON object text order) and keys states it explicitly. Rows without a key are skipped. */
export function toPatterns(rows: KeyRow[]): { patterns: Record<string, string>; keys: string[] } {
  const patterns: Record<string, string> = {};
  const keys: string[] = [];
  for (const r of rows) {
    const k = r.key.trim();
    if (!k || k in patterns) continue;
    patterns[k] = r.regex;
    keys.push(k);
  }
  return { patterns, keys };
}

export const KEY_RE = /^[a-z][a-z0-9_]{0,62}$/;
export const RESERVED = ['id', 'log_sender_ip', 'client', 'time', 'time_zone', 'original_log', 'received_at'];

/** keyProblem returns why a key name is invalid on the client, or null. */
export function keyProblem(rows: KeyRow[], i: number): string | null {
  const k = rows[i].key.trim();
  if (!k) return null;
  if (!KEY_RE.test(k)) return 'lowercase letter first, then a-z, 0-9, _';
  if (RESERVED.includes(k)) return 'reserved column name';
  if (rows.findIndex((r) => r.key.trim() === k) !== i) return 'duplicate key';
  return null;
}

/** fieldKey maps an API error field ("patterns.<key>" or "<key>") to a key name. */
export function fieldKey(field: string | undefined): string | undefined {
  if (!field) return undefined;
  return field.startsWith('patterns.') ? field.slice('patterns.'.length) : field.startsWith('keys.') ? field.slice(5) : field;
}
