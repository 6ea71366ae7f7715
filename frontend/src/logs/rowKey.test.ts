import { describe, expect, it } from 'vitest';
import { rowKeyOf } from './rowKey';

describe('rowKeyOf', () => {
  it('is the id on a one-day page', () => {
    expect(rowKeyOf(['id', 'time', 'user'], ['42', '10:00:00', 'bob'], 0)).toBe('42');
  });
  it('is date:id in range mode, so equal ids of two days differ', () => {
    const cols = ['id', 'date', 'time'];
    expect(rowKeyOf(cols, ['42', '2026-12-01', '10:00:00'], 0)).toBe('2026-12-01:42');
    expect(rowKeyOf(cols, ['42', '2026-12-02', '10:00:00'], 1)).toBe('2026-12-02:42');
  });
  it('adds the node in a cluster, so equal ids of two nodes differ', () => {
    expect(rowKeyOf(['id', 'time'], ['42', '10:00:00'], 0, 's1')).toBe('s1/42');
    expect(rowKeyOf(['id', 'time'], ['42', '10:00:00'], 1, 's2')).toBe('s2/42');
  });
  it('falls back to the position without an id column', () => {
    expect(rowKeyOf(['time'], ['10:00:00'], 3)).toBe('#3');
  });
});
