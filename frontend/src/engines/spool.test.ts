import { describe, expect, it } from 'vitest';
import { spoolText } from './spool';

describe('spoolText', () => {
  it.each([
    [{ spool_bytes: 0, spool_depth: 0, stored_per_s: 500 }, null],
    [{ spool_bytes: undefined, spool_depth: undefined, stored_per_s: 0 }, null],
    [{ spool_bytes: 10 * 1024 * 1024, spool_depth: 90000, stored_per_s: 30000 }, '10 MiB · 90,000 logs · ~3s to drain'],
    [{ spool_bytes: 2048, spool_depth: 10, stored_per_s: 0 }, '2 KiB · 10 logs · not draining'],
    [{ spool_bytes: 2048, spool_depth: 0, stored_per_s: 100 }, '2 KiB · replaying'],
  ])('shows %o as %s', (s, want) => {
    expect(spoolText(s)).toBe(want);
  });
});
