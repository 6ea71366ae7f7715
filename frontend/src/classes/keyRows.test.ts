import { describe, expect, it } from 'vitest';
import { fieldKey, keyProblem, moveRow, newRow, removeRow, rowsFromClass, toPatterns, updateRow } from './keyRows';

const names = (rows: { key: string }[]) => rows.map((r) => r.key);

describe('key rows', () => {
  it('builds rows in the class key order', () => {
    expect(names(rowsFromClass({ b: '2', a: '1', c: '3' }, ['a', 'b']))).toEqual(['a', 'b', 'c']);
  });
  it('moves rows up and down within bounds', () => {
    const rows = [newRow('a'), newRow('b'), newRow('c')];
    expect(names(moveRow(rows, 2, -1))).toEqual(['a', 'c', 'b']);
    expect(names(moveRow(rows, 0, 1))).toEqual(['b', 'a', 'c']);
    expect(moveRow(rows, 0, -1)).toBe(rows);
    expect(moveRow(rows, 2, 1)).toBe(rows);
  });
  it('removes and updates a row', () => {
    const rows = [newRow('a'), newRow('b')];
    expect(names(removeRow(rows, 0))).toEqual(['b']);
    expect(updateRow(rows, 1, { regex: 'x' })[1].regex).toBe('x');
  });
  it('turns rows into ordered patterns, skipping empty and duplicate keys', () => {
    const got = toPatterns([newRow('zeta', 'z'), newRow('', 'ignored'), newRow('alpha', 'a'), newRow('zeta', 'dup')]);
    expect(got.keys).toEqual(['zeta', 'alpha']);
    expect(JSON.stringify(got.patterns)).toBe('{"zeta":"z","alpha":"a"}');
  });
  it('flags invalid, reserved and duplicate keys', () => {
    const rows = [newRow('Bad'), newRow('time'), newRow('ok'), newRow('ok'), newRow('')];
    expect(keyProblem(rows, 0)).toMatch(/lowercase/);
    expect(keyProblem(rows, 1)).toMatch(/reserved/);
    expect(keyProblem(rows, 2)).toBeNull();
    expect(keyProblem(rows, 3)).toMatch(/duplicate/);
    expect(keyProblem(rows, 4)).toBeNull();
  });
  it('maps API error fields to key names', () => {
    expect(fieldKey('patterns.pppoe')).toBe('pppoe');
    expect(fieldKey('pppoe')).toBe('pppoe');
    expect(fieldKey(undefined)).toBeUndefined();
  });
});
