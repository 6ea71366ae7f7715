// An engine's live events: the websocket's `event` messages put at the top of the
// events query that the engine page shows.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { keys } from '../api/queries';
import type { EngineEvent } from '../api/types';
import { live } from '../common/liveSocket';

/** prependEvent puts a live event first in the newest-first list, dropping an identical
 * one (the same event may arrive by the websocket and a refetch) and keeping at most limit. */
export function prependEvent(list: readonly EngineEvent[] | undefined, ev: EngineEvent, limit = 50): EngineEvent[] {
  const rest = (list ?? []).filter((e) => !(e.t === ev.t && e.message === ev.message && e.level === ev.level));
  return [ev, ...rest].slice(0, limit);
}

/** useLiveEvents puts the websocket's events of engine name at the top of its events query. */
export function useLiveEvents(name: string) {
  const qc = useQueryClient();
  useEffect(
    () =>
      live.onEvent((m) => {
        if (m.engine !== name) return;
        const ev: EngineEvent = { t: m.t, level: m.level, message: m.message };
        qc.setQueryData<EngineEvent[]>(keys.events(name), (old) => prependEvent(old, ev));
      }),
    [name, qc],
  );
}
