// Pure editing of an alert channel: the dialog's form, its conversion to the API's
// ChannelIn and back, and client-side checks. Secrets (webhook secret, Telegram token,
// SMTP password) are write-only: the form starts them empty, and an empty one is left out
// of the body so the server keeps what it has.
import type { Channel, ChannelIn, ChannelType, EmailTLS } from '../api/types';
import { NAME_RE } from './ruleForm';

export const CHANNEL_TYPES: { value: ChannelType; label: string }[] = [
  { value: 'webhook', label: 'Webhook' },
  { value: 'telegram', label: 'Telegram' },
  { value: 'email', label: 'Email (SMTP)' },
];

export const DEFAULT_TELEGRAM_API = 'https://api.telegram.org';

export interface HeaderRow {
  id: number;
  key: string;
  value: string;
}

export interface ChannelForm {
  name: string;
  type: ChannelType;
  enabled: boolean;
  url: string;
  secret: string;
  headers: HeaderRow[];
  token: string;
  chat_id: string;
  api_url: string;
  host: string;
  port: string;
  tls: EmailTLS;
  username: string;
  password: string;
  from: string;
  to: string; // one address per line (or comma separated)
}

let nextId = 1;

export function newHeader(key = '', value = ''): HeaderRow {
  return { id: nextId++, key, value };
}

/** defaultPort is the SMTP port that goes with a TLS mode. */
export function defaultPort(tls: EmailTLS): string {
  return tls === 'tls' ? '465' : tls === 'none' ? '25' : '587';
}

export function channelToForm(c?: Channel): ChannelForm {
  const tls = c?.tls ?? 'starttls';
  return {
    name: c?.name ?? '',
    type: c?.type ?? 'webhook',
    enabled: c?.enabled ?? true,
    url: c?.url ?? '',
    secret: '',
    headers: Object.entries(c?.headers ?? {}).map(([k, v]) => newHeader(k, v)),
    token: '',
    chat_id: c?.chat_id ?? '',
    api_url: c?.api_url ?? DEFAULT_TELEGRAM_API,
    host: c?.host ?? '',
    port: c?.port ? String(c.port) : defaultPort(tls),
    tls,
    username: c?.username ?? '',
    password: '',
    from: c?.from ?? '',
    to: (c?.to ?? []).join('\n'),
  };
}

/** splitAddresses reads the "to" text: addresses separated by new lines, commas or
 * semicolons, trimmed, empty ones left out. */
export function splitAddresses(text: string): string[] {
  return text
    .split(/[\n,;]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** formToChannel builds the API body with the fields of the channel's type only. */
export function formToChannel(f: ChannelForm): ChannelIn {
  const c: ChannelIn = { name: f.name.trim(), type: f.type, enabled: f.enabled };
  switch (f.type) {
    case 'webhook': {
      c.url = f.url.trim();
      if (f.secret) c.secret = f.secret;
      const headers: Record<string, string> = {};
      for (const h of f.headers) if (h.key.trim()) headers[h.key.trim()] = h.value;
      c.headers = headers;
      break;
    }
    case 'telegram':
      if (f.token.trim()) c.token = f.token.trim();
      c.chat_id = f.chat_id.trim();
      c.api_url = f.api_url.trim() || DEFAULT_TELEGRAM_API;
      break;
    case 'email':
      c.host = f.host.trim();
      c.port = Number(f.port);
      c.tls = f.tls;
      c.username = f.username.trim();
      if (f.password) c.password = f.password;
      c.from = f.from.trim();
      c.to = splitAddresses(f.to);
      break;
  }
  return c;
}

export type Problems = Record<string, string>;

const HEADER_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/; // an HTTP token (RFC 9110)
const ADDRESS_RE = /^[^\s@<>]+@[^\s@<>]+$/;

function isURL(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** validateChannel names the fields (the server's names) that cannot be sent. The secrets
 * are required only where the stored channel has none: a Telegram token always. */
export function validateChannel(f: ChannelForm, stored?: Channel): Problems {
  const p: Problems = {};
  if (!stored && !NAME_RE.test(f.name.trim())) p.name = 'Letters, digits, _ and -, 1 to 64';
  switch (f.type) {
    case 'webhook':
      if (!isURL(f.url.trim())) p.url = 'An http:// or https:// URL';
      f.headers.forEach((h, i) => {
        if (h.key.trim() && !HEADER_RE.test(h.key.trim())) p[`headers[${i}]`] = 'Not a valid header name';
        else if (!h.key.trim() && h.value) p[`headers[${i}]`] = 'Header name required';
      });
      break;
    case 'telegram':
      if (!f.token.trim() && !stored?.token_set) p.token = 'Bot token required';
      if (!f.chat_id.trim()) p.chat_id = 'Chat id required';
      if (f.api_url.trim() && !isURL(f.api_url.trim())) p.api_url = 'An http:// or https:// URL';
      break;
    case 'email': {
      if (!f.host.trim()) p.host = 'SMTP host required';
      const port = Number(f.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) p.port = '1 to 65535';
      if (!ADDRESS_RE.test(f.from.trim())) p.from = 'An address like alerts@example.com';
      const to = splitAddresses(f.to);
      if (to.length === 0) p.to = 'At least one address';
      else if (!to.every((a) => ADDRESS_RE.test(a))) p.to = 'Not an address: ' + to.find((a) => !ADDRESS_RE.test(a));
      break;
    }
  }
  return p;
}

/** channelTarget renders where a channel delivers, for the list. */
export function channelTarget(c: Channel): string {
  switch (c.type) {
    case 'webhook':
      return c.url ?? '';
    case 'telegram':
      return `chat ${c.chat_id ?? ''}${c.api_url && c.api_url !== DEFAULT_TELEGRAM_API ? ` via ${c.api_url}` : ''}`;
    case 'email':
      return `${(c.to ?? []).join(', ')} via ${c.host ?? ''}:${c.port ?? ''}`;
    default:
      return '';
  }
}

/** secretState lists a channel's write-only fields and whether each is set. */
export function secretState(c: Channel): { label: string; set: boolean }[] {
  switch (c.type) {
    case 'webhook':
      return [{ label: 'secret', set: !!c.secret_set }];
    case 'telegram':
      return [{ label: 'token', set: !!c.token_set }];
    case 'email':
      return [{ label: 'password', set: !!c.password_set }];
    default:
      return [];
  }
}
