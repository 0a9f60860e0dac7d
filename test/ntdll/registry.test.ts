// RtlQueryRegistryValues and the registry helpers against a JavaScript
// registry: direct storage of every kind, defaults, REQUIRED, expansion,
// multi-strings, subkeys, deletion, relative roots, a callback's status.
import { beforeEach, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap, hex, utf16, dword } from './host.ts';

const SUBKEY = 1, TOPKEY = 2, REQUIRED = 4, NOVALUE = 8, NOEXPAND = 0x10, DIRECT = 0x20, DELETE = 0x40;
const REG_SZ = 1, REG_EXPAND_SZ = 2, REG_BINARY = 3, REG_DWORD = 4, REG_MULTI_SZ = 7;
const RTL_REGISTRY_ABSOLUTE = 0, RTL_REGISTRY_CONTROL = 2, RTL_REGISTRY_HANDLE = 0x40000000;
const SM = '\\Registry\\Machine\\System\\CurrentControlSet\\Control\\Session Manager';

let h: NtdllHost;
let x: Record<string, any>;
let routine: number;
let calls: Array<{ name: string | null; type: number; data: string; length: number; context: number; entry: number }>;
let answer: (n: number) => number;
beforeEach(async () => {
  h = await processWithHeap(); x = h.exports;
  const params = h.alloc(0x298, 4);
  h.w32(h.peb + 0x10, params);
  const sm = h.key(SM, true)!;
  h.setValue(sm, 'ProtectionMode', REG_DWORD, dword(1));
  h.setValue(sm, 'BootExecute', REG_MULTI_SZ, utf16('autocheck autochk *\0second\0\0'));
  h.setValue(sm, 'Path', REG_EXPAND_SZ, utf16('%SystemRoot%\\System32\0'));
  h.setValue(sm, 'Blob', REG_BINARY, new Uint8Array([1, 2, 3, 4, 5, 6]));
  h.setValue(sm, 'Name', REG_SZ, utf16('smss\0'));
  const env = h.key(SM + '\\Environment', true)!;
  h.setValue(env, 'OS', REG_SZ, utf16('Windows_NT\0'));
  h.setValue(env, 'windir', REG_EXPAND_SZ, utf16('%SystemRoot%\0'));
  h.key(SM + '\\Empty', true);
  routine = x.TestQueryRoutineAddress();
  calls = [];
  answer = () => 0;
  h.services.queryRoutine = (name, type, data, length, context, entry) => {
    const bytes = h.u8.slice(data, data + length);
    const text = type === REG_SZ || type === REG_EXPAND_SZ || type === REG_MULTI_SZ
      ? String.fromCharCode(...new Uint16Array(bytes.buffer, 0, length >> 1)) : [...bytes].join(',');
    calls.push({ name: name ? h.readW(name) : null, type, data: text, length, context, entry });
    return answer(calls.length);
  };
});

interface Entry { routine?: number; flags?: number; name?: string; entry?: number; defaultType?: number; defaultData?: number; defaultLength?: number }
const table = (entries: Entry[]): number => {
  const t = h.alloc((entries.length + 1) * 28, 4);
  entries.forEach((e, i) => {
    const a = t + i * 28;
    h.w32(a, e.routine ?? 0); h.w32(a + 4, e.flags ?? 0); h.w32(a + 8, e.name ? h.wstr(e.name) : 0); h.w32(a + 12, e.entry ?? 0);
    h.w32(a + 16, e.defaultType ?? 0); h.w32(a + 20, e.defaultData ?? 0); h.w32(a + 24, e.defaultLength ?? 0);
  });
  return t;
};
const query = (entries: Entry[], relativeTo = RTL_REGISTRY_CONTROL, path: string | number = 'Session Manager', environment = 0) =>
  hex(x.RtlQueryRegistryValues(relativeTo, typeof path === 'string' ? h.wstr(path) : path, table(entries), 0x5150, environment));
const environmentWith = (name: string, value: string) => {
  const slot = h.alloc(4);
  x.RtlCreateEnvironment(0, slot);
  x.RtlSetEnvironmentVariable(slot, h.us(name), h.us(value));
  return h.r32(slot);
};

describe('RtlQueryRegistryValues, direct', () => {
  it('a DWORD, strings into allocated and caller buffers, binary in both sized forms', () => {
    const dw = h.alloc(4), name = h.alloc(8), small = h.ubuf(4), neg = h.alloc(16), pos = h.alloc(16);
    h.w32(neg, -8 >>> 0); h.w32(pos, 16);
    expect(query([
      { flags: DIRECT, name: 'ProtectionMode', entry: dw },
      { flags: DIRECT, name: 'Name', entry: name },
      { flags: DIRECT, name: 'Blob', entry: neg },
      { flags: DIRECT, name: 'Blob', entry: pos },
    ])).toBe(hex(0));
    expect(h.r32(dw)).toBe(1);
    expect(h.readUS(name)).toBe('smss');
    expect(h.r16(name + 2)).toBe(10);
    expect(x.RtlSizeHeap(h.r32(h.peb + 0x18), 0, h.r32(name + 4))).toBe(10);
    expect([...h.u8.slice(neg, neg + 8)]).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
    expect([h.r32(pos), h.r32(pos + 4), ...h.u8.slice(pos + 8, pos + 14)]).toEqual([6, REG_BINARY, 1, 2, 3, 4, 5, 6]);
    expect(query([{ flags: DIRECT, name: 'Name', entry: small }])).toBe(hex(0xC0000023));
    const tooSmall = h.alloc(16); h.w32(tooSmall, -4 >>> 0);
    expect(query([{ flags: DIRECT, name: 'Blob', entry: tooSmall }])).toBe(hex(0xC0000023));
  });
  it('REG_EXPAND_SZ is expanded with the Environment argument unless NOEXPAND', () => {
    const env = environmentWith('SystemRoot', 'C:\\Windows');
    const a = h.alloc(8), b = h.alloc(8);
    expect(query([{ flags: DIRECT, name: 'Path', entry: a }, { flags: DIRECT | NOEXPAND, name: 'Path', entry: b }], RTL_REGISTRY_CONTROL, 'Session Manager', env)).toBe(hex(0));
    expect(h.readUS(a)).toBe('C:\\Windows\\System32');
    expect(h.readUS(b)).toBe('%SystemRoot%\\System32');
  });
  it('missing values: REQUIRED fails with STATUS_OBJECT_NAME_NOT_FOUND, a default stands in, REG_NONE skips', () => {
    const dw = h.alloc(4), def = h.alloc(4), s = h.alloc(8);
    h.w32(dw, 77); h.w32(def, 42);
    expect(query([{ flags: DIRECT, name: 'Nope', entry: dw }])).toBe(hex(0));
    expect(h.r32(dw)).toBe(77);
    expect(query([{ flags: DIRECT, name: 'Nope', entry: dw, defaultType: REG_DWORD, defaultData: def, defaultLength: 4 }])).toBe(hex(0));
    expect(h.r32(dw)).toBe(42);
    expect(query([{ flags: DIRECT, name: 'Nope', entry: s, defaultType: REG_SZ, defaultData: h.wstr('fallback'), defaultLength: 0 }])).toBe(hex(0));
    expect(h.readUS(s)).toBe('fallback');
    h.w32(dw, 5);
    expect(query([{ flags: DIRECT | REQUIRED, name: 'Nope', entry: dw, defaultType: REG_DWORD, defaultData: def, defaultLength: 4 },
      { flags: DIRECT, name: 'ProtectionMode', entry: dw }])).toBe(hex(0xC0000034));
    expect(h.r32(dw)).toBe(5); // the query stopped at the REQUIRED entry
  });
});

describe('RtlQueryRegistryValues, routines', () => {
  it('a named value, a multi-string split per string (or whole with NOEXPAND), context and entry context', () => {
    expect(query([
      { routine, name: 'ProtectionMode', entry: 0x111 },
      { routine, name: 'BootExecute', entry: 0x222 },
      { routine, flags: NOEXPAND, name: 'BootExecute' },
    ])).toBe(hex(0));
    expect(calls[0]).toEqual({ name: 'ProtectionMode', type: REG_DWORD, data: '1,0,0,0', length: 4, context: 0x5150, entry: 0x111 });
    expect(calls.slice(1, 3).map((c) => [c.name, c.type, c.data, c.length, c.entry])).toEqual([
      ['BootExecute', REG_SZ, 'autocheck autochk *\0', 40, 0x222], ['BootExecute', REG_SZ, 'second\0', 14, 0x222],
    ]);
    expect([calls[3].type, calls[3].length]).toEqual([REG_MULTI_SZ, 56]);
    expect(calls.length).toBe(4);
  });
  it('no name: every value of the key, REG_EXPAND_SZ passed as expanded REG_SZ', () => {
    const env = environmentWith('SystemRoot', 'C:\\WINDOWS');
    expect(query([{ routine }], RTL_REGISTRY_ABSOLUTE, SM + '\\Environment', env)).toBe(hex(0));
    expect(calls.map((c) => [c.name, c.type, c.data])).toEqual([['OS', REG_SZ, 'Windows_NT\0'], ['windir', REG_SZ, 'C:\\WINDOWS\0']]);
  });
  it('an empty key: REQUIRED fails, NOVALUE still calls once with no value', () => {
    expect(query([{ routine, flags: REQUIRED }], RTL_REGISTRY_ABSOLUTE, SM + '\\Empty')).toBe(hex(0xC0000034));
    expect(query([{ routine }], RTL_REGISTRY_ABSOLUTE, SM + '\\Empty')).toBe(hex(0));
    expect(calls.length).toBe(0);
    expect(query([{ routine, flags: NOVALUE, entry: 9 }], RTL_REGISTRY_ABSOLUTE, SM + '\\Empty')).toBe(hex(0));
    expect(calls).toEqual([{ name: null, type: 0, data: '', length: 0, context: 0x5150, entry: 9 }]);
  });
  it('a routine\'s failure ends the query with its status', () => {
    answer = (n) => (n === 2 ? 0xC0000001 : 0);
    expect(query([{ routine, name: 'Name' }, { routine, name: 'ProtectionMode' }, { routine, name: 'Blob' }])).toBe(hex(0xC0000001));
    expect(calls.map((c) => c.name)).toEqual(['Name', 'ProtectionMode']);
  });
  it('SUBKEY reads a subkey (all its values with a routine), TOPKEY goes back, a missing subkey is skipped unless REQUIRED', () => {
    const os = h.alloc(8), dw = h.alloc(4), skipped = h.alloc(4);
    h.w32(skipped, 99);
    expect(query([
      { flags: SUBKEY, name: 'Environment' },
      { flags: DIRECT, name: 'OS', entry: os },
      { routine: 0, flags: TOPKEY },
      { flags: DIRECT, name: 'ProtectionMode', entry: dw },
      { routine, flags: SUBKEY, name: 'Environment' },
      { flags: SUBKEY, name: 'Missing' },
      { flags: DIRECT, name: 'OS', entry: skipped },
    ])).toBe(hex(0));
    expect(h.readUS(os)).toBe('Windows_NT');
    expect(h.r32(dw)).toBe(1);
    expect(calls.map((c) => c.name)).toEqual(['OS', 'windir']);
    expect(h.r32(skipped)).toBe(99);
    expect(query([{ flags: SUBKEY | REQUIRED, name: 'Missing' }])).toBe(hex(0xC0000034));
  });
  it('DELETE removes the value after passing it on; every handle is closed', () => {
    const dw = h.alloc(4);
    expect(query([{ flags: DIRECT | DELETE, name: 'ProtectionMode', entry: dw }])).toBe(hex(0));
    expect(h.r32(dw)).toBe(1);
    expect(h.key(SM)!.values.map((v) => v.name)).not.toContain('ProtectionMode');
    expect(h.handles.size).toBe(0);
  });
  it('roots: a missing key, RTL_REGISTRY_HANDLE (not closed), an unknown RelativeTo', () => {
    expect(query([{ routine }], RTL_REGISTRY_CONTROL, 'Nothing Here')).toBe(hex(0xC0000034));
    const hp = h.alloc(4), oa = h.alloc(24);
    h.w32(oa, 24); h.w32(oa + 8, h.us(SM + '\\Environment')); h.w32(oa + 12, 0x40);
    expect(h.call('NtOpenKey', [hp, 0x20019, oa])).toBe(0);
    const handle = h.r32(hp);
    expect(query([{ routine, name: 'OS' }], RTL_REGISTRY_HANDLE, handle)).toBe(hex(0));
    expect(calls[0].data).toBe('Windows_NT\0');
    expect(h.handles.has(handle)).toBe(true);
    expect(query([{ routine }], 9, 'x')).toBe(hex(0xC000000D));
  });
});

describe('registry helpers', () => {
  it('RtlWriteRegistryValue creates the key and sets the value; RtlCheckRegistryKey; RtlDeleteRegistryValue', () => {
    expect(hex(x.RtlCheckRegistryKey(RTL_REGISTRY_CONTROL, h.wstr('Session Manager\\Memory Management')))).toBe(hex(0xC0000034));
    const data = h.alloc(4); h.w32(data, 0x1000);
    expect(x.RtlWriteRegistryValue(RTL_REGISTRY_CONTROL, h.wstr('Session Manager\\Memory Management'), h.wstr('PagingFiles'), REG_DWORD, data, 4)).toBe(0);
    expect(x.RtlCheckRegistryKey(RTL_REGISTRY_CONTROL, h.wstr('Session Manager\\Memory Management'))).toBe(0);
    const v = h.key(SM + '\\Memory Management')!.values[0];
    expect([v.name, v.type, [...v.data]]).toEqual(['PagingFiles', REG_DWORD, [0, 0x10, 0, 0]]);
    expect(x.RtlDeleteRegistryValue(RTL_REGISTRY_CONTROL, h.wstr('Session Manager\\Memory Management'), h.wstr('PagingFiles'))).toBe(0);
    expect(h.key(SM + '\\Memory Management')!.values.length).toBe(0);
    expect(hex(x.RtlDeleteRegistryValue(RTL_REGISTRY_CONTROL, h.wstr('Session Manager'), h.wstr('nope')))).toBe(hex(0xC0000034));
    expect(x.RtlCreateRegistryKey(RTL_REGISTRY_ABSOLUTE, h.wstr('\\Registry\\Machine\\System\\NewKey'))).toBe(0);
    expect(h.key('\\Registry\\Machine\\System\\NewKey')).toBeDefined();
    expect(h.handles.size).toBe(0);
  });
});
