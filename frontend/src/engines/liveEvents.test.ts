import { describe, expect, it } from 'vitest';
import { prependEvent } from './liveEvents';

describe('prependEvent', () => {
  const ev = (t: number, message = 'm') => ({ t, level: 'info' as const, message });
  it('puts the new event first, once, within the limit', () => {
    expect(prependEvent([ev(2), ev(1)], ev(3), 2)).toEqual([ev(3), ev(2)]);
    expect(prependEvent([ev(3), ev(2)], ev(3))).toEqual([ev(3), ev(2)]);
    expect(prependEvent(undefined, ev(1))).toEqual([ev(1)]);
  });
});
