// Pure mapping between the browse page's state and its URL query string, so a search can
// be shared, bookmarked and restored on reload. The URL uses the API's own parameter names
// (docs/api.md, GET /engines/:name/logs); old links (`?date=&q=`, `?client=`) keep working.
import { isRelativeRange } from './timeRange';

export type Match = 'word' | 'substring';
export type Order = 'desc' | 'asc';

/** ColumnFilter is one per-column filter: exact (`col=text`) or substring (`col:text`). */
export interface ColumnFilter {
  text: string;
  exact: boolean;
}

/** BrowseState is everything that selects and orders the rows shown. At most one time mode
 * is set: a day (`date`, '' = today, with optional `from`/`to` HH:MM[:SS]), a relative
 * range (`last`, e.g. "15m") or an absolute range (`start`/`end`, YYYY-MM-DDTHH:MM[:SS]). */
export interface BrowseState {
  date: string;
  from: string;
  to: string;
  last: string;
  start: string;
  end: string;
  q: string;
  match: Match;
  filters: Record<string, ColumnFilter>;
  order: Order;
  limit: number;
}

export const DEFAULT_LIMIT = 100;
export const LIMITS = [50, 100, 200, 500] as const;

export const emptyState: BrowseState = {
  date: '',
  from: '',
  to: '',
  last: '',
  start: '',
  end: '',
  q: '',
  match: 'word',
  filters: {},
  order: 'desc',
  limit: DEFAULT_LIMIT,
};

/** TimeMode names which of the three time selections a state uses. */
export type TimeMode = 'day' | 'last' | 'range';

export function timeMode(s: Pick<BrowseState, 'last' | 'start' | 'end'>): TimeMode {
  if (s.last) return 'last';
  if (s.start || s.end) return 'range';
  return 'day';
}

/** setTimeParams sets the time parameters of s on p: last, or start and end, or date, from
 * and to (each passed through clock, and left out when that gives ""). */
export function setTimeParams(
  p: URLSearchParams,
  s: Partial<Pick<BrowseState, 'date' | 'from' | 'to' | 'last' | 'start' | 'end'>>,
  clock: (v: string) => string,
): void {
  switch (timeMode({ last: s.last ?? '', start: s.start ?? '', end: s.end ?? '' })) {
    case 'last':
      p.set('last', s.last ?? '');
      break;
    case 'range':
      if (s.start) p.set('start', s.start);
      if (s.end) p.set('end', s.end);
      break;
    case 'day': {
      if (s.date) p.set('date', s.date);
      const from = clock(s.from ?? '');
      const to = clock(s.to ?? '');
      if (from) p.set('from', from);
      if (to) p.set('to', to);
      break;
    }
  }
}

/** parseFilter splits `col:text` (substring) or `col=text` (exact) at the first `:` or `=`;
 * null when there is neither or no column name. */
export function parseFilter(v: string): { col: string; filter: ColumnFilter } | null {
  const i = v.search(/[:=]/);
  if (i <= 0) return null;
  return { col: v.slice(0, i), filter: { text: v.slice(i + 1), exact: v[i] === '=' } };
}

/** formatFilter is the `filter=` value of one column filter. */
export function formatFilter(col: string, f: ColumnFilter): string {
  return `${col}${f.exact ? '=' : ':'}${f.text}`;
}

/** parseBrowseState reads the page state from its URL. `match` defaults to word, except on
 * an old link that has `q` without `match` (those searched substrings). `client=X` (links from
 * the clients card) is a substring filter on the client column. Unknown values fall back to
 * the defaults; a `last` that is not N<s|m|h|d> is ignored. */
export function parseBrowseState(p: URLSearchParams): BrowseState {
  const s: BrowseState = { ...emptyState, filters: {} };
  const last = p.get('last') ?? '';
  if (isRelativeRange(last)) {
    s.last = last;
  } else if (p.get('start') || p.get('end')) {
    s.start = p.get('start') ?? '';
    s.end = p.get('end') ?? '';
  } else {
    s.date = p.get('date') ?? '';
    s.from = p.get('from') ?? '';
    s.to = p.get('to') ?? '';
  }
  s.q = p.get('q') ?? '';
  const m = p.get('match');
  s.match = m === 'word' || m === 'substring' ? m : p.has('q') ? 'substring' : 'word';
  const client = p.get('client');
  if (client) s.filters.client = { text: client, exact: false };
  for (const v of p.getAll('filter')) {
    const f = parseFilter(v);
    if (f) s.filters[f.col] = f.filter;
  }
  s.order = p.get('order') === 'asc' ? 'asc' : 'desc';
  const limit = Number(p.get('limit'));
  s.limit = (LIMITS as readonly number[]).includes(limit) ? limit : DEFAULT_LIMIT;
  return s;
}

/** browseSearchParams is the URL of a state: only what differs from the defaults, in a fixed
 * order. `match` is written whenever `q` is (so the link keeps its meaning), and without `q`
 * only when it is substring. A filter with empty text is kept only when exact (it remembers
 * the toggle). */
export function browseSearchParams(s: BrowseState): URLSearchParams {
  const p = new URLSearchParams();
  setTimeParams(p, s, (v) => v);
  if (s.q) {
    p.set('q', s.q);
    p.set('match', s.match);
  } else if (s.match === 'substring') {
    p.set('match', 'substring');
  }
  for (const [col, f] of Object.entries(s.filters)) {
    if (f.text || f.exact) p.append('filter', formatFilter(col, f));
  }
  if (s.order === 'asc') p.set('order', 'asc');
  if (s.limit !== DEFAULT_LIMIT) p.set('limit', String(s.limit));
  return p;
}

/** TimeSelection is the part of the state that picks the time span. */
export type TimeSelection = Pick<BrowseState, 'date' | 'from' | 'to' | 'last' | 'start' | 'end'>;

export const noTime: TimeSelection = { date: '', from: '', to: '', last: '', start: '', end: '' };

/** timeOf extracts the time selection of a state. */
export function timeOf(s: BrowseState): TimeSelection {
  return { date: s.date, from: s.from, to: s.to, last: s.last, start: s.start, end: s.end };
}

/** hasFilters tells whether anything narrows the rows beyond the time selection. */
export function hasFilters(s: BrowseState): boolean {
  return !!s.q.trim() || Object.values(s.filters).some((f) => f.text.trim() !== '');
}
