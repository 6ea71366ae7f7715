import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { browseSearchParams, parseBrowseState, type BrowseState } from './browseState';

/** UpdateBrowse changes part of the state in the URL (patch, or a function of the current
 * state giving it); push adds a history entry (so Back undoes it, e.g. a zoom), else the
 * current entry is replaced (typing). */
export type UpdateBrowse = (patch: Partial<BrowseState> | ((s: BrowseState) => Partial<BrowseState>), opts?: { push?: boolean }) => void;

/** useBrowseState holds the browse page's state in the URL query string: it is read from the
 * URL on every render and written back through update, so reloading restores it. */
export function useBrowseState(): [BrowseState, UpdateBrowse] {
  const [params, setParams] = useSearchParams();
  const key = params.toString();
  const state = useMemo(() => parseBrowseState(new URLSearchParams(key)), [key]);
  const update = useCallback<UpdateBrowse>(
    (patch, opts) =>
      setParams(
        (prev) => {
          const cur = parseBrowseState(prev);
          return browseSearchParams({ ...cur, ...(typeof patch === 'function' ? patch(cur) : patch) });
        },
        { replace: !opts?.push },
      ),
    [setParams],
  );
  return [state, update];
}
