import { describe, expect, it } from 'vitest';
import { exportUrl, histogramQuery, logsQuery, normalizeTime, selectionParams } from './query';

const sub = (text: string) => ({ text, exact: false });
const eq = (text: string) => ({ text, exact: true });

describe('selectionParams', () => {
  it('is empty for an empty selection', () => {
    expect(selectionParams({}).toString()).toBe('');
  });
  it('repeats filter=col:text (substring) or col=text (exact) per non-empty column in order', () => {
    const p = selectionParams({ filters: { pppoe: eq('abc'), router_identity: sub(' '), destination_ip: sub('10.0.') } });
    expect(p.getAll('filter')).toEqual(['pppoe=abc', 'destination_ip:10.0.']);
  });
  it('trims q, sends its match mode and completes HH:MM times', () => {
    const p = selectionParams({ date: '2024-05-01', q: '  fin ', match: 'word', from: '10:00', to: '11:30:15' });
    expect(p.toString()).toBe('date=2024-05-01&from=10%3A00%3A00&to=11%3A30%3A15&q=fin&match=word');
  });
  it('sends no match without q', () => {
    expect(selectionParams({ match: 'word' }).toString()).toBe('');
  });
  it('sends last alone, never with date, from, to, start or end', () => {
    expect(selectionParams({ last: '15m', date: '2024-05-01', from: '10:00', start: '2024-05-01T00:00' }).toString()).toBe('last=15m');
  });
  it('sends start/end without date, from or to', () => {
    expect(selectionParams({ start: '2024-05-01T10:00', end: '2024-05-03T09:30:59', date: '2024-05-01', to: '11:00' }).toString()).toBe(
      'start=2024-05-01T10%3A00&end=2024-05-03T09%3A30%3A59',
    );
    expect(selectionParams({ end: '2024-05-03T09:30' }).toString()).toBe('end=2024-05-03T09%3A30');
  });
  it('encodes special characters in filters', () => {
    expect(selectionParams({ filters: { a: sub('x&y=z') } }).toString()).toBe('filter=a%3Ax%26y%3Dz');
  });
});

describe('logsQuery', () => {
  it('adds order, limit and cursor after the selection', () => {
    expect(logsQuery({ q: 'x', match: 'substring' }, { limit: 100, cursor: '2024-05-01:77', order: 'asc' })).toBe(
      'q=x&match=substring&order=asc&limit=100&cursor=2024-05-01%3A77',
    );
  });
  it('omits a null cursor and the default order', () => {
    expect(logsQuery({}, { limit: 50, cursor: null, order: 'desc' })).toBe('limit=50');
  });
});

describe('histogramQuery', () => {
  it('is the selection of the table without paging', () => {
    expect(histogramQuery({ last: '24h', q: 'alice', match: 'word', filters: { user: eq('bob') } })).toBe('last=24h&q=alice&match=word&filter=user%3Dbob');
  });
});

describe('exportUrl', () => {
  it('carries exactly the selection, no paging', () => {
    expect(exportUrl('demo', { date: '2024-05-01', q: 'a', match: 'word', filters: { k: sub('v') } })).toBe(
      '/api/v1/engines/demo/export.csv?date=2024-05-01&q=a&match=word&filter=k%3Av',
    );
  });
  it('carries a multi-day range', () => {
    expect(exportUrl('demo', { start: '2024-05-01T00:00', end: '2024-05-03T23:59' })).toBe(
      '/api/v1/engines/demo/export.csv?start=2024-05-01T00%3A00&end=2024-05-03T23%3A59',
    );
  });
  it('has no query string without a selection', () => {
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
