// Pure helpers of the clients card.
import type { ClientSpec } from '../api/types';

/** moveClient returns list with the item at i moved by delta places (clamped); the match
 * order is the list order, so this is how the user reorders clients. */
export function moveClient<T>(list: readonly T[], i: number, delta: number): T[] {
  const out = list.slice();
  const j = Math.max(0, Math.min(out.length - 1, i + delta));
  if (i < 0 || i >= out.length || i === j) return out;
  const [item] = out.splice(i, 1);
  out.splice(j, 0, item);
  return out;
}

/** specs strips a client list down to what PUT /clients takes. */
export function specs(list: readonly ClientSpec[]): ClientSpec[] {
  return list.map(({ name, match }) => ({ name, match }));
}

/** matchHint says what kind of match s is, or why it is not one (client-side help only;
 * the server validates). */
export function matchHint(s: string): string {
  const v = s.trim();
  if (!v) return 'IP, CIDR (10.0.0.0/8) or wildcard (10.0.*, *)';
  if (v === '*') return 'every sender';
  if (v.endsWith('*')) return /^[0-9a-fA-F.:]*\*$/.test(v) ? `senders starting ${v.slice(0, -1)}` : 'a wildcard is an address start then one *';
  if (v.includes('/')) return 'a CIDR range';
  return 'one address';
}
