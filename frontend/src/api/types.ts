// API payload types, written once, mirroring docs/api.md and docs/architecture.md.

export type Role = 'admin' | 'viewer';

export interface User {
  username: string;
  role: Role;
  must_change_password: boolean;
}

export interface LoginResponse {
  token: string;
  user: User;
}

export interface ApiErrorBody {
  error: string;
  field?: string;
}

export interface ClassInfo {
  name: string;
  patterns: Record<string, string>;
  keys: string[];
  columns: string[];
  engines: string[];
}

export interface ClassBody {
  name?: string;
  patterns: Record<string, string>;
  keys?: string[];
}

export interface ClassTestRequest {
  patterns: Record<string, string>;
  keys?: string[];
  lines: string[];
}

export interface ClassTestKeyStats {
  matched: number;
  ns_per_line: number;
}

export interface ClassTestResponse {
  columns: string[];
  rows: Record<string, string | null>[];
  keys: Record<string, ClassTestKeyStats>;
}

export type EngineState = 'running' | 'stopped' | 'paused' | 'failed';

export interface EngineSpec {
  name: string;
  class: string;
  protocol: string;
  bind: string;
  port: number;
  timezone: string;
  keep_original: boolean;
  retention_days: number;
  enabled: boolean;
  accept_unknown: boolean;
  /** TCP limits: the longest message and the open connections (the server's defaults 65536 / 1024). */
  max_message_bytes?: number;
  max_connections?: number;
  /** TLS: PEM file of the CAs every client certificate must chain to ('' = none asked). */
  tls_client_ca?: string;
  /** Which syslog headers fill the 8 header columns (docs/api.md, Syslog headers); new engines: auto. */
  syslog_header?: SyslogHeaderMode;
}

export type SyslogHeaderMode = 'none' | 'auto' | 'rfc3164' | 'rfc5424';

export interface EngineInfo extends EngineSpec {
  state: EngineState;
  error?: string;
}

/** One open TCP connection of an engine (GET /engines/:name/connections). */
export interface Connection {
  peer: string; // ip:port
  since: number; // unix ms
  messages: number;
  bytes: number;
}

export interface Worker {
  name: string;
  state: string;
  busy_pct: number;
}

/** One ingest node's state of an engine (cluster mode, GET /stats `nodes`): the engine's
 * counters as that node has them. */
export type EngineNodeStats = Pick<
  EngineStats,
  | 'state'
  | 'reason'
  | 'received'
  | 'stored'
  | 'unmatched'
  | 'rejected'
  | 'dropped'
  | 'refused'
  | 'kernel_drops'
  | 'write_errors'
  | 'queue_depth'
  | 'in_per_s'
  | 'stored_per_s'
> & {
  node: string;
  role: 'all' | 'ingest' | 'store';
  connections: number;
};

export interface EngineStats {
  state: EngineState;
  reason?: string;
  received: number;
  stored: number;
  unmatched: number;
  rejected: number;
  dropped: number;
  refused: number;
  kernel_drops: number;
  write_errors: number;
  queue_depth: number;
  in_per_s: number;
  stored_per_s: number;
  started_at: number; // unix ms, 0 when stopped
  uptime_s: number;
  workers: Worker[] | null;
  /** cluster mode (GET /stats only, not the websocket): the counters above are the sum over
   * the ingest nodes, and this is each one's state. */
  nodes?: EngineNodeStats[];
  /** TCP (0 for UDP): open connections, connections served, refused at max_connections,
   * closed for a framing error or cut off mid-frame, LF messages cut at max_message_bytes,
   * and the time connections waited for room in the queue. */
  connections?: number;
  connections_total?: number;
  connections_refused?: number;
  framing_errors?: number;
  truncated?: number;
  backpressure_ms?: number;
  /** TLS: handshakes that failed or timed out. */
  tls_errors?: number;
  /** The overflow spool (UDP): logs appended to it, its size on disk, logs waiting in it,
   * logs replayed from it after a restart, torn or corrupt records skipped. */
  spooled?: number;
  spool_bytes?: number;
  spool_depth?: number;
  replayed?: number;
  spool_corrupt?: number;
}

/** The server certificate of TLS engines (GET /tls); never the key. */
export interface TLSInfo {
  source: 'self-signed' | 'settings';
  subject: string;
  fingerprint_sha256: string; // uppercase hex pairs joined by ':'
  not_before: string; // RFC 3339
  not_after: string;
}

/** One second of an engine's history: how much each stats counter grew in that second
 * (`in` is `received`). Every loss kind has its own field, with its meaning in EngineStats:
 * `dropped` is the queue-full loss only, `kernel_drops` the socket buffer overflow. */
export interface HistoryPoint {
  t: number; // unix ms
  in: number;
  stored: number;
  dropped: number;
  kernel_drops: number;
  rejected: number;
  refused: number;
  write_errors: number;
}

export interface DayInfo {
  date: string;
  rows: number;
  bytes: number;
}

/** One page of /logs. In range mode (start/end/last) columns are `id`, `date` (the day file,
 * YYYY-MM-DD), then the shown columns; next_cursor is then `<date>:<id>`. */
export interface LogsPage {
  columns: string[];
  rows: (string | null)[][];
  next_cursor: string | null;
  // why a page with a next_cursor ended: `limit` rows, the 4 MiB `bytes` cap, the 2 s scan `time`
  limit_reason?: 'limit' | 'bytes' | 'time' | null;
  /** cluster mode: the node of each row (ids are per node), and the store nodes whose rows
   * are missing because they did not answer. */
  row_nodes?: string[];
  partial?: boolean;
  missing_nodes?: string[];
}

/** One non-empty bucket of /histogram: t is the bucket start in the engine's local time
 * (`YYYY-MM-DDTHH:MM`), n the matching rows in it. */
export interface HistogramBucket {
  t: string;
  n: number;
}

/** The /histogram answer: matching rows per bucket_s seconds (ascending, non-empty buckets
 * only); total is their sum, "at least" when complete is false (the 3 s budget ended first). */
export interface Histogram {
  bucket_s: number;
  buckets: HistogramBucket[];
  total: number;
  complete: boolean;
}

export interface SystemInfo {
  version: string;
  hostname: string;
  uptime_s: number;
  time: number; // unix ms
  timezone: string;
  ntp_synchronized: boolean;
  cpu_percent: number;
  load: number[] | Record<string, number> | null;
  mem: { total: number; used: number };
  disk: { path: string; total: number; free: number };
  goroutines: number;
}

export type Settings = Record<string, string | number | boolean | string[] | null>;

export interface UserCreate {
  username: string;
  password: string;
  role: Role;
  must_change_password?: boolean;
}

export interface UserPatch {
  role?: Role;
  password?: string;
}

export interface EngineEvent {
  t: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

// Websocket messages (docs/api.md, /ws).
export interface WsStats {
  type: 'stats';
  t: number;
  engines: Record<string, EngineStats>;
  system?: SystemInfo;
}

export interface WsTail {
  type: 'tail';
  engine: string;
  columns: string[];
  rows: (string | null)[][];
}

export interface WsEvent extends EngineEvent {
  type: 'event';
  engine: string;
}

export type WsMessage = WsStats | WsTail | WsEvent;

// Known senders of an engine (docs/api.md, clients routes).
export interface ClientSpec {
  name: string;
  match: string;
}

export interface ClientInfo extends ClientSpec {
  rows: number;
}

export interface Job {
  id: string;
  kind: string;
  target: string;
  state: 'running' | 'done' | 'failed';
  progress: number; // 0..1
  deleted: number;
  error?: string;
  started: number;
  finished?: number;
}

// Alerts (docs/alerts.md; /alerts/...). Secrets are write-only: a Channel says only
// whether each one is set.
export type ChannelType = 'webhook' | 'telegram' | 'email';
export type EmailTLS = 'starttls' | 'tls' | 'none';

/** The body of POST / PUT /alerts/channels; a secret left out or "" keeps the stored one. */
export interface ChannelIn {
  name: string;
  type: ChannelType;
  enabled?: boolean;
  // webhook
  url?: string;
  secret?: string;
  headers?: Record<string, string>;
  // telegram
  token?: string;
  chat_id?: string;
  api_url?: string;
  // email
  host?: string;
  port?: number;
  tls?: EmailTLS;
  username?: string;
  password?: string;
  from?: string;
  to?: string[];
}

export interface Channel extends Omit<ChannelIn, 'secret' | 'token' | 'password'> {
  enabled: boolean;
  secret_set?: boolean;
  token_set?: boolean;
  password_set?: boolean;
  created_at?: string;
  updated_at?: string;
}

export type DeliveryStatus = 'sent' | 'failed' | 'retrying' | 'gave_up';

/** One delivery attempt of an alert (or a test) to a channel. */
export interface Delivery {
  id: number;
  time: string; // RFC 3339
  channel: string;
  rule: string;
  alert_id: number | string;
  attempt: number;
  status: DeliveryStatus;
  http_status?: number;
  error: string;
}

export interface ChannelTestResult {
  ok: boolean;
  status: 'sent' | 'failed';
  error: string;
}

export type ConditionOp = 'equals' | 'contains' | 'matches' | 'in';

export interface Condition {
  column: string;
  op: ConditionOp;
  value: string | string[]; // an array for "in"
}

export type HealthCondition = 'engine_failed' | 'engine_paused' | 'kernel_drops' | 'dropped' | 'spool_growing' | 'disk_free_below' | 'no_logs';

/** The body of POST / PUT /alerts/rules; engine "" is every engine. */
export interface RuleIn {
  name: string;
  engine: string;
  enabled?: boolean;
  kind?: 'log' | 'health';
  when?: Condition[];
  word?: string;
  count?: number;
  window_s?: number;
  cooldown_s?: number;
  group_by?: string;
  max_groups?: number;
  health?: HealthCondition;
  threshold?: number;
  sender?: string;
  channels: string[];
}

export interface Rule extends RuleIn {
  firing: boolean;
  last_fired_at: string | null;
  fired_total: number;
  suppressed_total: number;
}

/** A rule firing now (fired within its cooldown); group is "" for an ungrouped rule. */
export interface Firing {
  rule: string;
  engine: string;
  group: string;
  since: string;
}

export interface AlertDeliverySummary {
  channel: string;
  status: DeliveryStatus;
  attempts: number;
  error: string;
}

/** One fired alert (GET /alerts/history); link opens browse with the rule's filter. */
export interface AlertEvent {
  id: number | string;
  time: string;
  rule: string;
  engine: string;
  group: string;
  count: number;
  window_s: number;
  /** A health rule's finding; "" for log rules. */
  message?: string;
  rows: Record<string, string | null>[] | null;
  link: string;
  deliveries: AlertDeliverySummary[] | null;
}
