// The websocket hook: React access to the one LiveSocket.
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { WsStats, WsTail } from '../api/types';
import { live } from './liveSocket';

/** useLive returns the latest `stats` message (null before the first) and whether the socket is up.
 * With onStats, it also calls onStats for every stats message; with tail, it subscribes to
 * live rows of that engine (onTail receives them) until tail becomes null or the caller unmounts. */
export function useLive(opts?: {
  onStats?: (m: WsStats) => void;
  tail?: string | null;
  onTail?: (m: WsTail) => void;
}): { stats: WsStats | null; connected: boolean } {
  const stats = useSyncExternalStore(live.subscribe, live.getLatest);
  const connected = useSyncExternalStore(live.subscribe, live.isConnected);
  const onStats = useRef(opts?.onStats);
  const onTail = useRef(opts?.onTail);
  useEffect(() => {
    onStats.current = opts?.onStats;
    onTail.current = opts?.onTail;
  });
  const hasStats = !!opts?.onStats;
  useEffect(() => {
    if (!hasStats) return;
    return live.onStats((m) => onStats.current?.(m));
  }, [hasStats]);
  const tail = opts?.tail ?? null;
  useEffect(() => {
    if (!tail) return;
    const off = live.onTail((m) => {
      if (m.engine === tail) onTail.current?.(m);
    });
    live.tail(tail);
    return () => {
      off();
      live.tail(null);
    };
  }, [tail]);
  return { stats, connected };
}

/** useLiveConnected reports only whether the socket is up (no re-render per stats message). */
export function useLiveConnected(): boolean {
  return useSyncExternalStore(live.subscribe, live.isConnected);
}
