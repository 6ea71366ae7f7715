// Pure windowing of the throughput chart's series: seeded from the history endpoint,
// appended from the websocket, trimmed to the last `windowS` seconds.
import type { EngineStats, HistoryPoint } from '../api/types';

export const CHART_WINDOW_S = 900;

/** LOSS_KINDS are the per-second loss fields of a history point, each with the meaning of
 * the EngineStats counter of the same name. */
export const LOSS_KINDS = ['dropped', 'kernel_drops', 'rejected', 'refused', 'write_errors'] as const;
/** SERIES_KEYS are the chart's value series, in drawing order. */
export const SERIES_KEYS = ['in', 'stored', ...LOSS_KINDS] as const;
export type SeriesKey = (typeof SERIES_KEYS)[number];

/** SERIES_LABELS names each series in the chart's legend. */
export const SERIES_LABELS: Record<SeriesKey, string> = {
  in: 'in/s',
  stored: 'stored/s',
  dropped: 'dropped/s (queue full)',
  kernel_drops: 'kernel drops/s',
  rejected: 'rejected/s',
  refused: 'refused/s',
  write_errors: 'write errors/s',
};

/** Series is column-oriented (what uPlot draws): t in unix seconds, per-second counts. */
export type Series = { t: number[] } & Record<SeriesKey, number[]>;

export function emptySeries(): Series {
  return { t: [], in: [], stored: [], dropped: [], kernel_drops: [], rejected: [], refused: [], write_errors: [] };
}

/** chartColumns is the data uPlot draws: x, then one column per SERIES_KEYS entry. */
export function chartColumns(s: Series): [number[], ...number[][]] {
  return [s.t, ...SERIES_KEYS.map((k) => s[k])];
}

/** pointAt returns point i of s as a history point (unix ms). */
export function pointAt(s: Series, i: number): HistoryPoint {
  const p = { t: s.t[i] * 1000 } as HistoryPoint;
  for (const k of SERIES_KEYS) p[k] = s[k][i];
  return p;
}

function sliceSeries(s: Series, from: number): Series {
  const out = { t: s.t.slice(from) } as Series;
  for (const k of SERIES_KEYS) out[k] = s[k].slice(from);
  return out;
}

/** trimSeries keeps the points newer than (last t - windowS); it returns s itself when nothing is cut. */
export function trimSeries(s: Series, windowS = CHART_WINDOW_S): Series {
  if (s.t.length === 0) return s;
  const cutoff = s.t[s.t.length - 1] - windowS;
  let i = 0;
  while (i < s.t.length && s.t[i] <= cutoff) i++;
  if (i === 0) return s;
  return sliceSeries(s, i);
}

// value reads one field of a point; a field an older server does not send counts as 0.
const value = (p: HistoryPoint, k: SeriesKey) => (p as Partial<HistoryPoint>)[k] ?? 0;

/** seedSeries builds a series from history points (any order; unix ms), keeping the last windowS seconds. */
export function seedSeries(points: HistoryPoint[] | null | undefined, windowS = CHART_WINDOW_S): Series {
  const sorted = [...(points ?? [])].sort((a, b) => a.t - b.t);
  const s = emptySeries();
  for (const p of sorted) {
    const t = Math.floor(p.t / 1000);
    if (s.t.length > 0 && s.t[s.t.length - 1] === t) continue;
    s.t.push(t);
    for (const k of SERIES_KEYS) s[k].push(value(p, k));
  }
  return trimSeries(s, windowS);
}

/** appendPoint adds one point (unix ms) in time order; a point not newer than the last one is
 * ignored (it returns s unchanged). The result is a new object, trimmed to windowS. */
export function appendPoint(s: Series, p: HistoryPoint, windowS = CHART_WINDOW_S): Series {
  const t = Math.floor(p.t / 1000);
  if (s.t.length > 0 && t <= s.t[s.t.length - 1]) return s;
  const next = { t: [...s.t, t] } as Series;
  for (const k of SERIES_KEYS) next[k] = [...s[k], value(p, k)];
  return trimSeries(next, windowS);
}

/** LiveSample is one websocket stats body of an engine with the message's time (unix ms). */
export interface LiveSample {
  t: number;
  stats: EngineStats;
}

/** pointFromStats turns a websocket stats body into a chart point with the meaning of a
 * history point: in/stored from the per-second rates (the server's last history second),
 * each loss kind as the growth of its own counter since prev, per second (the gap rounded
 * to whole seconds, at least 1; never negative, e.g. after a restart reset the counters).
 * Without prev the losses are 0. */
export function pointFromStats(t: number, cur: EngineStats, prev: LiveSample | undefined): HistoryPoint {
  const p: HistoryPoint = { t, in: cur.in_per_s ?? 0, stored: cur.stored_per_s ?? 0, dropped: 0, kernel_drops: 0, rejected: 0, refused: 0, write_errors: 0 };
  if (!prev) return p;
  const secs = Math.max(1, Math.round((t - prev.t) / 1000));
  for (const k of LOSS_KINDS) {
    p[k] = Math.max(0, (cur[k] ?? 0) - (prev.stats[k] ?? 0)) / secs;
  }
  return p;
}
