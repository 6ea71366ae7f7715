import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatPercent, formatRate, formatTimeInZone } from './format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024 * 1024, '10 MiB'],
    [123.4 * 1024 ** 3, '123 GiB'],
    [-2048, '-2 KiB'],
    [NaN, '–'],
  ])('formats %s as %s', (n, want) => {
    expect(formatBytes(n)).toBe(want);
  });
});

describe('formatRate', () => {
  it.each([
    [0, '0/s'],
    [0.5, '0.5/s'],
    [42.4, '42/s'],
    [1530, '1.53k/s'],
    [150000, '150k/s'],
    [2.5e6, '2.5M/s'],
    [undefined, '–'],
  ])('formats %s as %s', (n, want) => {
    expect(formatRate(n)).toBe(want);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59.9, '59s'],
    [61, '1m 1s'],
    [3725, '1h 2m'],
    [90061, '1d 1h'],
    [-1, '–'],
  ])('formats %s seconds as %s', (n, want) => {
    expect(formatDuration(n)).toBe(want);
  });
});

describe('formatCount and formatPercent', () => {
  it('groups thousands', () => expect(formatCount(1234567)).toBe('1,234,567'));
  it('rounds percent to one decimal', () => expect(formatPercent(12.345)).toBe('12.3 %'));
  it('drops a trailing zero decimal', () => expect(formatPercent(50)).toBe('50 %'));
});

describe('formatTimeInZone', () => {
  const t = Date.UTC(2024, 0, 31, 23, 30, 5); // 2024-01-31 23:30:05 UTC
  it.each([
    ['UTC', '2024-01-31 23:30:05'],
    ['Asia/Tehran', '2024-02-01 03:00:05'],
    ['America/New_York', '2024-01-31 18:30:05'],
    ['Not/AZone', '2024-01-31 23:30:05'],
  ])('renders in %s', (tz, want) => {
    expect(formatTimeInZone(t, tz)).toBe(want);
  });
  it('renders only the time when asked', () => {
    expect(formatTimeInZone(t, 'UTC', false)).toBe('23:30:05');
  });
});
