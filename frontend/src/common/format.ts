// Pure formatting helpers shared by every page.

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** formatBytes renders a byte count with binary units: 0 -> "0 B", 1536 -> "1.5 KiB". */
export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < byteUnits.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${n < 0 ? '-' : ''}${trimZeros(s)} ${byteUnits[i]}`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** formatCount renders an integer with thousands separators: 1234567 -> "1,234,567". */
export function formatCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
}

/** formatRate renders events per second compactly: 0 -> "0/s", 1530 -> "1.53k/s", 2.5e6 -> "2.5M/s". */
export function formatRate(perS: number | null | undefined): string {
  if (perS == null || !Number.isFinite(perS)) return '–';
  const a = Math.abs(perS);
  if (a >= 1e6) return `${trimZeros((perS / 1e6).toFixed(2))}M/s`;
  if (a >= 1e3) return `${trimZeros((perS / 1e3).toFixed(2))}k/s`;
  if (a >= 10 || a === 0) return `${Math.round(perS)}/s`;
  return `${trimZeros(perS.toFixed(1))}/s`;
}

/** formatDuration renders seconds as the two largest units: 59 -> "59s", 3725 -> "1h 2m", 90061 -> "1d 1h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/** formatPercent renders 0..100 with one decimal: 12.345 -> "12.3 %". */
export function formatPercent(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return '–';
  return `${trimZeros(p.toFixed(1))} %`;
}

/** formatTimeInZone renders unix ms as "YYYY-MM-DD HH:MM:SS" in an IANA timezone
 * (falls back to UTC for an unknown zone). */
export function formatTimeInZone(ms: number, timeZone: string, withDate = true): string {
  let parts: Intl.DateTimeFormatPart[];
  const opts: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  };
  try {
    parts = new Intl.DateTimeFormat('en-US', { ...opts, timeZone }).formatToParts(new Date(ms));
  } catch {
    parts = new Intl.DateTimeFormat('en-US', { ...opts, timeZone: 'UTC' }).formatToParts(new Date(ms));
  }
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  const time = `${get('hour')}:${get('minute')}:${get('second')}`;
  return withDate ? `${get('year')}-${get('month')}-${get('day')} ${time}` : time;
}

/** timeZones lists the IANA names the browser knows (UTC first when missing). */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const list = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  return list.includes('UTC') ? list : ['UTC', ...list];
}
