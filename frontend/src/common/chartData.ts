// Pure windowing of the throughput chart's series: seeded from the history endpoint,
// appended from the websocket, trimmed to the last `windowS` seconds.
import type { EngineStats, HistoryPoint } from '../api/types';

export const CHART_WINDOW_S = 900;

/** Series is column-oriented (what uPlot draws): t in unix seconds, per-second counts. */
export interface Series {
  t: number[];
  in: number[];
  stored: number[];
  dropped: number[];
}

export function emptySeries(): Series {
  return { t: [], in: [], stored: [], dropped: [] };
}

/** trimSeries keeps the points newer than (last t - windowS); it returns s itself when nothing is cut. */
export function trimSeries(s: Series, windowS = CHART_WINDOW_S): Series {
  if (s.t.length === 0) return s;
  const cutoff = s.t[s.t.length - 1] - windowS;
  let i = 0;
  while (i < s.t.length && s.t[i] <= cutoff) i++;
  if (i === 0) return s;
  return { t: s.t.slice(i), in: s.in.slice(i), stored: s.stored.slice(i), dropped: s.dropped.slice(i) };
}

/** seedSeries builds a series from history points (any order; unix ms), keeping the last windowS seconds. */
export function seedSeries(points: HistoryPoint[] | null | undefined, windowS = CHART_WINDOW_S): Series {
  const sorted = [...(points ?? [])].sort((a, b) => a.t - b.t);
  const s = emptySeries();
  for (const p of sorted) {
    const t = Math.floor(p.t / 1000);
    if (s.t.length > 0 && s.t[s.t.length - 1] === t) continue;
    s.t.push(t);
    s.in.push(p.in);
    s.stored.push(p.stored);
    s.dropped.push(p.dropped);
  }
  return trimSeries(s, windowS);
}

/** appendPoint adds one point (unix ms) in time order; a point not newer than the last one is
 * ignored (it returns s unchanged). The result is a new object, trimmed to windowS. */
export function appendPoint(s: Series, p: HistoryPoint, windowS = CHART_WINDOW_S): Series {
  const t = Math.floor(p.t / 1000);
  if (s.t.length > 0 && t <= s.t[s.t.length - 1]) return s;
  return trimSeries(
    {
      t: [...s.t, t],
      in: [...s.in, p.in],
      stored: [...s.stored, p.stored],
      dropped: [...s.dropped, p.dropped],
    },
    windowS,
  );
}

/** pointFromStats turns a websocket stats body into a chart point: in/stored from the
 * per-second rates, dropped as the growth of the drop counters since prev (never negative). */
export function pointFromStats(t: number, cur: EngineStats, prev: EngineStats | undefined): HistoryPoint {
  const drops = (s: EngineStats) => (s.dropped ?? 0) + (s.kernel_drops ?? 0);
  const dropped = prev ? Math.max(0, drops(cur) - drops(prev)) : 0;
  return { t, in: cur.in_per_s ?? 0, stored: cur.stored_per_s ?? 0, dropped };
}
