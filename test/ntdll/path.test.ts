// DOS paths: kinds, full paths against a current directory, NT paths,
// device names, and the search along a path list (files answered by a
// JavaScript NtQueryAttributesFile).
import { beforeEach, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap, hex } from './host.ts';

let h: NtdllHost;
let x: Record<string, any>;
let params: number;
const setCwd = (dir: string) => { const u = params + 0x24; const b = h.alloc(520, 2); for (let i = 0; i < dir.length; i++) h.w16(b + i * 2, dir.charCodeAt(i)); h.w16(u, dir.length * 2); h.w16(u + 2, 520); h.w32(u + 4, b); };
beforeEach(async () => {
  h = await processWithHeap(); x = h.exports;
  params = h.alloc(0x298, 4);
  h.w32(h.peb + 0x10, params);
  setCwd('C:\\Windows\\System32\\');
  const env = h.alloc(4);
  x.RtlCreateEnvironment(0, env);
  x.RtlSetEnvironmentVariable(env, h.us('=D:'), h.us('D:\\Games'));
  h.w32(params + 0x48, h.r32(env));
});

const full = (name: string, size = 1024): [string, string | null] => {
  const buf = h.alloc(size + 2), part = h.alloc(4);
  const bytes = x.RtlGetFullPathName_U(h.wstr(name), size, buf, part);
  if (bytes > size) return [`needs ${bytes}`, null];
  const p = h.r32(part);
  return [h.readW(buf, bytes / 2), p ? h.readW(p) : null];
};

describe('path kinds', () => {
  it('RtlDetermineDosPathNameType_U', () => {
    const kinds: Record<string, number> = {
      '\\\\server\\share': 1, '//server/share': 1, 'C:\\x': 2, 'c:/x': 2, 'C:x': 3, 'C:': 3, '\\x': 4, '/x': 4,
      'x': 5, '': 5, '.': 5, '\\\\.\\COM1': 6, '\\\\?\\C:\\x': 6, '//./x': 6, '\\\\.': 7, '\\\\?': 7, '\\\\.x': 1,
    };
    for (const [path, kind] of Object.entries(kinds)) expect(x.RtlDetermineDosPathNameType_U(h.wstr(path)), path).toBe(kind);
  });
  it('RtlIsDosDeviceName_U: offset and length in bytes of the device in the last component', () => {
    const dev = (p: string) => { const v = x.RtlIsDosDeviceName_U(h.wstr(p)) >>> 0; return [v >>> 16, v & 0xFFFF]; };
    expect(dev('NUL')).toEqual([0, 6]);
    expect(dev('con')).toEqual([0, 6]);
    expect(dev('C:\\dir\\com1.txt')).toEqual([14, 8]);
    expect(dev('lpt9:')).toEqual([0, 8]);
    expect(dev('AUX  ')).toEqual([0, 6]);
    expect(dev('C:nul')).toEqual([4, 6]);
    expect(dev('COM0')).toEqual([0, 0]);
    expect(dev('console')).toEqual([0, 0]);
    expect(dev('\\\\server\\share\\nul')).toEqual([0, 0]);
    expect(dev('nul\\x')).toEqual([0, 0]);
  });
});

describe('RtlGetFullPathName_U', () => {
  it('relative, rooted, absolute, dots, slashes and repeated separators', () => {
    const table: Array<[string, string, string | null]> = [
      ['foo.txt', 'C:\\Windows\\System32\\foo.txt', 'foo.txt'],
      ['..\\a/b', 'C:\\Windows\\a\\b', 'b'],
      ['..\\..\\..\\..', 'C:\\', null],
      ['.', 'C:\\Windows\\System32', 'System32'],
      ['.\\', 'C:\\Windows\\System32\\', null],
      ['\\Temp\\x', 'C:\\Temp\\x', 'x'],
      ['/', 'C:\\', null],
      ['c:/a//b\\\\c', 'c:\\a\\b\\c', 'c'],
      ['C:\\a\\.\\b\\..\\c\\', 'C:\\a\\c\\', null],
      ['C:\\a\\b. .', 'C:\\a\\b', 'b'],
      ['C:\\..\\x', 'C:\\x', 'x'],
      ['C:x', 'C:\\Windows\\System32\\x', 'x'],
      ['c:x', 'C:\\Windows\\System32\\x', 'x'],
      ['D:save', 'D:\\Games\\save', 'save'],
      ['E:y', 'E:\\y', 'y'],
      ['E:', 'E:\\', null],
      ['\\\\server\\share\\dir\\..\\..\\f', '\\\\server\\share\\f', 'f'],
      ['\\\\server\\share', '\\\\server\\share', null],
      ['//server/share/x', '\\\\server\\share\\x', 'x'],
      ['\\\\.\\COM1', '\\\\.\\COM1', 'COM1'],
      ['\\\\.', '\\\\.\\', null],
      ['nul', '\\\\.\\nul', null],
      ['C:\\dir\\con.txt', '\\\\.\\con', null],
    ];
    for (const [name, want, part] of table) expect(full(name), name).toEqual([want, part]);
  });
  it('rooted paths against a UNC current directory keep the share', () => {
    setCwd('\\\\srv\\sh\\dir\\');
    expect(full('\\x')).toEqual(['\\\\srv\\sh\\x', 'x']);
    expect(full('y\\..\\..\\..\\z')).toEqual(['\\\\srv\\sh\\z', 'z']);
  });
  it('too small a buffer returns the bytes needed with the NUL and writes nothing', () => {
    expect(full('C:\\abc', 12)).toEqual(['needs 14', null]);
    expect(full('C:\\abc', 14)).toEqual(['C:\\abc', 'abc']);
    expect(x.RtlGetFullPathName_U(h.wstr(''), 100, h.alloc(100), 0)).toBe(0);
  });
  it('RtlGetCurrentDirectory_U drops the trailing separator but not a root\'s', () => {
    const buf = h.alloc(100);
    expect(x.RtlGetCurrentDirectory_U(100, buf)).toBe(38);
    expect(h.readW(buf)).toBe('C:\\Windows\\System32');
    setCwd('C:\\');
    expect(x.RtlGetCurrentDirectory_U(100, buf)).toBe(6);
    expect(h.readW(buf)).toBe('C:\\');
    expect(x.RtlGetCurrentDirectory_U(4, buf)).toBe(8);
  });
});

describe('RtlSetCurrentDirectory_U', () => {
  it('opens the directory, keeps a trailing separator, closes the old handle; a failure changes nothing', () => {
    const dirs = new Set(['\\??\\C:\\Windows\\', '\\??\\D:\\Games\\']);
    const opened: string[] = [], closed: number[] = [];
    let next = 0x40;
    const misaligned: number[] = [];
    h.services.NtOpenFile = (handle, access, oa, iosb, share, options) => {
      // The kernel's probes refuse misaligned arguments (STATUS_ACCESS_VIOLATION).
      for (const p of [handle, oa, iosb]) if (p % 4 !== 0) { misaligned.push(p); return 0xC0000005; }
      const name = h.readUS(h.r32(oa + 8));
      opened.push(`${name} ${access.toString(16)} ${share} ${options.toString(16)}`);
      if (!dirs.has(name)) return 0xC0000103; // STATUS_NOT_A_DIRECTORY
      h.w32(handle, next += 4); return 0;
    };
    h.services.NtClose = (handle) => { closed.push(handle); return 0; };
    h.w32(params + 0x2C, 0x30);
    expect(x.RtlSetCurrentDirectory_U(h.us('..'))).toBe(0);
    expect(h.readUS(params + 0x24)).toBe('C:\\Windows\\');
    expect(h.r32(params + 0x2C)).toBe(0x44);
    expect(closed).toEqual([0x30]);
    expect(opened[0]).toBe('\\??\\C:\\Windows\\ 100020 3 21');
    expect(x.RtlSetCurrentDirectory_U(h.us('D:/Games'))).toBe(0);
    expect(h.readUS(params + 0x24)).toBe('D:\\Games\\');
    expect(x.RtlSetCurrentDirectory_U(h.us('nowhere')) >>> 0).toBe(0xC0000103);
    expect(h.readUS(params + 0x24)).toBe('D:\\Games\\');
    expect(h.r32(params + 0x2C)).toBe(0x48);
    expect(x.RtlSetCurrentDirectory_U(h.us('D:\\' + 'x'.repeat(300))) >>> 0).toBe(0xC0000106); // longer than the 520-byte buffer
    for (const d of ['D:\\Games\\a', 'D:\\Games\\ab', 'D:\\Games\\abc', 'D:\\Games\\abcd']) x.RtlSetCurrentDirectory_U(h.us(d));
    expect(misaligned).toEqual([]);
  });
});

describe('RtlDosPathNameToNtPathName_U', () => {
  const nt = (dos: string): [string, string | null] | false => {
    const u = h.alloc(8), part = h.alloc(4), rel = h.alloc(16);
    h.u8.fill(0x77, rel, rel + 16);
    if (!x.RtlDosPathNameToNtPathName_U(h.wstr(dos), u, part, rel)) return false;
    expect(h.u8.slice(rel, rel + 16).every((b) => b === 0)).toBe(true);
    expect(h.r16(u + 2)).toBe(h.r16(u) + 2);
    expect(h.r16(h.r32(u + 4) + h.r16(u))).toBe(0);
    const p = h.r32(part);
    if (p) expect(p >= h.r32(u + 4) && p < h.r32(u + 4) + h.r16(u)).toBe(true);
    return [h.readUS(u), p ? h.readW(p) : null];
  };
  it('drive, relative, UNC, devices, \\\\?\\ passed through', () => {
    const table: Array<[string, string, string | null]> = [
      ['C:\\x', '\\??\\C:\\x', 'x'],
      ['C:\\Windows\\..\\boot.ini', '\\??\\C:\\boot.ini', 'boot.ini'],
      ['smss.exe', '\\??\\C:\\Windows\\System32\\smss.exe', 'smss.exe'],
      ['\\\\server\\share\\f.txt', '\\??\\UNC\\server\\share\\f.txt', 'f.txt'],
      ['\\\\.\\COM1', '\\??\\COM1', 'COM1'],
      ['\\\\?\\C:\\a\\..\\b', '\\??\\C:\\a\\..\\b', 'b'],
      ['\\\\?\\C:\\dir\\', '\\??\\C:\\dir\\', null],
      ['NUL', '\\??\\NUL', null],
      ['C:\\', '\\??\\C:\\', null],
    ];
    for (const [dos, want, part] of table) expect(nt(dos), dos).toEqual([want, part]);
    expect(nt('')).toBe(false);
  });
  it('the buffer comes from the process heap', () => {
    const u = h.alloc(8);
    expect(x.RtlDosPathNameToNtPathName_U(h.wstr('a'), u, 0, 0)).toBe(1);
    const heap = h.r32(h.peb + 0x18);
    expect(x.RtlSizeHeap(heap, 0, h.r32(u + 4))).toBe(h.r16(u + 2));
    x.RtlFreeUnicodeString(u);
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
  });
});

describe("Wine's conformance tables (which Windows passes), current directory C:\\windows\\", () => {
  beforeEach(() => setCwd('C:\\windows\\'));
  it('RtlGetFullPathName_U', () => {
    const table: Array<[string, string, string | null]> = [
      ['c:/test', 'c:\\test', 'test'], ['c:/test/', 'c:\\test\\', null], ['c:/test     ', 'c:\\test', 'test'],
      ['c:/test.', 'c:\\test', 'test'], ['c:/test  ....   ..   ', 'c:\\test', 'test'], ['c:/test/  ....   ..   ', 'c:\\test\\', null],
      ['c:/test/..', 'c:\\', null], ['c:/test/.. ', 'c:\\test\\', null], ['c:/TEST', 'c:\\TEST', 'TEST'],
      ['c:/test/file', 'c:\\test\\file', 'file'], ['c:/test./file', 'c:\\test\\file', 'file'], ['c:/test.. /file', 'c:\\test.. \\file', 'file'],
      ['c:/test/././file', 'c:\\test\\file', 'file'], ['c:/test\\\\.\\.\\file', 'c:\\test\\file', 'file'],
      ['c:/test\\test1\\..\\.\\file', 'c:\\test\\file', 'file'], ['c:///test\\.\\.\\file//', 'c:\\test\\file\\', null],
      ['c:///test\\..\\file\\..\\//', 'c:\\', null], ['c:/test../file', 'c:\\test.\\file', 'file'], ['C:\\test', 'C:\\test', 'test'],
      ['c:/', 'c:\\', null], ['c:.', 'C:\\windows', 'windows'], ['c:foo', 'C:\\windows\\foo', 'foo'], ['c:foo/bar', 'C:\\windows\\foo\\bar', 'bar'],
      ['c:./foo', 'C:\\windows\\foo', 'foo'], ['\\foo', 'C:\\foo', 'foo'], ['foo', 'C:\\windows\\foo', 'foo'], ['.', 'C:\\windows', 'windows'],
      ['..', 'C:\\', null], ['...', 'C:\\windows\\', null], ['./foo', 'C:\\windows\\foo', 'foo'], ['foo/..', 'C:\\windows', 'windows'],
      ['AUX', '\\\\.\\AUX', null], ['COM1', '\\\\.\\COM1', null], ['?<>*"|:', 'C:\\windows\\?<>*"|:', '?<>*"|:'],
      ['\\\\foo', '\\\\foo', null], ['//foo', '\\\\foo', null], ['\\/foo', '\\\\foo', null], ['//', '\\\\', null], ['//foo/', '\\\\foo\\', null],
      ['//.', '\\\\.\\', null], ['//./', '\\\\.\\', null], ['//.//', '\\\\.\\', null], ['//./foo', '\\\\.\\foo', 'foo'],
      ['//./foo/', '\\\\.\\foo\\', null], ['//./foo/bar', '\\\\.\\foo\\bar', 'bar'], ['//./foo/.', '\\\\.\\foo', 'foo'], ['//./foo/..', '\\\\.\\', null],
      ['//?/', '\\\\?\\', null], ['//?/foo', '\\\\?\\foo', 'foo'], ['//?/foo/..', '\\\\?\\', null],
      ['\\??\\foo', 'C:\\??\\foo', 'foo'],
    ];
    for (const [name, want, part] of table) expect(full(name), name).toEqual([want, part]);
  });
  it('RtlDosPathNameToNtPathName_U', () => {
    const table: Array<[string, string, number]> = [
      ['c:\\', '\\??\\c:\\', -1], ['c:/foo.', '\\??\\c:\\foo', 7], ['c:/foo//', '\\??\\c:\\foo\\', -1], ['C:/foo/bar', '\\??\\C:\\foo\\bar', 11],
      ['c:.', '\\??\\C:\\windows', 7], ['c:foo/bar', '\\??\\C:\\windows\\foo\\bar', 19], ['c:/foo/../bar', '\\??\\c:\\bar', 7],
      ['\\foo', '\\??\\C:\\foo', 7], ['./', '\\??\\C:\\windows\\', -1], ['...', '\\??\\C:\\windows\\', -1], ['AUX', '\\??\\AUX', -1],
      ['COM1', '\\??\\COM1', -1], ['?:', '\\??\\?:\\', -1], ['\\\\foo', '\\??\\UNC\\foo', -1], ['//', '\\??\\UNC\\', -1],
      ['//foo/', '\\??\\UNC\\foo\\', -1], ['//.', '\\??\\', -1], ['//./foo', '\\??\\foo', 4], ['//./foo/bar', '\\??\\foo\\bar', 8],
      ['//./foo/..', '\\??\\', -1], ['//?', '\\??\\', -1], ['//?/foo/.', '\\??\\foo', 4], ['\\\\.\\foo/', '\\??\\foo\\', -1],
      ['\\\\?', '\\??\\', -1], ['\\\\?\\', '\\??\\', -1], ['\\\\?\\/', '\\??\\/', 4], ['\\\\?\\foo/bar', '\\??\\foo/bar', 4],
      ['\\\\?\\foo/..', '\\??\\foo/..', 4], ['\\\\?\\\\', '\\??\\\\', -1], ['\\\\?\\foo\\..', '\\??\\foo\\..', 8],
      ['\\??', '\\??\\C:\\??', 7], ['\\??\\', '\\??\\C:\\??\\', -1], ['\\??\\foo', '\\??\\foo', 4], ['\\??\\foo/..', '\\??\\foo/..', 4],
      ['\\??\\foo\\bar', '\\??\\foo\\bar', 8], ['CONERR$', '\\??\\C:\\windows\\CONERR$', 15],
    ];
    for (const [dos, want, offset] of table) {
      const u = h.alloc(8), part = h.alloc(4);
      expect(x.RtlDosPathNameToNtPathName_U(h.wstr(dos), u, part, 0), dos).toBe(1);
      expect(h.readUS(u), dos).toBe(want);
      expect(h.r32(part), dos).toBe(offset < 0 ? 0 : h.r32(u + 4) + offset * 2);
    }
    for (const bad of ['', ' ']) {
      expect(x.RtlDosPathNameToNtPathName_U(h.wstr(bad), h.alloc(8), 0, 0)).toBe(0);
      expect(x.RtlDosPathNameToNtPathName_U_WithStatus(h.wstr(bad), h.alloc(8), 0, 0) >>> 0).toBe(0xC0000033);
    }
  });
});

describe('RtlDosSearchPath_U', () => {
  const files = new Set(['\\??\\C:\\Windows\\System32\\autochk.exe', '\\??\\D:\\bin\\tool.com', '\\??\\D:\\bin\\readme', '\\??\\C:\\Windows\\notepad.exe']);
  beforeEach(() => {
    h.services.NtQueryAttributesFile = (oa: number) => (files.has(h.readUS(h.r32(oa + 8))) ? 0 : 0xC0000034);
  });
  const search = (path: string, name: string, ext: string | null, size = 512): [number, string, string | null] => {
    const buf = h.alloc(size), part = h.alloc(4);
    const n = x.RtlDosSearchPath_U(h.wstr(path), h.wstr(name), ext === null ? 0 : h.wstr(ext), size, buf, part);
    return [n, n && n < size ? h.readW(buf) : '', h.r32(part) ? h.readW(h.r32(part)) : null];
  };
  it('finds the first directory holding the name, adding the extension only to names without one', () => {
    expect(search('D:\\bin;C:\\Windows\\System32', 'autochk', '.exe')).toEqual([62, 'C:\\Windows\\System32\\autochk.exe', 'autochk.exe']);
    expect(search('D:\\bin\\;C:\\Windows', 'tool.com', '.exe')).toEqual([30, 'D:\\bin\\tool.com', 'tool.com']);
    expect(search('D:\\bin', 'readme', null)).toEqual([26, 'D:\\bin\\readme', 'readme']);
    expect(search('D:\\bin', 'readme', '.exe')[0]).toBe(0);
    expect(search(';;C:\\Windows;', 'notepad', '.exe')[1]).toBe('C:\\Windows\\notepad.exe');
    expect(search('C:\\nothing', 'autochk', '.exe')[0]).toBe(0);
  });
  it('a buffer too small gives the bytes needed; an absolute name is only checked where it is', () => {
    expect(search('C:\\Windows\\System32', 'autochk', '.exe', 20)[0]).toBe(64);
    expect(search('D:\\bin', 'C:\\Windows\\notepad.exe', '.exe')).toEqual([44, 'C:\\Windows\\notepad.exe', 'notepad.exe']);
    expect(search('C:\\Windows', '\\Windows\\nope.exe', null)[0]).toBe(0);
  });
});
void hex;
