// Pure building of the /logs and /export.csv query strings from the browse form.

export interface LogFilters {
  date?: string;
  q?: string;
  /** per-column substring filters, column -> text; empty texts are skipped */
  filters?: Record<string, string>;
  from?: string; // HH:MM or HH:MM:SS
  to?: string;
}

/** normalizeTime turns "HH:MM" into "HH:MM:SS" and leaves other values as typed. */
export function normalizeTime(v: string): string {
  return /^\d{2}:\d{2}$/.test(v) ? `${v}:00` : v;
}

/** filterParams returns the query parameters that select exactly the filtered rows
 * (shared by the page query and the CSV export): date, q, repeatable filter=col:text, from, to. */
export function filterParams(f: LogFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.date) p.set('date', f.date);
  const q = f.q?.trim();
  if (q) p.set('q', q);
  for (const [col, text] of Object.entries(f.filters ?? {})) {
    const t = text.trim();
    if (t) p.append('filter', `${col}:${t}`);
  }
  if (f.from?.trim()) p.set('from', normalizeTime(f.from.trim()));
  if (f.to?.trim()) p.set('to', normalizeTime(f.to.trim()));
  return p;
}

/** logsQuery is the query string of one /logs page. */
export function logsQuery(f: LogFilters, page: { limit?: number; cursor?: string | null }): string {
  const p = filterParams(f);
  if (page.limit) p.set('limit', String(page.limit));
  if (page.cursor) p.set('cursor', page.cursor);
  return p.toString();
}

/** exportUrl is the CSV download link of exactly what is filtered. */
export function exportUrl(engine: string, f: LogFilters): string {
  const qs = filterParams(f).toString();
  return `/api/v1/engines/${encodeURIComponent(engine)}/export.csv${qs ? `?${qs}` : ''}`;
}
