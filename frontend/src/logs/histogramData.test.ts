import { describe, expect, it } from 'vitest';
import { axisLabels, bucketLabel, xRange, formatWall, histogramColumns, matchCountLabel, wallSeconds, zoomRange } from './histogramData';

describe('wallSeconds and formatWall', () => {
  it('read bucket times as UTC wall seconds and back, whatever the browser timezone', () => {
    expect(wallSeconds('1970-01-01T00:01')).toBe(60);
    expect(wallSeconds('2026-12-02T14:05:09')).toBe(Date.UTC(2026, 11, 2, 14, 5, 9) / 1000);
    expect(formatWall(wallSeconds('2026-12-02T14:05'))).toBe('2026-12-02T14:05:00');
    expect(wallSeconds('14:05')).toBeNaN();
  });
});

describe('histogramColumns', () => {
  const t = (s: string) => wallSeconds(s);
  it('fills the empty buckets between the first and the last with 0', () => {
    const got = histogramColumns({
      bucket_s: 60,
      buckets: [
        { t: '2026-12-02T14:05', n: 3 },
        { t: '2026-12-02T14:08', n: 1 },
      ],
    });
    const from = got[0].indexOf(t('2026-12-02T14:05'));
    expect(got[0].slice(from, from + 4)).toEqual([t('2026-12-02T14:05'), t('2026-12-02T14:06'), t('2026-12-02T14:07'), t('2026-12-02T14:08')]);
    expect(got[1].slice(from, from + 4)).toEqual([3, 0, 0, 1]);
  });
  it('steps by bucket_s across midnight', () => {
    const got = histogramColumns({
      bucket_s: 3600,
      buckets: [
        { t: '2026-12-01T23:00', n: 5 },
        { t: '2026-12-02T01:00', n: 2 },
      ],
    });
    const from = got[0].indexOf(t('2026-12-01T23:00'));
    expect(got[0].slice(from, from + 3).map(formatWall)).toEqual(['2026-12-01T23:00:00', '2026-12-02T00:00:00', '2026-12-02T01:00:00']);
    expect(got[1].slice(from, from + 3)).toEqual([5, 0, 2]);
  });
  it('keeps only the sent buckets when filling would be too long', () => {
    const got = histogramColumns(
      {
        bucket_s: 60,
        buckets: [
          { t: '2026-12-02T00:00', n: 1 },
          { t: '2026-12-02T23:59', n: 2 },
        ],
      },
      100,
    );
    expect(got[1]).toEqual([1, 2]);
  });
  it('widens a lone bucket with empty ones to ten, evenly, one bucket apart', () => {
    const got = histogramColumns({ bucket_s: 300, buckets: [{ t: '2026-12-02T14:05', n: 7 }] });
    expect(got[1]).toEqual([0, 0, 0, 0, 7, 0, 0, 0, 0, 0]);
    expect(formatWall(got[0][0])).toBe('2026-12-02T13:45:00');
    expect(got[0].every((x, i) => i === 0 || x - got[0][i - 1] === 300)).toBe(true);
  });
  it('is empty without data', () => {
    expect(histogramColumns(undefined)).toEqual([[], []]);
    expect(histogramColumns({ bucket_s: 60, buckets: [] })).toEqual([[], []]);
  });
});

describe('zoomRange', () => {
  const w = wallSeconds;
  it('covers every bucket the selection touches, end inclusive to the last second', () => {
    expect(zoomRange(w('2026-12-02T14:05:20'), w('2026-12-02T14:07:10'), 60)).toEqual({ start: '2026-12-02T14:05:00', end: '2026-12-02T14:07:59' });
  });
  it('works dragged right to left and with hour buckets over two days', () => {
    expect(zoomRange(w('2026-12-03T02:30'), w('2026-12-01T22:10'), 3600)).toEqual({ start: '2026-12-01T22:00:00', end: '2026-12-03T02:59:59' });
  });
});

describe('matchCountLabel', () => {
  it.each([
    [12345, true, '12,345 matches'],
    [1, true, '1 match'],
    [0, true, '0 matches'],
    [12345, false, 'at least 12,345 matches'],
  ])('%i complete=%s -> %s', (n, complete, want) => expect(matchCountLabel(n, complete)).toBe(want));
});

describe('bucketLabel', () => {
  it.each([
    [60, 'per minute'],
    [300, 'per 5 minutes'],
    [3600, 'per hour'],
    [10800, 'per 3 hours'],
    [86400, 'per day'],
  ])('%i -> %s', (s, want) => expect(bucketLabel(s)).toBe(want));
});

describe('axisLabels', () => {
  const w = wallSeconds;
  it('shows 24-hour times, the date on the first tick and at midnight', () => {
    expect(axisLabels([w('2026-12-01T22:00'), w('2026-12-01T23:00'), w('2026-12-02T00:00'), w('2026-12-02T13:00')], 3600)).toEqual([
      '22:00\n12-01',
      '23:00',
      '00:00\n12-02',
      '13:00',
    ]);
  });
  it('shows dates for ticks a day apart', () => {
    expect(axisLabels([w('2026-12-01T00:00'), w('2026-12-02T00:00')], 86400)).toEqual(['12-01', '12-02']);
  });
});

describe('xRange', () => {
  it('spans the first start to the last end', () => {
    expect(xRange([0, 60, 120], 60)).toEqual([0, 180]);
    expect(xRange([], 300)).toEqual([0, 300]);
  });
});
