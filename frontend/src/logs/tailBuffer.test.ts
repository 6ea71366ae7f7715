import { describe, expect, it } from 'vitest';
import { emptyTail, pushTail, tailKey, type TailBuffer } from './tailBuffer';

describe('pushTail', () => {
  it('puts the newest rows on top', () => {
    let b = pushTail(emptyTail, ['a'], [['1'], ['2']]);
    b = pushTail(b, ['a'], [['3']]);
    expect(b.rows).toEqual([['3'], ['2'], ['1']]);
  });
  it('keeps at most max rows', () => {
    let b: TailBuffer = { columns: ['a'], rows: [], seq: 0 };
    for (let i = 0; i < 10; i++) b = pushTail(b, ['a'], [[String(i)]], 4);
    expect(b.rows).toEqual([['9'], ['8'], ['7'], ['6']]);
  });
  it('restarts when the columns change', () => {
    const b = pushTail(pushTail(emptyTail, ['a'], [['1']]), ['a', 'b'], [['2', 'x']]);
    expect(b).toEqual({ columns: ['a', 'b'], rows: [['2', 'x']], seq: 2 });
  });
});

describe('tailKey', () => {
  it('keeps a row its key when newer rows arrive and old ones fall off', () => {
    let b = pushTail(emptyTail, ['a'], [['1'], ['2']], 3);
    const keyOf2 = tailKey(b, b.rows.findIndex((r) => r[0] === '2'));
    b = pushTail(b, ['a'], [['3'], ['4']], 3);
    expect(tailKey(b, b.rows.findIndex((r) => r[0] === '2'))).toBe(keyOf2);
    expect(new Set(b.rows.map((_, i) => tailKey(b, i))).size).toBe(3);
  });
});
