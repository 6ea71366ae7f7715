import { describe, expect, it } from 'vitest';
import { exportUrl, filterParams, logsQuery, normalizeTime } from './query';

describe('filterParams', () => {
  it('is empty for an empty form', () => {
    expect(filterParams({}).toString()).toBe('');
  });
  it('repeats filter=col:text per non-empty column in order', () => {
    const p = filterParams({ filters: { pppoe: 'abc', router_identity: ' ', destination_ip: '10.0.' } });
    expect(p.getAll('filter')).toEqual(['pppoe:abc', 'destination_ip:10.0.']);
  });
  it('trims q and completes HH:MM times', () => {
    const p = filterParams({ date: '2024-05-01', q: '  fin ', from: '10:00', to: '11:30:15' });
    expect(p.toString()).toBe('date=2024-05-01&q=fin&from=10%3A00%3A00&to=11%3A30%3A15');
  });
  it('encodes special characters in filters', () => {
    expect(filterParams({ filters: { a: 'x&y=z' } }).toString()).toBe('filter=a%3Ax%26y%3Dz');
  });
});

describe('logsQuery', () => {
  it('adds limit and cursor after the filters', () => {
    expect(logsQuery({ q: 'x' }, { limit: 100, cursor: 'c1' })).toBe('q=x&limit=100&cursor=c1');
  });
  it('omits a null cursor', () => {
    expect(logsQuery({}, { limit: 50, cursor: null })).toBe('limit=50');
  });
});

describe('exportUrl', () => {
  it('carries exactly the filters, no paging', () => {
    expect(exportUrl('demo', { date: '2024-05-01', q: 'a', filters: { k: 'v' } })).toBe(
      '/api/v1/engines/demo/export.csv?date=2024-05-01&q=a&filter=k%3Av',
    );
  });
  it('has no query string without filters', () => {
    expect(exportUrl('e-1', {})).toBe('/api/v1/engines/e-1/export.csv');
  });
});

describe('normalizeTime', () => {
  it.each([
    ['09:05', '09:05:00'],
    ['09:05:07', '09:05:07'],
    ['x', 'x'],
  ])('%s -> %s', (v, want) => expect(normalizeTime(v)).toBe(want));
});
