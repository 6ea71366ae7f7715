import { describe, expect, it } from 'vitest';
import { backoffDelay } from './liveSocket';

describe('backoffDelay', () => {
  it.each([
    [0, 500],
    [1, 1000],
    [3, 4000],
    [5, 15000],
    [50, 15000],
  ])('attempt %i waits %i ms', (n, want) => expect(backoffDelay(n)).toBe(want));
});
