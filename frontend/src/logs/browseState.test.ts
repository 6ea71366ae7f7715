import { describe, expect, it } from 'vitest';
import { browseSearchParams, emptyState, parseBrowseState, parseFilter, type BrowseState } from './browseState';

const parse = (qs: string) => parseBrowseState(new URLSearchParams(qs));
const url = (s: Partial<BrowseState>) => browseSearchParams({ ...emptyState, ...s }).toString();

describe('parseBrowseState', () => {
  it('gives the defaults for an empty URL: today, word search, newest first, 100 rows', () => {
    expect(parse('')).toEqual(emptyState);
  });
  it('reads an old link: ?date=&q= keeps its substring meaning', () => {
    const s = parse('date=2024-05-01&q=alice');
    expect(s).toMatchObject({ date: '2024-05-01', q: 'alice', match: 'substring' });
  });
  it('reads ?client= as a substring filter on client', () => {
    expect(parse('client=local').filters).toEqual({ client: { text: 'local', exact: false } });
  });
  it('reads exact and substring filters', () => {
    expect(parse('filter=user%3Dbob&filter=src_ip%3A10.0.').filters).toEqual({
      user: { text: 'bob', exact: true },
      src_ip: { text: '10.0.', exact: false },
    });
  });
  it('lets last win over start/end and both over date/from/to', () => {
    expect(parse('last=15m&start=2024-05-01T00:00&date=2024-05-01')).toMatchObject({ last: '15m', start: '', date: '' });
    expect(parse('start=2024-05-01T00:00&date=2024-05-01&from=10:00')).toMatchObject({ start: '2024-05-01T00:00', date: '', from: '' });
  });
  it('ignores a malformed last, a foreign order or limit', () => {
    expect(parse('last=forever&order=up&limit=7')).toMatchObject({ last: '', order: 'desc', limit: 100 });
    expect(parse('order=asc&limit=500')).toMatchObject({ order: 'asc', limit: 500 });
  });
});

describe('browseSearchParams', () => {
  it('writes nothing for the defaults', () => {
    expect(url({})).toBe('');
  });
  it('writes match with q, and substring without q', () => {
    expect(url({ q: 'x' })).toBe('q=x&match=word');
    expect(url({ match: 'substring' })).toBe('match=substring');
  });
  it('keeps an empty exact filter (the toggle) but drops an empty substring one', () => {
    expect(url({ filters: { a: { text: '', exact: true }, b: { text: '', exact: false } } })).toBe('filter=a%3D');
  });
  it('writes only the time mode in use', () => {
    expect(url({ last: '1h', date: '2024-05-01' })).toBe('last=1h');
    expect(url({ start: '2024-05-01T00:00', end: '2024-05-02T12:00', from: '10:00' })).toBe('start=2024-05-01T00%3A00&end=2024-05-02T12%3A00');
  });
  it.each([
    '',
    'date=2024-05-01&from=10%3A00&to=11%3A00&q=alice&match=substring',
    'last=7d&q=10.0.0.5&match=word&filter=user%3Dbob&order=asc&limit=500',
    'start=2024-05-01T00%3A00&end=2024-05-03T23%3A59&filter=src_ip%3A10.&filter=user%3D',
    'match=substring',
  ])('round-trips %j', (qs) => {
    expect(browseSearchParams(parse(qs)).toString()).toBe(qs);
  });
  it('turns an old ?client= link into a filter', () => {
    expect(browseSearchParams(parse('client=local')).toString()).toBe('filter=client%3Alocal');
  });
});

describe('parseFilter', () => {
  it.each([
    ['user=bob', { col: 'user', filter: { text: 'bob', exact: true } }],
    ['user:bob', { col: 'user', filter: { text: 'bob', exact: false } }],
    ['url:a=b', { col: 'url', filter: { text: 'a=b', exact: false } }],
    ['url=a:b', { col: 'url', filter: { text: 'a:b', exact: true } }],
    ['nocolon', null],
    [':x', null],
  ])('%s', (v, want) => expect(parseFilter(v)).toEqual(want));
});
