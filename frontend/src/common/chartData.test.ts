import { describe, expect, it } from 'vitest';
import type { EngineStats } from '../api/types';
import { appendPoint, emptySeries, pointFromStats, seedSeries, trimSeries } from './chartData';

const pt = (sec: number, v = 1) => ({ t: sec * 1000, in: v, stored: v, dropped: 0 });

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

describe('pointFromStats', () => {
  const stats = (dropped: number, kernel: number): EngineStats => ({
    state: 'running', received: 0, stored: 0, unmatched: 0, rejected: 0, dropped, refused: 0,
    kernel_drops: kernel, write_errors: 0, queue_depth: 0, in_per_s: 10, stored_per_s: 9,
    started_at: 0, uptime_s: 0, workers: [],
  });
  it('takes rates and the growth of drop counters', () => {
    expect(pointFromStats(5000, stats(7, 3), stats(2, 1))).toEqual({ t: 5000, in: 10, stored: 9, dropped: 7 });
  });
  it('reports no drops without a previous sample or after a counter reset', () => {
    expect(pointFromStats(5000, stats(7, 3), undefined).dropped).toBe(0);
    expect(pointFromStats(5000, stats(0, 0), stats(9, 9)).dropped).toBe(0);
  });
});
