import { describe, expect, it } from 'vitest';
import type { EngineStats, HistoryPoint } from '../api/types';
import { appendPoint, chartColumns, emptySeries, LOSS_KINDS, pointAt, pointFromStats, SERIES_KEYS, SERIES_LABELS, seedSeries, trimSeries } from './chartData';

const pt = (sec: number, v = 1): HistoryPoint => ({ t: sec * 1000, in: v, stored: v, dropped: 0, kernel_drops: 0, rejected: 0, refused: 0, write_errors: 0 });

describe('seedSeries', () => {
  it('sorts history by time and converts ms to seconds', () => {
    const s = seedSeries([pt(3, 3), pt(1, 1), pt(2, 2)]);
    expect(s.t).toEqual([1, 2, 3]);
    expect(s.in).toEqual([1, 2, 3]);
  });
  it('keeps only the last window', () => {
    const pts = Array.from({ length: 1000 }, (_, i) => pt(i));
    const s = seedSeries(pts, 900);
    expect(s.t.length).toBe(900);
    expect(s.t[0]).toBe(100);
    expect(s.t[899]).toBe(999);
  });
  it('accepts null history', () => {
    expect(seedSeries(null)).toEqual(emptySeries());
  });
  it('drops duplicate seconds', () => {
    expect(seedSeries([pt(1), { ...pt(1), t: 1500 }]).t).toEqual([1]);
  });
});

describe('appendPoint', () => {
  it('appends a newer point without mutating the input', () => {
    const s = seedSeries([pt(1), pt(2)]);
    const next = appendPoint(s, pt(3, 7));
    expect(next.t).toEqual([1, 2, 3]);
    expect(next.in).toEqual([1, 1, 7]);
    expect(s.t).toEqual([1, 2]);
  });
  it('ignores a point that is not newer', () => {
    const s = seedSeries([pt(1), pt(2)]);
    expect(appendPoint(s, pt(2))).toBe(s);
    expect(appendPoint(s, pt(1))).toBe(s);
  });
  it('slides the window as points arrive', () => {
    let s = emptySeries();
    for (let i = 0; i < 1000; i++) s = appendPoint(s, pt(i), 900);
    expect(s.t.length).toBe(900);
    expect(s.t[0]).toBe(100);
  });
  it('cuts points older than the window after a gap', () => {
    const s = appendPoint(seedSeries([pt(1), pt(2)]), pt(2000), 900);
    expect(s.t).toEqual([2000]);
  });
});

describe('trimSeries', () => {
  it('returns the same object when nothing is cut', () => {
    const s = seedSeries([pt(1), pt(2)]);
    expect(trimSeries(s)).toBe(s);
  });
});

const stats = (c: Partial<EngineStats> = {}): EngineStats => ({
  state: 'running', received: 0, stored: 0, unmatched: 0, rejected: 0, dropped: 0, refused: 0,
  kernel_drops: 0, write_errors: 0, queue_depth: 0, in_per_s: 10, stored_per_s: 9,
  started_at: 0, uptime_s: 0, workers: [], ...c,
});

describe('pointFromStats', () => {
  it('takes the rates and the growth of each loss counter on its own', () => {
    const prev = { t: 4000, stats: stats({ dropped: 2, kernel_drops: 1, rejected: 3, refused: 4, write_errors: 5 }) };
    const cur = stats({ dropped: 7, kernel_drops: 3, rejected: 4, refused: 8, write_errors: 5 });
    expect(pointFromStats(5000, cur, prev)).toEqual({ t: 5000, in: 10, stored: 9, dropped: 5, kernel_drops: 2, rejected: 1, refused: 4, write_errors: 0 });
  });
  it('reports no losses without a previous sample or after a counter reset', () => {
    const cur = stats({ dropped: 7, kernel_drops: 3 });
    for (const k of LOSS_KINDS) expect(pointFromStats(5000, cur, undefined)[k]).toBe(0);
    const before = { t: 4000, stats: stats({ dropped: 9, kernel_drops: 9, rejected: 9, refused: 9, write_errors: 9 }) };
    for (const k of LOSS_KINDS) expect(pointFromStats(5000, stats(), before)[k]).toBe(0);
  });
  it('spreads the growth over a late message\'s seconds', () => {
    const p = pointFromStats(7000, stats({ kernel_drops: 30, dropped: 6 }), { t: 4000, stats: stats() });
    expect(p.kernel_drops).toBe(10);
    expect(p.dropped).toBe(2);
  });
});

// The same second reached twice: reloaded from the history endpoint, and live from two
// websocket stats messages one second apart. The chart must draw the same values for
// every loss kind (kernel drops once hid in `dropped` live and were missing from history).
describe('history and live points map to the same chart series', () => {
  const history: HistoryPoint = { t: 5000, in: 10, stored: 4, dropped: 3, kernel_drops: 7, rejected: 1, refused: 5, write_errors: 2 };
  const prev = { t: 4000, stats: stats({ received: 100, stored: 80, dropped: 10, kernel_drops: 20, rejected: 30, refused: 40, write_errors: 50 }) };
  const cur = stats({
    received: 110, stored: 84, dropped: 13, kernel_drops: 27, rejected: 31, refused: 45, write_errors: 52,
    in_per_s: 10, stored_per_s: 4,
  });
  const reloaded = seedSeries([history]);
  const live = appendPoint(emptySeries(), pointFromStats(5000, cur, prev));

  it('has one chart column per kind, each named in the legend', () => {
    expect(SERIES_KEYS).toEqual(['in', 'stored', 'dropped', 'kernel_drops', 'rejected', 'refused', 'write_errors']);
    expect(chartColumns(reloaded)).toHaveLength(1 + SERIES_KEYS.length);
    for (const k of SERIES_KEYS) expect(SERIES_LABELS[k]).toBeTruthy();
    expect(new Set(Object.values(SERIES_LABELS)).size).toBe(SERIES_KEYS.length);
  });
  it.each(LOSS_KINDS)('%s is the same series from history and live', (k) => {
    const col = 1 + SERIES_KEYS.indexOf(k);
    expect(chartColumns(reloaded)[col]).toEqual([history[k]]);
    expect(chartColumns(live)[col]).toEqual([history[k]]);
  });
  it('draws identical columns either way', () => {
    expect(chartColumns(live)).toEqual(chartColumns(reloaded));
  });
  it('keeps every kind when live points are merged onto a reloaded history', () => {
    let s = seedSeries([{ ...history, t: 4000 }]);
    s = appendPoint(s, pointAt(live, 0));
    for (const k of LOSS_KINDS) expect(s[k]).toEqual([history[k], history[k]]);
  });
  it('reads a history point of an older server (no new fields) as zero losses', () => {
    const old = { t: 5000, in: 1, stored: 1, dropped: 2 } as HistoryPoint;
    const s = seedSeries([old]);
    expect(s.dropped).toEqual([2]);
    for (const k of ['kernel_drops', 'rejected', 'refused', 'write_errors'] as const) expect(s[k]).toEqual([0]);
  });
});
