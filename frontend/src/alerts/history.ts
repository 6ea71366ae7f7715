// The history of fired alerts: the query of GET /alerts/history and how a delivery reads.
import type { AlertDeliverySummary, DeliveryStatus } from '../api/types';

export const HISTORY_LIMIT = 200;

/** historyQuery builds the query string of GET /alerts/history; empty filters are left out. */
export function historyQuery(f: { rule?: string | null; engine?: string | null; limit?: number }): string {
  const p = new URLSearchParams();
  p.set('limit', String(f.limit ?? HISTORY_LIMIT));
  if (f.rule) p.set('rule', f.rule);
  if (f.engine) p.set('engine', f.engine);
  return p.toString();
}

/** statusColor is the chip colour of a delivery status. */
export function statusColor(s: DeliveryStatus | string): 'success' | 'warning' | 'error' | 'default' {
  switch (s) {
    case 'sent':
      return 'success';
    case 'retrying':
      return 'warning';
    case 'failed':
    case 'gave_up':
      return 'error';
    default:
      return 'default';
  }
}

/** deliveryLabel reads one channel's delivery of an alert: "hook: sent" or
 * "mail: retrying (3 attempts)". */
export function deliveryLabel(d: AlertDeliverySummary): string {
  const status = d.status.replace('_', ' ');
  return `${d.channel}: ${status}${d.attempts > 1 ? ` (${d.attempts} attempts)` : ''}`;
}

/** browseTarget tells how to open an alert's link: inside the app (a path) or as a plain
 * link (absolute, when the setting public_url is set). */
export function browseTarget(link: string | undefined): { internal: string } | { href: string } | null {
  if (!link) return null;
  if (/^https?:\/\//i.test(link)) return { href: link };
  return { internal: link.startsWith('/') ? link : `/${link}` };
}

/** rowText renders one of an alert's rows: its original log when kept, else col=value pairs. */
export function rowText(r: Record<string, string | null>): string {
  if (r.original_log) return r.original_log;
  return Object.entries(r)
    .filter(([, v]) => v != null && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
