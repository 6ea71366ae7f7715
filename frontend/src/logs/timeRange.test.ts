import { describe, expect, it } from 'vitest';
import { isDateTime, parseRelativeRange, rangeLabel, relativeLabel } from './timeRange';

describe('parseRelativeRange', () => {
  it.each([
    ['15m', 900],
    ['1h', 3600],
    ['24h', 86400],
    ['7d', 604800],
    ['30s', 30],
    ['400d', 400 * 86400],
  ])('%s is %i seconds', (v, want) => expect(parseRelativeRange(v)).toBe(want));
  it.each(['', '0m', '401d', '15', 'm', '1w', '-1h', '1.5h', ' 15m', '015m'])('rejects %j', (v) => expect(parseRelativeRange(v)).toBeNull());
});

describe('relativeLabel', () => {
  it.each([
    ['15m', 'Last 15 minutes'],
    ['1h', 'Last hour'],
    ['24h', 'Last 24 hours'],
    ['7d', 'Last 7 days'],
    ['1d', 'Last day'],
  ])('%s -> %s', (v, want) => expect(relativeLabel(v)).toBe(want));
});

describe('isDateTime', () => {
  it.each([
    ['2026-12-02T14:05', true],
    ['2026-12-02T14:05:09', true],
    ['2026-12-02', false],
    ['2026-12-02 14:05', false],
    ['', false],
  ])('%j -> %s', (v, want) => expect(isDateTime(v)).toBe(want));
});

describe('rangeLabel', () => {
  it('shows both ends, or the open side', () => {
    expect(rangeLabel('2026-12-01T10:00', '2026-12-02T09:30:59')).toBe('2026-12-01 10:00 – 2026-12-02 09:30:59');
    expect(rangeLabel('2026-12-01T10:00', '')).toBe('from 2026-12-01 10:00');
    expect(rangeLabel('', '2026-12-01T10:00')).toBe('until 2026-12-01 10:00');
  });
});
