import { describe, expect, it } from 'vitest';
import { badgeTitle, firingByEngine, firingRules } from './firing';
import { browseTarget, deliveryLabel, historyQuery, rowText, statusColor } from './history';
import { formatWhen } from './time';

describe('firing', () => {
  const list = [
    { rule: 'b-rule', engine: 'fw', group: 'alice', since: '2026-12-02T10:00:00Z' },
    { rule: 'b-rule', engine: 'fw', group: 'bob', since: '2026-12-02T10:00:00Z' },
    { rule: 'a-rule', engine: 'fw', group: '', since: '2026-12-02T10:00:00Z' },
    { rule: 'disk', engine: 'web', group: '', since: '2026-12-02T10:00:00Z' },
    { rule: 'orphan', engine: '', group: '', since: '2026-12-02T10:00:00Z' },
  ];

  it('groups firing rules by engine, once per rule', () => {
    const m = firingByEngine(list);
    expect([...m.keys()].sort()).toEqual(['fw', 'web']);
    expect(m.get('fw')).toEqual(['a-rule', 'b-rule']);
    expect(firingByEngine(undefined).size).toBe(0);
    expect(badgeTitle(m.get('fw')!)).toBe('Firing: a-rule, b-rule');
    expect(firingRules(list).size).toBe(4);
  });
});

describe('history', () => {
  it('builds the query without empty filters', () => {
    expect(historyQuery({})).toBe('limit=200');
    expect(historyQuery({ rule: 'r 1', engine: '', limit: 5 })).toBe('limit=5&rule=r+1');
    expect(historyQuery({ rule: null, engine: 'fw' })).toBe('limit=200&engine=fw');
  });

  it('reads deliveries', () => {
    expect(deliveryLabel({ channel: 'hook', status: 'sent', attempts: 1, error: '' })).toBe('hook: sent');
    expect(deliveryLabel({ channel: 'mail', status: 'gave_up', attempts: 9, error: 'x' })).toBe('mail: gave up (9 attempts)');
    expect(statusColor('sent')).toBe('success');
    expect(statusColor('retrying')).toBe('warning');
    expect(statusColor('gave_up')).toBe('error');
    expect(statusColor('other')).toBe('default');
  });

  it('shows a row as its original log, else its values', () => {
    expect(rowText({ user: 'alice', original_log: '<11>kernel panic user=alice' })).toBe('<11>kernel panic user=alice');
    expect(rowText({ user: 'alice', host: null, app: '', time: 't1' })).toBe('user=alice time=t1');
  });

  it('opens a path inside the app and an absolute link as it is', () => {
    expect(browseTarget('/engines/fw/logs?filter=user%3Dbob')).toEqual({ internal: '/engines/fw/logs?filter=user%3Dbob' });
    expect(browseTarget('https://logs.example.com/engines/fw/logs?q=x')).toEqual({ href: 'https://logs.example.com/engines/fw/logs?q=x' });
    expect(browseTarget('')).toBeNull();
  });

  it('formats times in a zone and tolerates missing ones', () => {
    expect(formatWhen('2026-12-02T10:00:05Z', 'UTC')).toBe('2026-12-02 10:00:05');
    expect(formatWhen('2026-12-02T10:00:05+02:00', 'UTC')).toBe('2026-12-02 08:00:05');
    expect(formatWhen(null)).toBe('–');
    expect(formatWhen('garbage')).toBe('–');
  });
});
