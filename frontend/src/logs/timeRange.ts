// Pure parsing and naming of the browse page's time ranges: relative ranges (`last=15m`)
// and absolute date-times (`start`/`end`, in the engine's timezone).

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const UNIT_NAMES = { s: 'second', m: 'minute', h: 'hour', d: 'day' } as const;

/** MAX_LAST_S is the longest relative range the server accepts (400 days). */
export const MAX_LAST_S = 400 * 86400;

/** RELATIVE_RANGES are the relative ranges the picker offers. */
export const RELATIVE_RANGES = ['15m', '1h', '24h', '7d'] as const;

/** parseRelativeRange returns the seconds of a `last` value `<N><s|m|h|d>` (N >= 1, at most
 * 400 days), or null when it is not one. */
export function parseRelativeRange(v: string): number | null {
  const m = /^([1-9]\d{0,8})([smhd])$/.exec(v);
  if (!m) return null;
  const s = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  return s <= MAX_LAST_S ? s : null;
}

export function isRelativeRange(v: string): boolean {
  return parseRelativeRange(v) !== null;
}

/** relativeLabel names a `last` value: "15m" -> "Last 15 minutes", "1h" -> "Last hour". */
export function relativeLabel(v: string): string {
  const m = /^(\d+)([smhd])$/.exec(v);
  if (!m) return v;
  const n = Number(m[1]);
  const unit = UNIT_NAMES[m[2] as keyof typeof UNIT_NAMES];
  return n === 1 ? `Last ${unit}` : `Last ${n} ${unit}s`;
}

/** isDateTime tells whether v is `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (the forms the
 * API accepts for start/end, and what a datetime-local input gives). */
export function isDateTime(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v);
}

/** rangeLabel describes an absolute range for the page: "2026-12-01 10:00 – 2026-12-02 09:30". */
export function rangeLabel(start: string, end: string): string {
  const show = (v: string) => v.replace('T', ' ');
  if (start && end) return `${show(start)} – ${show(end)}`;
  if (start) return `from ${show(start)}`;
  if (end) return `until ${show(end)}`;
  return 'all time';
}
