import { describe, expect, it } from 'vitest';
import { matchHint, moveClient, specs } from './clientList';

describe('moveClient', () => {
  it('moves up and down and clamps at the ends', () => {
    expect(moveClient(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveClient(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveClient(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveClient(['a', 'b', 'c'], 2, 5)).toEqual(['a', 'b', 'c']);
  });
  it('does not change the input', () => {
    const l = ['a', 'b'];
    moveClient(l, 0, 1);
    expect(l).toEqual(['a', 'b']);
  });
});

describe('specs', () => {
  it('drops rows', () => {
    expect(specs([{ name: 'a', match: '*', rows: 3 } as never])).toEqual([{ name: 'a', match: '*' }]);
  });
});

describe('matchHint', () => {
  it('names each kind', () => {
    expect(matchHint('*')).toBe('every sender');
    expect(matchHint('10.0.*')).toBe('senders starting 10.0.');
    expect(matchHint('10.0.0.0/8')).toBe('a CIDR range');
    expect(matchHint('10.0.0.1')).toBe('one address');
    expect(matchHint('x*')).toMatch(/wildcard/);
  });
});
