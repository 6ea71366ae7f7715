// Pure cursor-stack paging: the server gives only a next cursor, so the cursors of the
// pages already seen are kept to go back.

/** CursorStack holds the cursor of every page up to the current one; [null] is the first page. */
export type CursorStack = readonly (string | null)[];

export const firstPage: CursorStack = [null];

/** current is the cursor to load now. */
export function current(s: CursorStack): string | null {
  return s[s.length - 1] ?? null;
}

/** pageNumber is 1 for the first page. */
export function pageNumber(s: CursorStack): number {
  return s.length;
}

/** next moves to the page of nextCursor; without one (last page) it stays. */
export function next(s: CursorStack, nextCursor: string | null | undefined): CursorStack {
  return nextCursor ? [...s, nextCursor] : s;
}

/** previous goes back one page; on the first page it stays. */
export function previous(s: CursorStack): CursorStack {
  return s.length > 1 ? s.slice(0, -1) : s;
}

export function canPrevious(s: CursorStack): boolean {
  return s.length > 1;
}

/** pageNote explains a page that ended before its row limit (the server's `limit_reason`),
 * or null when there is nothing to say. */
export function pageNote(reason: 'limit' | 'bytes' | 'time' | null | undefined): string | null {
  switch (reason) {
    case 'bytes':
      return 'This page stopped at 4 MiB of data; Next continues from the last row shown.';
    case 'time':
      return 'The search stopped after 2 s; Next continues where it left off.';
    default:
      return null;
  }
}
