import type { EngineStats } from '../api/types';
import { formatBytes, formatCount, formatDuration } from '../common/format';

/** The overflow spool line of the engine page: its size, the logs waiting in it and an
 * estimate of the time to drain them at the recent store rate; null when the spool is empty.
 * Logs left by an earlier run are counted only as they are replayed, so after a restart the
 * spool may hold bytes and no counted logs: it is then shown as replaying. */
export function spoolText(s: Pick<EngineStats, 'spool_bytes' | 'spool_depth' | 'stored_per_s'>): string | null {
  const bytes = s.spool_bytes ?? 0;
  const depth = s.spool_depth ?? 0;
  if (bytes <= 0 && depth <= 0) return null;
  const size = formatBytes(bytes);
  if (depth <= 0) return `${size} · replaying`;
  const drain = s.stored_per_s > 0 ? `~${formatDuration(Math.ceil(depth / s.stored_per_s))} to drain` : 'not draining';
  return `${size} · ${formatCount(depth)} logs · ${drain}`;
}
