// Pure editing of an alert rule: the dialog's form, its conversion to the API's RuleIn and
// back, client-side checks and the mapping of a server error field onto the form.
import type { Condition, ConditionOp, HealthCondition, Rule, RuleIn } from '../api/types';

/** ALL_ENGINES is the form's engine value for a rule on every engine (engine "" in the API). */
export const ALL_ENGINES = '*';

export const OPS: { value: ConditionOp; label: string }[] = [
  { value: 'equals', label: 'equals' },
  { value: 'contains', label: 'contains' },
  { value: 'matches', label: 'matches regex' },
  { value: 'in', label: 'is one of' },
];

export const HEALTH: { value: HealthCondition; label: string; threshold?: string; sender?: boolean }[] = [
  { value: 'engine_failed', label: 'Engine failed' },
  { value: 'engine_paused', label: 'Engine paused' },
  { value: 'kernel_drops', label: 'Kernel drops grew' },
  { value: 'dropped', label: 'Dropped logs grew' },
  { value: 'spool_growing', label: 'Spool growing' },
  { value: 'disk_free_below', label: 'Disk free below', threshold: 'Disk free below (%)' },
  { value: 'no_logs', label: 'No logs for', threshold: 'No logs for (minutes)', sender: true },
];

// The server's defaults (contract: count 1, window 60 s, cooldown 300 s, 1000 groups).
export const DEFAULTS = { count: 1, window_s: 60, cooldown_s: 300, max_groups: 1000 };

export const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

export interface ConditionRow {
  id: number;
  column: string;
  op: ConditionOp;
  value: string; // for "in": one value per line
}

export interface RuleForm {
  name: string;
  engine: string; // ALL_ENGINES or an engine name
  enabled: boolean;
  kind: 'log' | 'health';
  when: ConditionRow[];
  word: string;
  count: string;
  window_s: string;
  cooldown_s: string;
  group_by: string;
  max_groups: string;
  health: HealthCondition | '';
  threshold: string;
  sender: string;
  channels: string[];
}

let nextId = 1;

export function newCondition(column = '', op: ConditionOp = 'equals', value = ''): ConditionRow {
  return { id: nextId++, column, op, value };
}

/** changeOp sets a condition's operator; leaving "in" keeps the first value of its list
 * (the others would be sent as one value with line breaks in it). */
export function changeOp(c: ConditionRow, op: ConditionOp): ConditionRow {
  if (c.op === 'in' && op !== 'in') return { ...c, op, value: splitValues(c.value)[0] ?? '' };
  return { ...c, op };
}

/** splitValues turns the text of an "in" condition into its list: one value per line,
 * trimmed, empty lines and repeats left out. */
export function splitValues(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const v = line.trim();
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

function conditionValueText(c: Condition): string {
  return Array.isArray(c.value) ? c.value.join('\n') : (c.value ?? '');
}

/** ruleToForm fills the form from a stored rule, or with the defaults for a new one. */
export function ruleToForm(r?: Rule | RuleIn): RuleForm {
  const num = (v: number | undefined, d: number) => String(v ?? d);
  return {
    name: r?.name ?? '',
    engine: r ? r.engine || ALL_ENGINES : ALL_ENGINES,
    enabled: r?.enabled ?? true,
    kind: r?.kind === 'health' ? 'health' : 'log',
    when: (r?.when ?? []).map((c) => newCondition(c.column, c.op, conditionValueText(c))),
    word: r?.word ?? '',
    count: num(r?.count, DEFAULTS.count),
    window_s: num(r?.window_s, DEFAULTS.window_s),
    cooldown_s: num(r?.cooldown_s, DEFAULTS.cooldown_s),
    group_by: r?.group_by ?? '',
    max_groups: num(r?.max_groups, DEFAULTS.max_groups),
    health: r?.health ?? '',
    threshold: r?.threshold != null && r.kind === 'health' && healthInfo(r.health)?.threshold ? String(r.threshold) : '',
    sender: r?.sender ?? '',
    channels: [...(r?.channels ?? [])],
  };
}

export function healthInfo(h: string | undefined) {
  return HEALTH.find((x) => x.value === h);
}

/** formToRule builds the API body: a log rule carries its conditions, word, threshold and
 * grouping; a health rule its condition, threshold and sender where they apply. Call it on
 * a form without validation problems. */
export function formToRule(f: RuleForm): RuleIn {
  const base: RuleIn = {
    name: f.name.trim(),
    engine: f.engine === ALL_ENGINES ? '' : f.engine,
    enabled: f.enabled,
    kind: f.kind,
    cooldown_s: Number(f.cooldown_s),
    channels: [...f.channels],
  };
  if (f.kind === 'health') {
    const info = healthInfo(f.health);
    const r: RuleIn = { ...base, health: f.health as HealthCondition };
    if (info?.threshold) r.threshold = Number(f.threshold);
    if (info?.sender && f.sender.trim()) r.sender = f.sender.trim();
    return r;
  }
  const r: RuleIn = {
    ...base,
    when: f.when.map((c) => ({ column: c.column.trim(), op: c.op, value: c.op === 'in' ? splitValues(c.value) : c.value })),
    count: Number(f.count),
    window_s: Number(f.window_s),
    max_groups: Number(f.max_groups),
  };
  if (f.word.trim()) r.word = f.word.trim();
  if (f.group_by.trim()) r.group_by = f.group_by.trim();
  return r;
}

/** ruleToIn turns a listed rule back into its body (e.g. to switch it on or off). */
export function ruleToIn(r: Rule): RuleIn {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { firing, last_fired_at, fired_total, suppressed_total, ...body } = r;
  return body;
}

function isInt(text: string, min: number): boolean {
  const n = Number(text);
  return text.trim() !== '' && Number.isInteger(n) && n >= min;
}

/** Problems maps a field path (the server's names: "name", "when[0].column", ...) to why it
 * cannot be sent; empty when the form may be sent. */
export type Problems = Record<string, string>;

export function validateRule(f: RuleForm, editing = false): Problems {
  const p: Problems = {};
  if (!editing && !NAME_RE.test(f.name.trim())) p.name = 'Letters, digits, _ and -, 1 to 64';
  if (!isInt(f.cooldown_s, 0)) p.cooldown_s = 'Whole seconds, 0 or more';
  if (f.kind === 'health') {
    const info = healthInfo(f.health);
    if (!info) p.health = 'Choose a condition';
    else if (info.threshold) {
      const n = Number(f.threshold);
      if (f.threshold.trim() === '' || !Number.isFinite(n) || n <= 0) p.threshold = 'A number above 0';
      else if (f.health === 'disk_free_below' && n >= 100) p.threshold = 'A percent below 100';
    }
    return p;
  }
  if (f.when.length === 0 && !f.word.trim()) p.when = 'Add a condition or a word';
  f.when.forEach((c, i) => {
    if (!c.column.trim()) p[`when[${i}].column`] = 'Column required';
    if (c.op === 'in' ? splitValues(c.value).length === 0 : c.value === '') p[`when[${i}].value`] = c.op === 'in' ? 'At least one value' : 'Value required';
    else if (c.op === 'matches' && !regexCompiles(c.value)) p[`when[${i}].value`] = 'Not a valid regular expression';
  });
  if (/\s/.test(f.word.trim())) p.word = 'One word, without spaces';
  if (!isInt(f.count, 1)) p.count = 'Whole number, 1 or more';
  if (!isInt(f.window_s, 1)) p.window_s = 'Whole seconds, 1 or more';
  if (!isInt(f.max_groups, 1)) p.max_groups = 'Whole number, 1 or more';
  return p;
}

// regexCompiles is a first check only: the server compiles RE2 and names the field if
// it disagrees (RE2 has no lookaround or backreferences; JavaScript has no \C or \z).
function regexCompiles(re: string): boolean {
  try {
    new RegExp(re);
    return true;
  } catch {
    return false;
  }
}

/** fieldsShown lists the fields the dialog shows for a form, so a server error on any of
 * them lands on that field and any other is shown above the form. */
export function fieldsShown(f: RuleForm): (field: string) => boolean {
  const common = ['name', 'engine', 'enabled', 'kind', 'cooldown_s', 'channels'];
  const log = ['when', 'word', 'count', 'window_s', 'group_by', 'max_groups'];
  const info = healthInfo(f.health);
  const health = ['health', ...(info?.threshold ? ['threshold'] : []), ...(info?.sender ? ['sender'] : [])];
  return (field: string) => {
    const top = field.replace(/[[.].*$/, '');
    if (common.includes(top)) return field === top || top === 'channels';
    if (f.kind === 'health') return health.includes(field);
    if (top === 'when') {
      const at = conditionField(field);
      return field === 'when' || (!!at && at.row < f.when.length);
    }
    return log.includes(field);
  };
}

/** conditionField parses "when[2].value" into {row: 2, part: "value"}; "when[2]" gives
 * part "". Anything else gives undefined. */
export function conditionField(field: string | undefined): { row: number; part: string } | undefined {
  const m = /^when\[(\d+)\](?:\.(\w+))?/.exec(field ?? '');
  return m ? { row: Number(m[1]), part: m[2] ?? '' } : undefined;
}

/** describeRule renders a rule's condition as one line for the list. */
export function describeRule(r: RuleIn): string {
  if (r.kind === 'health') {
    const info = healthInfo(r.health);
    if (!info) return r.health ?? 'health';
    if (r.health === 'disk_free_below') return `${info.label} ${r.threshold ?? ''} %`;
    if (r.health === 'no_logs') return `${info.label} ${r.threshold ?? ''} min${r.sender ? ` from ${r.sender}` : ''}`;
    return info.label;
  }
  const parts = (r.when ?? []).map((c) => {
    const op = OPS.find((o) => o.value === c.op)?.label ?? c.op;
    const v = Array.isArray(c.value) ? `[${c.value.join(', ')}]` : JSON.stringify(c.value);
    return `${c.column} ${op} ${v}`;
  });
  if (r.word) parts.push(`word "${r.word}"`);
  return parts.join(' AND ') || '–';
}

/** describeThreshold renders a log rule's threshold: "≥ 5 in 60 s". */
export function describeThreshold(r: RuleIn): string {
  if (r.kind === 'health') return '–';
  return `≥ ${r.count ?? DEFAULTS.count} in ${r.window_s ?? DEFAULTS.window_s} s${r.group_by ? ` per ${r.group_by}` : ''}`;
}

const HEAD_COLUMNS = ['log_sender_ip', 'client', 'time_zone'];
const HEADER_COLUMNS = ['facility', 'severity', 'host', 'app', 'procid', 'msgid', 'header_time', 'structured_data'];

/** columnSuggestions lists the columns a condition or group-by may name (docs/alerts.md):
 * log_sender_ip, client, time_zone, the header columns of engines that parse headers,
 * their class columns, then original_log. Pass the rule's engine, or every engine for a
 * rule on all engines (a column is accepted when some engine has it). Suggestions only:
 * the server checks the column and names the field when it is unknown. */
export function columnSuggestions(engines: { syslog_header?: string; columns: string[] }[]): string[] {
  const out = [...HEAD_COLUMNS];
  if (engines.some((e) => (e.syslog_header ?? 'none') !== 'none')) out.push(...HEADER_COLUMNS);
  for (const e of engines) out.push(...e.columns);
  out.push('original_log');
  return [...new Set(out)];
}
