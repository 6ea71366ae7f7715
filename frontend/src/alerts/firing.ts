// Which engines have alerts firing now, from GET /alerts/firing.
import type { Firing } from '../api/types';

/** firingByEngine groups the firing rules by engine: engine -> the distinct rule names,
 * sorted. An entry without an engine names no engine and is left out. */
export function firingByEngine(list: Firing[] | undefined): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const f of list ?? []) {
    if (!f.engine) continue;
    const rules = m.get(f.engine) ?? [];
    if (!rules.includes(f.rule)) rules.push(f.rule);
    m.set(f.engine, rules);
  }
  for (const rules of m.values()) rules.sort();
  return m;
}

/** firingRules is the set of rule names firing on any engine. */
export function firingRules(list: Firing[] | undefined): Set<string> {
  return new Set((list ?? []).map((f) => f.rule));
}

/** badgeTitle explains a badge: "Firing: rule-a, rule-b". */
export function badgeTitle(rules: string[]): string {
  return `Firing: ${rules.join(', ')}`;
}
