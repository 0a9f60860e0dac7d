// The SM API's ExecPgm (3) from a trusted caller, on the emulated machine:
// the Windows subsystem smss starts (SubSystems\Windows names smsschild.exe
// in its subsystem mode, test/boot/programs/smsschild.ts) connects to
// \SmApiPort with SB_CONNECTION_INFO as csrss does, accepts smss's
// connection back to its own port, makes a process suspended and hands it
// to smss with ExecPgm: smss takes the process's handles from it and lets
// the process run (a native image, no subsystem to tell), as NT's smss does.
// An untrusted caller's ExecPgm is refused: test/boot/smss-init.test.ts.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { msg } from './usermode.ts';

const SM = 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager';
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(',');
const multi = (list: string[]) => `hex(7):${hexBytes(new Uint8Array(Buffer.from(list.map((s) => `${s}\0`).join('') + '\0', 'utf16le')))}`;
const expand = (s: string) => `hex(2):${hexBytes(new Uint8Array(Buffer.from(`${s}\0`, 'utf16le')))}`;

describe('ExecPgm from the Windows subsystem smss started (a trusted caller)', () => {
  let lines: string[] = [];
  let stop: unknown;

  beforeAll(async () => {
    const kernel = (await buildKernel({ write: false })).kernelImage;
    const system32 = await buildSystem32();
    const child = (await buildUserImage('test/boot/programs/smsschild.ts', { name: 'smsschild.exe' })).bytes;
    const files = new Map<string, Uint8Array>([...system32].map(([n, b]) => [`\\Windows\\System32\\${n}`, b]));
    files.set('\\Windows\\System32\\smsschild.exe', child);
    const overlay = [
      `[${SM}\\SubSystems]`,
      `"Required"=${multi(['Windows'])}`,
      `"Windows"=${expand('%SystemRoot%\\system32\\smsschild.exe subsystem stay')}`,
    ].join('\n');
    const disk = buildDisk({ files, overlays: [{ text: `Windows Registry Editor Version 5.00\n\n${overlay}\n`, fileName: 'execpgm.reg' }] });
    const r = await boot({ kernel, disk, until: 'smsschild: subsystem: the process ExecPgm named ended', timeoutMs: 240000 });
    lines = msg(r.lines);
    stop = r.stop;
  }, 400000);

  it('smss accepts the subsystem, connects back, and lets the process ExecPgm names run', () => {
    expect(stop, lines.join('\n')).toBeUndefined();
    const said = lines.filter((l) => l.startsWith('smsschild: subsystem')).map((l) => l.slice(11));
    expect(said.slice(0, 2), lines.join('\n')).toEqual(['subsystem port 0x00000000', 'subsystem connect 0x00000000']);
    expect(said).toContain('subsystem: smss connected back, accepted 0x00000000');
    expect(said).toContain('subsystem: suspended process 0x00000000');
    expect(said).toContain('subsystem ExecPgm -> 0x00000000 ReturnValue 0x00000000');
    expect(said).toContain('subsystem: the process ExecPgm named ended 0x00000000 with 0x00000000');
    // The subsystem's process, as smss saw it: accepted as a subsystem, its ExecPgm served.
    const accepted = lines.map((l) => /^smss: SM API: connection from process (\d+) with connection information \(subsystem type 2\) accepted as a subsystem$/.exec(l)).find(Boolean);
    expect(accepted, lines.join('\n')).toBeTruthy();
    const pid = accepted![1];
    expect(lines).toContain(`smss: SM API: process ${pid} ApiNumber 3: 0x00000000`);
    // The process it made (its parent is the subsystem) ran only after ExecPgm: its line comes after smss served the request.
    const made = lines.map((l) => new RegExp(`^ps: process (\\d+) \\(smsschild\\.exe\\) created from its image at 0x[0-9A-F]{8}, entry 0x[0-9A-F]{8}, parent ${pid}, session \\d+$`).exec(l)).find(Boolean);
    expect(made).toBeTruthy();
    const served = lines.indexOf(`smss: SM API: process ${pid} ApiNumber 3: 0x00000000`);
    const ran = lines.indexOf('smsschild: tag started by ExecPgm');
    expect(ran).toBeGreaterThan(lines.indexOf('smsschild: subsystem: suspended process 0x00000000'));
    expect(ran).toBeGreaterThan(-1);
    expect(served).toBeGreaterThan(-1);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ps: process ${made![1]} \\(smsschild\\) exited with status 0x00000000$`)));
  });
});
