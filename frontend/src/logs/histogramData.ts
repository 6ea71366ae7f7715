// Pure shaping of the /histogram answer for the chart, and of a selection on the chart back
// into a start/end range. Bucket times are wall-clock times in the engine's timezone; the
// chart places them as if they were UTC ("wall seconds") and draws its axis in UTC, so the
// labels show the engine's wall clock whatever the browser's timezone.
import type { Histogram } from '../api/types';
import { formatCount } from '../common/format';

/** wallSeconds turns `YYYY-MM-DDTHH:MM[:SS]` into seconds since 1970 read as UTC; NaN if malformed. */
export function wallSeconds(t: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0) / 1000;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** formatWall is the inverse of wallSeconds: `YYYY-MM-DDTHH:MM:SS`. */
export function formatWall(sec: number): string {
  const d = new Date(sec * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** MAX_FILLED is the most points histogramColumns fills gaps for; longer spans keep only the
 * non-empty buckets. */
export const MAX_FILLED = 5000;

/** histogramColumns is what uPlot draws: bucket starts (wall seconds, ascending) and counts,
 * with the empty buckets between the first and the last filled in as 0 (the server sends only
 * non-empty ones) so the bars keep their width. */
export function histogramColumns(h: Pick<Histogram, 'bucket_s' | 'buckets'> | undefined, maxFilled = MAX_FILLED): [number[], number[]] {
  const xs: number[] = [];
  const ns: number[] = [];
  const pts = (h?.buckets ?? []).map((b) => [wallSeconds(b.t), b.n] as const).filter(([t]) => Number.isFinite(t));
  if (pts.length === 0 || !h) return [xs, ns];
  const step = Math.max(60, h.bucket_s);
  const first = pts[0][0];
  const span = (pts[pts.length - 1][0] - first) / step + 1;
  if (span > maxFilled) {
    for (const [t, n] of pts) {
      xs.push(t);
      ns.push(n);
    }
    return [xs, ns];
  }
  let i = 0;
  for (let t = first; i < pts.length; t += step) {
    xs.push(t);
    if (pts[i][0] <= t) {
      ns.push(pts[i][1]);
      i++;
    } else {
      ns.push(0);
    }
  }
  return [xs, ns];
}

/** zoomRange turns a selection from wall second a to b on a chart of bucket_s buckets into the
 * start/end that covers every bucket it touches: start at the first bucket's start, end at
 * the last second of the last bucket (both inclusive, as the API reads them). */
export function zoomRange(a: number, b: number, bucketS: number): { start: string; end: string } {
  const step = Math.max(60, bucketS);
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const first = Math.floor(lo / step) * step;
  const last = Math.floor(hi / step) * step;
  return { start: formatWall(first), end: formatWall(last + step - 1) };
}

/** matchCountLabel is the count above the chart: "12,345 matches", "1 match", or
 * "at least 12,345 matches" when the count stopped on the server's time budget. */
export function matchCountLabel(total: number, complete: boolean): string {
  const noun = total === 1 && complete ? 'match' : 'matches';
  return `${complete ? '' : 'at least '}${formatCount(total)} ${noun}`;
}

/** bucketLabel names a bucket size for the chart's caption: 60 -> "per minute", 3600 -> "per hour". */
export function bucketLabel(bucketS: number): string {
  const names: Record<number, string> = { 60: 'minute', 3600: 'hour', 86400: 'day' };
  if (names[bucketS]) return `per ${names[bucketS]}`;
  if (bucketS % 3600 === 0) return `per ${bucketS / 3600} hours`;
  return `per ${bucketS / 60} minutes`;
}

/** axisLabels names the chart's x ticks on the engine's wall clock, 24-hour: "14:05", with
 * the date ("12-02") at midnight and on the first tick; ticks a day or more apart show the date. */
export function axisLabels(splits: number[], incr: number): string[] {
  return splits.map((sec, i) => {
    const w = formatWall(sec);
    const date = w.slice(5, 10);
    const hm = w.slice(11, 16);
    if (incr >= 86400) return date;
    return i === 0 || hm === '00:00' ? `${date} ${hm}` : hm;
  });
}
