// images/system32/native/status.ts is generated from kernel/sdk/ntstatus.ts
// (scripts/statusnames.ts): the committed file is current, and every status
// value there has a case with one of its names.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATUS_NAMES_PATH, statusNamesSource, statusTable } from '../../scripts/statusnames.ts';

describe('StatusName (images/system32/native/status.ts)', () => {
  it('is the generator\'s output for the current ntstatus.ts', () => {
    expect(readFileSync(STATUS_NAMES_PATH, 'utf8')).toBe(statusNamesSource());
  });

  it('names every value of ntstatus.ts, and the well-known ones by their NT names', () => {
    const src = readFileSync(STATUS_NAMES_PATH, 'utf8');
    const cases = new Map([...src.matchAll(/case (0x[0-9A-F]{8}): return "(\w+)";/g)].map((m) => [Number(m[1]), m[2]]));
    const table = statusTable();
    expect(table.length).toBeGreaterThan(100);
    for (const [name, value] of table) expect(table.filter(([, v]) => v === value).map(([n]) => n), name).toContain(cases.get(value));
    expect(cases.get(0xC0000034)).toBe('STATUS_OBJECT_NAME_NOT_FOUND');
    expect(cases.get(0xC000003A)).toBe('STATUS_OBJECT_PATH_NOT_FOUND');
    expect(cases.get(0)).toBe('STATUS_SUCCESS');
  });
});
