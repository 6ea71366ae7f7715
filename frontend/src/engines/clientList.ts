// Pure helpers of the clients card and the live events panel.
import type { ClientSpec, EngineEvent } from '../api/types';

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

/** prependEvent puts a live event first in the newest-first list, dropping an identical
 * one (the same event may arrive by the websocket and a refetch) and keeping at most limit. */
export function prependEvent(list: readonly EngineEvent[] | undefined, ev: EngineEvent, limit = 50): EngineEvent[] {
  const rest = (list ?? []).filter((e) => !(e.t === ev.t && e.message === ev.message && e.level === ev.level));
  return [ev, ...rest].slice(0, limit);
}
