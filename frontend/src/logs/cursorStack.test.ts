import { describe, expect, it } from 'vitest';
import { canPrevious, current, firstPage, next, pageNote, pageNumber, previous } from './cursorStack';

describe('cursor stack', () => {
  it('starts on page 1 with no cursor', () => {
    expect(current(firstPage)).toBeNull();
    expect(pageNumber(firstPage)).toBe(1);
    expect(canPrevious(firstPage)).toBe(false);
  });
  it('walks forward and back through the cursors', () => {
    let s = next(firstPage, 'a');
    s = next(s, 'b');
    expect(current(s)).toBe('b');
    expect(pageNumber(s)).toBe(3);
    s = previous(s);
    expect(current(s)).toBe('a');
    s = previous(s);
    expect(current(s)).toBeNull();
    expect(previous(s)).toBe(s);
  });
  it('stays on the last page when there is no next cursor', () => {
    const s = next(firstPage, 'a');
    expect(next(s, null)).toBe(s);
    expect(next(s, undefined)).toBe(s);
  });
});

describe('pageNote', () => {
  it('explains a page cut by size or time, and says nothing otherwise', () => {
    expect(pageNote('bytes')).toMatch(/4 MiB/);
    expect(pageNote('time')).toMatch(/2 s/);
    expect(pageNote('limit')).toBeNull();
    expect(pageNote(null)).toBeNull();
    expect(pageNote(undefined)).toBeNull();
  });
});
