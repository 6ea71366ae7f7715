import { describe, expect, it } from 'vitest';
import type { Rule, RuleIn } from '../api/types';
import {
  ALL_ENGINES,
  changeOp,
  columnSuggestions,
  conditionField,
  describeRule,
  describeThreshold,
  fieldsShown,
  formToRule,
  newCondition,
  ruleToForm,
  ruleToIn,
  splitValues,
  validateRule,
  type RuleForm,
} from './ruleForm';

const logRule: RuleIn = {
  name: 'pppoe-fail',
  engine: 'mikrotik',
  enabled: true,
  kind: 'log',
  when: [
    { column: 'severity', op: 'equals', value: 'err' },
    { column: 'user', op: 'in', value: ['alice', 'bob'] },
    { column: 'msg', op: 'matches', value: 'fail(ed|ure)' },
  ],
  word: 'pppoe',
  count: 5,
  window_s: 120,
  cooldown_s: 600,
  group_by: 'user',
  max_groups: 50,
  channels: ['ops-hook', 'mail'],
};

const healthRule: RuleIn = {
  name: 'disk',
  engine: '',
  enabled: false,
  kind: 'health',
  health: 'disk_free_below',
  threshold: 10,
  cooldown_s: 3600,
  channels: ['mail'],
};

const listed = (r: RuleIn): Rule => ({ ...r, firing: true, last_fired_at: '2026-12-02T10:00:00Z', fired_total: 3, suppressed_total: 7 });

const form = (patch: Partial<RuleForm> = {}): RuleForm => ({ ...ruleToForm(), name: 'r1', ...patch });

describe('rule form', () => {
  it('round-trips a log rule: form and back gives the same body', () => {
    expect(formToRule(ruleToForm(listed(logRule)))).toEqual(logRule);
  });

  it('round-trips a health rule on every engine', () => {
    const f = ruleToForm(listed(healthRule));
    expect(f.engine).toBe(ALL_ENGINES);
    expect(f.threshold).toBe('10');
    expect(formToRule(f)).toEqual(healthRule);
  });

  it('shows an "in" list one value per line and sends it as an array', () => {
    const f = ruleToForm(logRule);
    expect(f.when[1].value).toBe('alice\nbob');
    f.when[1].value = ' alice \n\ncarol\nalice\n';
    expect(formToRule(f).when?.[1].value).toEqual(['alice', 'carol']);
  });

  it('starts a new rule on every engine with the server defaults', () => {
    const f = ruleToForm();
    expect(f).toMatchObject({ engine: ALL_ENGINES, kind: 'log', count: '1', window_s: '60', cooldown_s: '300', max_groups: '1000', enabled: true });
    expect(formToRule({ ...f, name: 'x', word: 'fail' })).toEqual({
      name: 'x',
      engine: '',
      enabled: true,
      kind: 'log',
      when: [],
      word: 'fail',
      count: 1,
      window_s: 60,
      cooldown_s: 300,
      max_groups: 1000,
      channels: [],
    });
  });

  it('sends a health rule without the log fields, and the threshold or sender only where they apply', () => {
    const body = formToRule(form({ kind: 'health', health: 'engine_failed', threshold: '5', sender: 'r1', word: 'x', when: [newCondition('a', 'equals', 'b')] }));
    expect(body).toEqual({ name: 'r1', engine: '', enabled: true, kind: 'health', health: 'engine_failed', cooldown_s: 300, channels: [] });
    const noLogs = formToRule(form({ kind: 'health', health: 'no_logs', threshold: '15', sender: ' router1 ' }));
    expect(noLogs).toMatchObject({ health: 'no_logs', threshold: 15, sender: 'router1' });
  });

  it('turns a listed rule back into its body', () => {
    expect(ruleToIn(listed(logRule))).toEqual(logRule);
  });
});

describe('rule validation', () => {
  it('accepts a word alone or conditions alone', () => {
    expect(validateRule(form({ word: 'fail' }))).toEqual({});
    expect(validateRule(form({ when: [newCondition('user', 'equals', 'bob')] }))).toEqual({});
  });

  it('needs a condition or a word', () => {
    expect(validateRule(form())).toHaveProperty('when');
  });

  it('names each bad condition by its index, like the server', () => {
    const p = validateRule(form({ when: [newCondition('user', 'equals', 'bob'), newCondition('', 'in', '\n \n'), newCondition('msg', 'matches', '(')] }));
    expect(Object.keys(p).sort()).toEqual(['when[1].column', 'when[1].value', 'when[2].value']);
  });

  it('checks the name only on create, and the numbers', () => {
    expect(validateRule(form({ name: 'bad name', word: 'x' }))).toHaveProperty('name');
    expect(validateRule(form({ name: 'bad name', word: 'x' }), true)).not.toHaveProperty('name');
    const p = validateRule(form({ word: 'x', count: '0', window_s: '1.5', cooldown_s: '-1', max_groups: '' }));
    expect(Object.keys(p).sort()).toEqual(['cooldown_s', 'count', 'max_groups', 'window_s']);
    expect(validateRule(form({ word: 'x', cooldown_s: '0' }))).toEqual({});
    expect(validateRule(form({ word: 'two words' }))).toHaveProperty('word');
  });

  it('checks a health rule its condition and threshold', () => {
    expect(validateRule(form({ kind: 'health' }))).toHaveProperty('health');
    expect(validateRule(form({ kind: 'health', health: 'engine_paused' }))).toEqual({});
    expect(validateRule(form({ kind: 'health', health: 'disk_free_below', threshold: '' }))).toHaveProperty('threshold');
    expect(validateRule(form({ kind: 'health', health: 'disk_free_below', threshold: '100' }))).toHaveProperty('threshold');
    expect(validateRule(form({ kind: 'health', health: 'disk_free_below', threshold: '7.5' }))).toEqual({});
    expect(validateRule(form({ kind: 'health', health: 'no_logs', threshold: '0' }))).toHaveProperty('threshold');
  });
});

describe('server error fields', () => {
  it('parses a condition field', () => {
    expect(conditionField('when[1].value')).toEqual({ row: 1, part: 'value' });
    expect(conditionField('when[0]')).toEqual({ row: 0, part: '' });
    expect(conditionField('channels')).toBeUndefined();
    expect(conditionField(undefined)).toBeUndefined();
  });

  it('tells which fields the dialog shows, so others go above the form', () => {
    const log = fieldsShown(form({ when: [newCondition(), newCondition()] }));
    for (const f of ['name', 'engine', 'channels', 'channels[0]', 'when', 'when[1].value', 'word', 'count', 'group_by']) expect(log(f), f).toBe(true);
    for (const f of ['when[2].value', 'health', 'threshold', 'bogus']) expect(log(f), f).toBe(false);
    const health = fieldsShown(form({ kind: 'health', health: 'no_logs' }));
    for (const f of ['health', 'threshold', 'sender', 'cooldown_s']) expect(health(f), f).toBe(true);
    for (const f of ['word', 'when[0].column', 'count']) expect(health(f), f).toBe(false);
    expect(fieldsShown(form({ kind: 'health', health: 'engine_failed' }))('threshold')).toBe(false);
  });
});

describe('rule text', () => {
  it('describes conditions and thresholds', () => {
    expect(describeRule(logRule)).toBe('severity equals "err" AND user is one of [alice, bob] AND msg matches regex "fail(ed|ure)" AND word "pppoe"');
    expect(describeThreshold(logRule)).toBe('≥ 5 in 120 s per user');
    expect(describeRule(healthRule)).toBe('Disk free below 10 %');
    expect(describeRule({ ...healthRule, health: 'no_logs', threshold: 15, sender: 'r1' })).toBe('No logs for 15 min from r1');
    expect(describeThreshold(healthRule)).toBe('–');
  });

  it('suggests the columns of the chosen engines', () => {
    expect(columnSuggestions([])).toEqual(['log_sender_ip', 'client', 'time_zone', 'original_log']);
    const one = columnSuggestions([{ syslog_header: 'auto', columns: ['user', 'src_ip', 'client'] }]);
    expect(one).toContain('severity');
    expect(one.slice(-3)).toEqual(['user', 'src_ip', 'original_log']);
    expect(columnSuggestions([{ syslog_header: 'none', columns: ['user'] }])).not.toContain('severity');
    // every engine: the union
    const all = columnSuggestions([
      { syslog_header: 'none', columns: ['user'] },
      { syslog_header: 'rfc5424', columns: ['pppoe', 'user'] },
    ]);
    expect(all).toContain('severity');
    expect(all.filter((c) => c === 'user')).toHaveLength(1);
    expect(all).toContain('pppoe');
  });

  it('keeps the first value when a condition leaves "in"', () => {
    const c = newCondition('user', 'in', 'alice\nbob');
    expect(changeOp(c, 'equals')).toMatchObject({ op: 'equals', value: 'alice' });
    expect(changeOp(newCondition('user', 'equals', 'a b'), 'in')).toMatchObject({ op: 'in', value: 'a b' });
    expect(changeOp(newCondition('user', 'in', ''), 'contains').value).toBe('');
  });

  it('splits values', () => {
    expect(splitValues('a\r\nb\n\n a \n')).toEqual(['a', 'b']);
  });
});
