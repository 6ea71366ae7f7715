// Times of the alerts API are RFC 3339 strings; the pages show them in the browser's zone.
import { formatTimeInZone } from '../common/format';

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** formatWhen renders an RFC 3339 time as "YYYY-MM-DD HH:MM:SS" in timeZone (the
 * browser's by default); null, empty or unparsable gives "–". */
export function formatWhen(iso: string | null | undefined, timeZone = browserZone()): string {
  if (!iso) return '–';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || ms <= 0) return '–';
  return formatTimeInZone(ms, timeZone);
}
