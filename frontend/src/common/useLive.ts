// The websocket hook: React access to the one LiveSocket.
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { WsStats, WsTail } from '../api/types';
import { live } from './liveSocket';

/** useLive returns the latest `stats` message (null before the first) and whether the socket is up,
 * so its caller re-renders on every stats message (once a second): use it only in the small
 * component that shows live numbers. With onStats, it also calls onStats for every stats message. */
export function useLive(opts?: { onStats?: (m: WsStats) => void }): { stats: WsStats | null; connected: boolean } {
  const stats = useSyncExternalStore(live.subscribe, live.getLatest);
  const connected = useSyncExternalStore(live.subscribe, live.isConnected);
  const onStats = useRef(opts?.onStats);
  useEffect(() => {
    onStats.current = opts?.onStats;
  });
  const hasStats = !!opts?.onStats;
  useEffect(() => {
    if (!hasStats) return;
    return live.onStats((m) => onStats.current?.(m));
  }, [hasStats]);
  return { stats, connected };
}

/** useLiveConnected reports only whether the socket is up (no re-render per stats message). */
export function useLiveConnected(): boolean {
  return useSyncExternalStore(live.subscribe, live.isConnected);
}

/** useTail subscribes to the live rows of engine (null: none) and calls onTail for each
 * batch, until engine becomes null or the caller unmounts. It does not re-render on stats
 * messages: a page that only tails does not redraw every second. */
export function useTail(engine: string | null, onTail: (m: WsTail) => void): void {
  const cb = useRef(onTail);
  useEffect(() => {
    cb.current = onTail;
  });
  useEffect(() => {
    if (!engine) return;
    const off = live.onTail((m) => {
      if (m.engine === engine) cb.current(m);
    });
    live.tail(engine);
    return () => {
      off();
      live.tail(null);
    };
  }, [engine]);
}
