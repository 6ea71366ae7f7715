// Pure building of the /logs, /histogram and /export.csv query strings from the browse state.
import { formatFilter, setTimeParams, type BrowseState } from './browseState';

/** Selection is the part of the state that chooses rows (not their order or paging). */
export type Selection = Pick<BrowseState, 'date' | 'from' | 'to' | 'last' | 'start' | 'end' | 'q' | 'match' | 'filters'>;

/** normalizeTime turns "HH:MM" into "HH:MM:SS" and leaves other values as typed. */
export function normalizeTime(v: string): string {
  return /^\d{2}:\d{2}$/.test(v) ? `${v}:00` : v;
}

/** selectionParams returns the query parameters that select exactly the shown rows, shared
 * by the page, the histogram and the CSV export: the time (date, from, to | last | start,
 * end), q with its match mode, and one repeatable filter=col:text (substring) or col=text
 * (exact) per non-empty column filter. */
export function selectionParams(s: Partial<Selection>): URLSearchParams {
  const p = new URLSearchParams();
  setTimeParams(p, s, (v) => normalizeTime(v.trim()));
  const q = s.q?.trim();
  if (q) {
    p.set('q', q);
    p.set('match', s.match ?? 'substring');
  }
  for (const [col, f] of Object.entries(s.filters ?? {})) {
    const t = f.text.trim();
    if (t) p.append('filter', formatFilter(col, { ...f, text: t }));
  }
  return p;
}

/** logsQuery is the query string of one /logs page. */
export function logsQuery(s: Partial<Selection>, page: { limit?: number; cursor?: string | null; order?: 'asc' | 'desc' }): string {
  const p = selectionParams(s);
  if (page.order === 'asc') p.set('order', 'asc');
  if (page.limit) p.set('limit', String(page.limit));
  if (page.cursor) p.set('cursor', page.cursor);
  return p.toString();
}

/** histogramQuery is the query string of /histogram for the same selection. */
export function histogramQuery(s: Partial<Selection>): string {
  return selectionParams(s).toString();
}

/** exportUrl is the CSV download link of exactly what is selected. */
export function exportUrl(engine: string, s: Partial<Selection>): string {
  const qs = selectionParams(s).toString();
  return `/api/v1/engines/${encodeURIComponent(engine)}/export.csv${qs ? `?${qs}` : ''}`;
}
