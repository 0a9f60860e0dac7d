// Per-session DOS devices and named objects, win32k.sys's pages shared
// between sessions, its DRIVER_OBJECT, NtUserSwitchSession's privilege and
// SharedUserData in NtQueryVirtualMemory (issue 13's kernel remainder).
//
// 1. A ring-3 program the kernel starts (programs/devmap.ts, with a disk that
//    has win32k.sys) and copies of it: device maps from ring 3
//    (ProcessDeviceMap, "\??" through the map with the global fallback,
//    inheritance), the two sessions' win32k.sys pages (the kernel's log line
//    names the frames' sums), the driver object win32k.sys checks, the switch
//    privilege and the SharedUserData query.
// 2. The real boot with smss (programs/devmapsm.ts run from BootExecute,
//    async): each session's smss made its DosDevices the session's device map
//    and linked BaseNamedObjects; a DOS device made in session 2 is in session
//    2's processes' map and not in session 1's.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot, type BootResult } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { msg, program } from './usermode.ts';

const NULL_TYPE = 1; // DOSDEVICE_DRIVE_CALCULATE: a link to \Device\Null
const FIXED = 3;     // DOSDEVICE_DRIVE_FIXED: C: -> \Device\Harddisk0\Partition1
const bit = (letter: string) => 1 << (letter.charCodeAt(0) - 65);
const hex = (v: number) => `0x${(v >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

describe('device maps, SharedUserData, win32k.sys in two sessions (ring 3)', () => {
  let r: BootResult;
  let all: string[] = [];
  let out: string[] = [];
  const said = (prefix: string) => out.filter((l) => l.startsWith(prefix));
  const one = (line: string) => { expect(out, out.join('\n')).toContain(line); };

  beforeAll(async () => {
    const images = await buildSystem32();
    const disk = buildDisk({ files: new Map([['\\Windows\\System32\\win32k.sys', images.get('win32k.sys')!]]) });
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'devmap.exe', bytes: await program('devmap') }], write: false });
    r = await boot({ kernel: kernelImage, disk, until: 'devmap: P: done', timeoutMs: 300000 });
    all = msg(r.lines);
    out = all.filter((l) => l.startsWith('devmap: ')).map((l) => l.slice(8));
  }, 900000);

  it('runs to its end without a bug check', () => {
    expect(r.stop, all.join('\n')).toBeUndefined();
    expect(r.reached, all.join('\n')).toBe(true);
  });

  it('"\\??" is \\GLOBAL?? for a process without a map of its own; \\DosDevices and Global lead there', () => {
    one('P: \\?? 0x00000000 \\GLOBAL??');
    one('P: \\DosDevices 0x00000000 \\GLOBAL??');
    one('P: \\??\\Global 0x00000000 \\GLOBAL??');
    one('P: create \\??\\P: 0x00000000');
    one('P: \\GLOBAL??\\P: 0x00000000');
  });

  it('ProcessDeviceMap query: drive letters and types, its lengths and flags', () => {
    const maps = said('P: map');
    expect(maps[0]).toBe(`P: map 0x00000000 map ${hex(bit('C') | bit('P'))} C ${FIXED} P ${NULL_TYPE} Q 0`);
    expect(maps[1]).toBe('P: map, 20 bytes 0xC0000004');
    expect(maps[2]).toBe('P: map ex, flags 2 0xC000000D');
    // The system map is its own: the "process's own letters" are the global ones.
    expect(maps[3]).toBe(`P: map ex, luid only 0x00000000 map ${hex(bit('C') | bit('P'))} C ${FIXED} P ${NULL_TYPE} Q 0`);
  });

  it('ProcessDeviceMap set: SeTcbPrivilege, the length, a directory handle', () => {
    one('P: set without SeTcbPrivilege 0xC0000061');
    one('P: set, 8 bytes 0xC0000004');
    one('P: set, a bad handle 0xC0000008');
    one('P: set, an event 0xC0000024');
    one('P: set 0x00000000');
  });

  it("after the set, \\?? is the session's directory: new names go there, the global ones still resolve", () => {
    const after = out.slice(out.indexOf('P: set 0x00000000'));
    expect(after).toContain('P: \\?? 0x00000000 \\Sessions\\1\\DosDevices');
    expect(after).toContain('P: \\DosDevices 0x00000000 \\Sessions\\1\\DosDevices');
    one('P: create \\??\\Q: 0x00000000');
    one('P: \\Sessions\\1\\DosDevices\\Q: 0x00000000');
    one('P: \\GLOBAL??\\Q: 0xC0000034');
    one('P: \\??\\P: 0x00000000');
    one('P: \\??\\Global\\P: 0x00000000');
    one('P: \\??\\Global\\Q: 0xC0000034');
    // A name made again in the session shadows the global one instead of colliding with it.
    one('P: create \\??\\P: again 0x00000000');
    one('P: \\Sessions\\1\\DosDevices\\P: 0x00000000');
    const maps = said('P: map').slice(4);
    expect(maps).toEqual([
      `P: map 0x00000000 map ${hex(bit('C') | bit('P') | bit('Q'))} C ${FIXED} P ${NULL_TYPE} Q ${NULL_TYPE}`,
      `P: map ex, luid only 0x00000000 map ${hex(bit('P') | bit('Q'))} C 0 P ${NULL_TYPE} Q ${NULL_TYPE}`,
    ]);
  });

  it('a child inherits the map; a process of session 0 made before does not see the session\'s names', () => {
    one('Y: \\??\\Q: 0x00000000');
    one('Y: \\?? 0x00000000 \\Sessions\\1\\DosDevices');
    one(`Y: map 0x00000000 map ${hex(bit('C') | bit('P') | bit('Q'))} C ${FIXED} P ${NULL_TYPE} Q ${NULL_TYPE}`);
    one(`P: Z's map 0x00000000 map ${hex(bit('C') | bit('P'))} C ${FIXED} P ${NULL_TYPE} Q 0`);
    one('Z: \\??\\Q: 0xC0000034');
    one('Z: \\??\\P: 0x00000000');
    one('Z: \\?? 0x00000000 \\GLOBAL??');
  });

  it('NtQueryVirtualMemory: SharedUserData is one committed, read-only, private page; free ranges stop at it', () => {
    // BaseAddress AllocationBase AllocationProtect RegionSize State Protect Type
    const sud = '0x7FFE0000 0x7FFE0000 0x00000002 0x00001000 0x00001000 0x00000002 0x00020000';
    one(`P: query 0x7FFE0000 0x00000000 ${sud}`);
    one(`P: query 0x7FFE0FFF 0x00000000 ${sud}`);
    one('P: query 0x7FFE1000 0x00000000 0x7FFE1000 0x00000000 0x00000000 0x0000F000 0x00010000 0x00000001 0x00000000');
    const below = said('P: query 0x7FFD0000')[0].split(' ').slice(4).map((x) => Number(x));
    expect(below[0]).toBe(0x7FFD0000);
    expect(below[0] + below[3]).toBeLessThanOrEqual(0x7FFE0000); // free or not, the region ends before SharedUserData
  });

  it('NtUserSwitchSession needs SeTcbPrivilege', () => {
    one('P: switch without SeTcbPrivilege 0xC0000061');
    one('P: switch with SeTcbPrivilege 0x00000000');
  });

  it("DriverEntry gets a DRIVER_OBJECT describing the image, and a NULL registry path", () => {
    for (const session of [0, 1]) {
      const loaded = all.find((l) => l.startsWith(`mm: session ${session}: \\SystemRoot\\System32\\win32k.sys loaded at `))!;
      const [, base, bytes] = / loaded at (0x[0-9A-F]{8}) \((\d+) bytes/.exec(loaded)!;
      const entry = all.find((l) => l.startsWith(`win32k: session ${session}: DriverEntry: `))!;
      expect(entry).toMatch(new RegExp(`^win32k: session ${session}: DriverEntry: driver object 0x[0-9A-F]{8}, image ${base} \\(${bytes} bytes\\), registry path NULL$`));
    }
  });

  it("two sessions' win32k.sys: the read-only pages are the same frames, the writable ones each session's own", () => {
    const parse = (session: number) => {
      const l = all.find((x) => x.startsWith(`mm: session ${session}: `) && x.includes(' pages of the image '))!;
      const m = /: (\d+) pages of the image (?:are the shared copy from now on|mapped from the shared copy) \(frames from (0x[0-9A-F]+), sum (0x[0-9A-F]+)\), (\d+) private \(sum (0x[0-9A-F]+)\)$/.exec(l)!;
      return { line: l, shared: +m[1], first: m[2], sharedSum: m[3], own: +m[4], ownSum: m[5] };
    };
    const s0 = parse(0), s1 = parse(1);
    expect(s0.line).toContain('are the shared copy from now on');
    expect(s1.line).toContain('mapped from the shared copy');
    expect(s0.shared).toBeGreaterThanOrEqual(2); // headers and .text at least
    expect(s1.shared).toBe(s0.shared);
    expect(s1.first).toBe(s0.first);
    expect(s1.sharedSum).toBe(s0.sharedSum);
    expect(s1.own).toBe(s0.own);
    expect(s1.ownSum).not.toBe(s0.ownSum);
  });
});

describe("each session's names, made by its smss (the real boot)", () => {
  let r: BootResult;
  let all: string[] = [];
  let out: string[] = [];
  const one = (line: string) => { expect(out, out.join('\n')).toContain(line); };

  beforeAll(async () => {
    const SM = 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager';
    const multi = (list: string[]) => `hex(7):${Array.from(Buffer.from(list.map((s) => `${s}\0`).join('') + '\0', 'utf16le'), (b) => b.toString(16).padStart(2, '0')).join(',')}`;
    const system32 = await buildSystem32();
    const files = new Map<string, Uint8Array>([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b]));
    files.set('\\Windows\\System32\\devmapsm.exe', (await buildUserImage('test/boot/programs/devmapsm.ts', { name: 'devmapsm.exe' })).bytes);
    const reg = `Windows Registry Editor Version 5.00\n\n[${SM}]\n"BootExecute"=${multi(['autocheck autochk *', 'async devmapsm'])}\n`;
    const disk = buildDisk({ files, overlays: [{ text: reg, fileName: 'devmap-test.reg' }] });
    const { kernelImage } = await buildKernel({ write: false });
    r = await boot({ kernel: kernelImage, disk, until: 'devmapsm: done', timeoutMs: 300000 });
    all = msg(r.lines);
    out = all.filter((l) => l.startsWith('devmapsm: ')).map((l) => l.slice(10));
  }, 900000);

  it('boots to its end without a bug check, with session 2 made on request', () => {
    expect(r.stop, all.join('\n')).toBeUndefined();
    expect(r.reached, all.join('\n')).toBe(true);
    one('session 2 requested 0x00000000 session 2');
  });

  it("each session's smss says what its session got", () => {
    expect(all).toContain('smss: session 0: DOS devices: \\GLOBAL?? (the global ones); named objects: \\BaseNamedObjects (Global, Local, Session; \\Sessions\\BNOLINKS\\0)');
    for (const n of [1, 2]) {
      expect(all).toContain(`smss: session ${n}: DOS devices: \\Sessions\\${n}\\DosDevices (Global -> \\GLOBAL??), this session's device map; `
        + `named objects: \\Sessions\\${n}\\BaseNamedObjects (Global, Local, Session; \\Sessions\\BNOLINKS\\${n})`);
    }
  });

  it('the links: DosDevices\\Global, BaseNamedObjects\' Global, Local and Session, \\Sessions\\BNOLINKS', () => {
    one('link \\Sessions\\1\\DosDevices\\Global -> \\GLOBAL??');
    one('link \\Sessions\\2\\DosDevices\\Global -> \\GLOBAL??');
    one('link \\BaseNamedObjects\\Global -> \\BaseNamedObjects');
    one('link \\BaseNamedObjects\\Local -> \\BaseNamedObjects');
    one('link \\BaseNamedObjects\\Session -> \\Sessions\\BNOLINKS');
    one('link \\Sessions\\2\\BaseNamedObjects\\Global -> \\BaseNamedObjects');
    one('link \\Sessions\\2\\BaseNamedObjects\\Local -> \\Sessions\\2\\BaseNamedObjects');
    one('link \\Sessions\\2\\BaseNamedObjects\\Session -> \\Sessions\\BNOLINKS');
    one('link \\Sessions\\BNOLINKS\\0 -> \\BaseNamedObjects');
    one('link \\Sessions\\BNOLINKS\\1 -> \\Sessions\\1\\BaseNamedObjects');
    one('link \\Sessions\\BNOLINKS\\2 -> \\Sessions\\2\\BaseNamedObjects');
  });

  it('names through them reach the right directories', () => {
    one('directory \\Sessions\\1\\BaseNamedObjects\\Session\\2 is \\Sessions\\2\\BaseNamedObjects');
    one('directory \\Sessions\\2\\BaseNamedObjects\\Global is \\BaseNamedObjects');
    one('directory \\Sessions\\2\\BaseNamedObjects\\Local is \\Sessions\\2\\BaseNamedObjects');
    one('directory \\Sessions\\2\\DosDevices\\Global is \\GLOBAL??');
  });

  it("a DOS device made in session 2 is in session 2's processes' device map, not in session 1's", () => {
    one('create \\Sessions\\2\\DosDevices\\Q: 0x00000000');
    const c = hex(bit('C')), cq = hex(bit('C') | bit('Q'));
    one(`map session 2 winlogon 0x00000000 ${cq}`);
    one(`map session 2 csrss 0x00000000 ${cq}`);
    one(`map session 1 winlogon 0x00000000 ${c}`);
    one(`map session 1 csrss 0x00000000 ${c}`);
    one(`map session 0 (this process) 0x00000000 ${c}`);
  });
});
