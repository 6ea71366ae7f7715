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

/** MIN_BUCKETS_SHOWN is the fewest buckets the chart spans, so a few bars keep a readable
 * width and their time in context. */
export const MIN_BUCKETS_SHOWN = 10;

/** AXIS_INCRS are the x tick spacings the chart may use: whole minutes and up (buckets are). */
export const AXIS_INCRS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400];

/** histogramColumns is what uPlot draws: bucket starts (wall seconds, ascending) and counts,
 * with the empty buckets between the first and the last filled in as 0 (the server sends only
 * non-empty ones) so the bars keep their width, and widened with empty buckets to at least
 * MIN_BUCKETS_SHOWN. */
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
  // widen to MIN_BUCKETS_SHOWN buckets with empty ones, about as many before as after
  const missing = Math.max(0, MIN_BUCKETS_SHOWN - Math.round(span));
  const before = Math.floor(missing / 2);
  for (let k = before; k > 0; k--) {
    xs.push(first - k * step);
    ns.push(0);
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
  for (let k = 1; k <= missing - before; k++) {
    xs.push(xs[xs.length - 1] + step);
    ns.push(0);
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
 * the date ("12-02") on a second line at midnight and on the first tick; ticks a day or more
 * apart show the date. */
export function axisLabels(splits: number[], incr: number): string[] {
  return splits.map((sec, i) => {
    const w = formatWall(sec);
    const date = w.slice(5, 10);
    const hm = w.slice(11, 16);
    if (incr >= 86400) return date;
    return i === 0 || hm === '00:00' ? `${hm}\n${date}` : hm;
  });
}

/** xRange is the chart's x span for bucket starts xs: the first bucket's start to the last
 * one's end. */
export function xRange(xs: number[], bucketS: number): [number, number] {
  const step = Math.max(60, bucketS);
  if (xs.length === 0) return [0, step];
  return [xs[0], xs[xs.length - 1] + step];
}
