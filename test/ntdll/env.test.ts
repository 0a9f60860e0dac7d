// Environment blocks: creation and cloning, sorted case-insensitive
// variables, growth into a new allocation, queries with small buffers, and
// %VAR% expansion (missing variables, lone percents, buffer too small).
import { beforeEach, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap, hex } from './host.ts';

const STATUS_VARIABLE_NOT_FOUND = 0xC0000100, STATUS_BUFFER_TOO_SMALL = 0xC0000023, STATUS_INVALID_PARAMETER = 0xC000000D;
let h: NtdllHost;
let x: Record<string, any>;
let params: number;
beforeEach(async () => {
  h = await processWithHeap(); x = h.exports;
  params = h.alloc(0x298, 4);
  h.w32(h.peb + 0x10, params);
});

/** The block's strings. */
const entries = (env: number): string[] => {
  const out: string[] = [];
  for (let p = env; h.r16(p) !== 0;) { const s = h.readW(p); out.push(s); p += (s.length + 1) * 2; }
  return out;
};
const newEnv = (clone = false): [number, number] => {
  const slot = h.alloc(4);
  expect(x.RtlCreateEnvironment(clone ? 1 : 0, slot)).toBe(0);
  return [slot, h.r32(slot)];
};
const set = (slot: number, name: string, value: string | null) => x.RtlSetEnvironmentVariable(slot, h.us(name), value === null ? 0 : h.us(value)) >>> 0;
const query = (env: number, name: string, max = 200): [string, string] => {
  const v = h.ubuf(max);
  const status = x.RtlQueryEnvironmentVariable_U(env, h.us(name), v) >>> 0;
  return [hex(status), status === 0 ? h.readUS(v) : String(h.r16(v))];
};

describe('environment blocks', () => {
  it('an empty block, set keeps names sorted without case, replaces and removes', () => {
    const [slot, env] = newEnv();
    expect(entries(env)).toEqual([]);
    expect(set(slot, 'Path', 'C:\\Windows')).toBe(0);
    expect(set(slot, 'windir', 'C:\\Windows')).toBe(0);
    expect(set(slot, 'ComSpec', 'cmd.exe')).toBe(0);
    expect(set(slot, '=C:', 'C:\\Temp')).toBe(0);
    expect(set(slot, 'OS', 'Windows_NT')).toBe(0);
    expect(entries(h.r32(slot))).toEqual(['=C:=C:\\Temp', 'ComSpec=cmd.exe', 'OS=Windows_NT', 'Path=C:\\Windows', 'windir=C:\\Windows']);
    expect(set(slot, 'PATH', 'D:\\bin')).toBe(0);
    expect(entries(h.r32(slot))).toContain('PATH=D:\\bin');
    expect(entries(h.r32(slot)).length).toBe(5);
    expect(set(slot, 'os', null)).toBe(0);
    expect(set(slot, 'missing', null)).toBe(0);
    expect(entries(h.r32(slot))).toEqual(['=C:=C:\\Temp', 'ComSpec=cmd.exe', 'PATH=D:\\bin', 'windir=C:\\Windows']);
    expect(set(slot, 'EMPTY', '')).toBe(0);
    expect(query(h.r32(slot), 'empty')).toEqual([hex(0), '']);
  });
  it('bad names are refused', () => {
    const [slot] = newEnv();
    expect(set(slot, '', 'x')).toBe(STATUS_INVALID_PARAMETER);
    expect(set(slot, 'A=B', 'x')).toBe(STATUS_INVALID_PARAMETER);
  });
  it('a block that outgrows its pages moves to a new allocation and the old one is released', () => {
    const [slot, env] = newEnv();
    const long = 'x'.repeat(1000);
    for (let i = 0; i < 10; i++) expect(set(slot, `V${i}`, long)).toBe(0);
    const moved = h.r32(slot);
    expect(moved).not.toBe(env);
    expect(h.regionOf(env)).toBeUndefined();
    expect(entries(moved).length).toBe(10);
    expect(query(moved, 'v9', 3000)).toEqual([hex(0), long]);
  });
  it('a block inside another allocation (a parameter block) moves out to grow and is not released', () => {
    const [slot, env] = newEnv();
    set(slot, 'A', '1');
    const p = h.alloc(4);
    expect(x.RtlCreateProcessParameters(p, h.us('x.exe'), 0, h.us('C:\\'), 0, env, 0, 0, 0, 0)).toBe(0);
    const block = h.r32(p);
    const inside = h.r32(block + 0x48);
    expect(inside).toBe(block + h.r32(block));
    const heap = h.r32(h.peb + 0x18);
    const size = x.RtlSizeHeap(heap, 0, block);
    const envSlot = h.alloc(4); h.w32(envSlot, inside);
    expect(set(envSlot, 'B', '2')).toBe(0);
    const moved = h.r32(envSlot);
    expect(moved).not.toBe(inside);
    expect(entries(moved)).toEqual(['A=1', 'B=2']);
    expect(entries(inside)).toEqual(['A=1']); // the parameter block was not written past its end
    expect(x.RtlSizeHeap(heap, 0, block)).toBe(size);
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
  });
  it('NULL works on the process block, and cloning copies it', () => {
    const [, env] = newEnv();
    h.w32(params + 0x48, env);
    expect(x.RtlSetEnvironmentVariable(0, h.us('SystemRoot'), h.us('C:\\Windows'))).toBe(0);
    expect(query(0, 'SYSTEMROOT')).toEqual([hex(0), 'C:\\Windows']);
    const [, copy] = newEnv(true);
    expect(copy).not.toBe(h.r32(params + 0x48));
    expect(entries(copy)).toEqual(['SystemRoot=C:\\Windows']);
    expect(x.RtlDestroyEnvironment(copy)).toBe(0);
    expect(h.regionOf(copy)).toBeUndefined();
  });
  it('query: not found, exact fit without NUL, too small reports the length', () => {
    const [slot, env] = newEnv();
    set(slot, 'ABC', 'hello');
    expect(query(env, 'AB')).toEqual([hex(STATUS_VARIABLE_NOT_FOUND), '0']);
    expect(query(env, 'ABCD')[0]).toBe(hex(STATUS_VARIABLE_NOT_FOUND));
    const v = h.ubuf(10);
    expect(x.RtlQueryEnvironmentVariable_U(env, h.us('abc'), v)).toBe(0);
    expect(h.readUS(v)).toBe('hello');
    expect(h.r16(h.r32(v + 4) + 10)).toBe(0xEEEE);
    expect(query(env, 'abc', 8)).toEqual([hex(STATUS_BUFFER_TOO_SMALL), '10']);
  });
});

describe('RtlExpandEnvironmentStrings_U', () => {
  it('a short destination holds what Windows leaves there (Wine\'s conformance table)', () => {
    const [slot] = newEnv();
    set(slot, 'TVAR', 'WINE');
    const env = h.r32(slot);
    const table: Array<[string, string, number, number]> = [
      ['Long long value', 'abcdefghijklmnopqrstuv', 0, 16], ['Long long value', 'abcdefghijklmnopqrstuv', 1, 16],
      ['Long long value', 'Lbcdefghijklmnopqrstuv', 2, 16], ['Long long value', 'Long long valuopqrstuv', 15, 16],
      ['Long long value', 'Long long value', 16, 16], ['%TVAR% long long', '', 1, 15], ['%TVAR% long long', '', 4, 15],
      ['%TVAR% long long', 'WINE', 5, 15], ['%TVAR% long long', 'WINE fghijklmnopqrstuv', 6, 15],
      ['%TVAR% long long', 'WINE long long', 15, 15], ['%TVAR%%TVAR% long', 'WINE', 8, 14], ['%TVAR%%TVAR% long', 'WINEWINE', 9, 14],
      ['%TVAR%%TVAR% long', 'WINEWINE jklmnopqrstuv', 10, 14], ['%TVAR% %TVAR% long', 'WINE ', 6, 15],
      ['%TVAR% %TVAR% long', 'WINE WINE llmnopqrstuv', 12, 15], ['%TVAR2% long long', '%TVAR2%hijklmnopqrstuv', 8, 18],
      ['%TVAR2% long long', '%TVAR2% long long', 19, 18], ['%TVAR long long', '%TVAR long lonopqrstuv', 15, 16],
    ];
    for (const [input, want, count, needed] of table) {
      const buf = h.wstr('abcdefghijklmnopqrstuv');
      const d = h.ustring(count * 2, count * 2, buf), len = h.alloc(4);
      const status = x.RtlExpandEnvironmentStrings_U(env, h.us(input), d, len) >>> 0;
      expect([hex(status), h.r32(len) / 2, h.readW(buf)], `${input} ${count}`).toEqual([hex(count >= needed ? 0 : STATUS_BUFFER_TOO_SMALL), needed, want]);
    }
  });
  const expand = (env: number, text: string, max = 400): [string, string, number] => {
    const d = h.ubuf(max), len = h.alloc(4);
    const status = x.RtlExpandEnvironmentStrings_U(env, h.us(text), d, len) >>> 0;
    return [hex(status), status === 0 ? h.readUS(d) : '', h.r32(len)];
  };
  it('expands known names without case, keeps unknown ones and lone percents', () => {
    const [slot] = newEnv();
    set(slot, 'SystemRoot', 'C:\\Windows'); set(slot, 'X', '1');
    const env = h.r32(slot);
    expect(expand(env, '%SYSTEMROOT%\\System32')).toEqual([hex(0), 'C:\\Windows\\System32', 40]);
    expect(expand(env, '%x%%X%')[1]).toBe('11');
    expect(expand(env, '%NOPE%\\a')[1]).toBe('%NOPE%\\a');
    expect(expand(env, '%NOPE%X%')[1]).toBe('%NOPE%X%');
    expect(expand(env, '100%')[1]).toBe('100%');
    expect(expand(env, '%%')[1]).toBe('%%');
    expect(expand(env, '50% of %X%')[1]).toBe('50% of %X%'); // "% of " is an unknown name, then "X%" is text
    expect(expand(env, '')).toEqual([hex(0), '', 2]);
  });
  it('a destination too small gives STATUS_BUFFER_TOO_SMALL and the length needed', () => {
    const [slot] = newEnv();
    set(slot, 'A', 'abcdef');
    const env = h.r32(slot);
    expect(expand(env, '%A%%A%', 24)).toEqual([hex(STATUS_BUFFER_TOO_SMALL), '', 26]);
    expect(expand(env, '%A%%A%', 26)).toEqual([hex(0), 'abcdefabcdef', 26]);
  });
});
