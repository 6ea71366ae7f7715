import { describe, expect, it } from 'vitest';
import { pushTail } from './tailBuffer';

describe('pushTail', () => {
  it('puts the newest rows on top', () => {
    let b = pushTail({ columns: [], rows: [] }, ['a'], [['1'], ['2']]);
    b = pushTail(b, ['a'], [['3']]);
    expect(b.rows).toEqual([['3'], ['2'], ['1']]);
  });
  it('keeps at most max rows', () => {
    let b = { columns: ['a'], rows: [] as (string | null)[][] };
    for (let i = 0; i < 10; i++) b = pushTail(b, ['a'], [[String(i)]], 4);
    expect(b.rows).toEqual([['9'], ['8'], ['7'], ['6']]);
  });
  it('restarts when the columns change', () => {
    const b = pushTail(pushTail({ columns: [], rows: [] }, ['a'], [['1']]), ['a', 'b'], [['2', 'x']]);
    expect(b).toEqual({ columns: ['a', 'b'], rows: [['2', 'x']] });
  });
});
