// The first user process (kernel/ps/psinit.ts): a kernel without boot
// modules starts \SystemRoot\System32\smss.exe from the disk at the end of
// phase 1 and waits five seconds on it. A missing or unusable image stops
// the system with SESSION1_INITIALIZATION_FAILED (0x6D, the status first), a
// session manager that ends within the five seconds with
// SESSION5_INITIALIZATION_FAILED (0x71, its exit status first); one that
// keeps running lets phase 1 end in the idle loop. The stand-in smss
// programs are hand-assembled PE32 images (test/pe/tiny.ts); without
// ntdll.dll on the disk their thread starts at their entry point.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { consoleHelloImage, helloImage, ntdllImage, paramsSmssImage } from '../pe/tiny.ts';
import { msg } from './usermode.ts';

const SMSS = '\\Windows\\System32\\smss.exe';

let kernel: Uint8Array;
beforeAll(async () => { kernel = (await buildKernel({ write: false })).kernelImage; }, 120000);

async function run(files: Array<[string, Uint8Array]>) {
  const r = await boot({ kernel, disk: buildDisk({ files: new Map(files) }), until: 'ke: idle loop', timeoutMs: 60000 });
  return { ...r, all: msg(r.lines) };
}

describe('the kernel starts \\SystemRoot\\System32\\smss.exe', () => {
  it('stops with SESSION1_INITIALIZATION_FAILED when there is no smss.exe', async () => {
    const r = await run([]);
    expect(r.stop?.code).toBe(0x6d);
    expect(r.stop?.params).toEqual([0xc0000034, 0, 0, 0]);
    expect(r.stop?.name).toBe('SESSION1_INITIALIZATION_FAILED');
    expect(r.all).toContain('ps: cannot start \\SystemRoot\\System32\\smss.exe: NtOpenFile failed, status 0xC0000034');
  }, 90000);

  it('stops with 0x6D and STATUS_INVALID_IMAGE_NOT_MZ when smss.exe is not an image', async () => {
    const r = await run([[SMSS, new TextEncoder().encode('not a program, just text\r\n')]]);
    expect(r.stop?.code).toBe(0x6d);
    expect(r.stop?.params).toEqual([0xc000012f, 0, 0, 0]);
    expect(r.all).toContain('ps: cannot start \\SystemRoot\\System32\\smss.exe: NtCreateSection (SEC_IMAGE) failed, status 0xC000012F');
  }, 90000);

  it('stops with 0x6D and STATUS_INVALID_IMAGE_FORMAT when smss.exe is not a native image', async () => {
    const r = await run([[SMSS, consoleHelloImage()]]);
    expect(r.stop?.code).toBe(0x6d);
    expect(r.stop?.params).toEqual([0xc000007b, 0, 0, 0]);
    expect(r.all).toContain('ps: cannot start \\SystemRoot\\System32\\smss.exe: image subsystem 3 is not native (1), status 0xC000007B');
    expect(r.all.some((l) => l.startsWith('smss: '))).toBe(false);
  }, 90000);

  it('stops with SESSION5_INITIALIZATION_FAILED when smss ends within five seconds', async () => {
    const r = await run([[SMSS, helloImage()]]);
    const started = r.all.find((l) => /^ps: session manager started: process \d+ \(\\SystemRoot\\System32\\smss\.exe\)$/.test(l));
    expect(started, r.all.join('\n')).toBeDefined();
    const pid = /process (\d+)/.exec(started!)![1];
    expect(r.all).toContain('smss: Hello from a PE image');
    expect(r.all).toContain(`ps: process ${pid} (smss) exited with status 0x00001234`);
    expect(r.all).toContain(`ps: session manager (process ${pid}) ended within 5 s, status 0x00001234`);
    expect(r.stop?.code).toBe(0x71);
    expect(r.stop?.params).toEqual([0x1234, 0, 0, 0]);
    expect(r.stop?.name).toBe('SESSION5_INITIALIZATION_FAILED');
    expect(r.all).not.toContain('ke: idle loop');
  }, 90000);

  const parameterLines = [
    'smss: \\SystemRoot\\System32\\smss.exe', // CommandLine
    'smss: \\SystemRoot\\System32\\smss.exe', // ImagePathName
    'smss: C:\\Windows\\',                      // CurrentDirectory.DosPath
    'smss: C:\\Windows\\System32',              // DllPath
    'smss: Path=C:\\Windows\\System32',         // the environment
    'smss: SystemRoot=C:\\Windows',
  ];

  it('gives smss its PEB as the argument and denormalized process parameters, and goes idle after five seconds while it runs', async () => {
    const r = await run([[SMSS, paramsSmssImage()]]);
    expect(r.stop, r.all.join('\n')).toBeUndefined();
    expect(r.reached).toBe(true);
    expect(r.all.filter((l) => l.startsWith('smss: '))).toEqual(parameterLines);
    expect(r.all.find((l) => / \(smss\.exe\) created from its image at 0x00400000, entry 0x00401000, parent \d+, session \d+$/.test(l))).toBeDefined();
    expect(r.all.some((l) => l.includes('exited with status'))).toBe(false);
    // The idle loop comes after the five-second wait (timers expire on the 100 Hz clock tick, while log
    // times are finer: the wait may end up to one tick, 10 ms, before five seconds of log time).
    const at = (re: RegExp) => Number(/^\[\s*(\d+\.\d+)\]/.exec(r.lines.find((l) => re.test(l))!)![1]);
    const started = at(/ps: session manager started: process \d+ /);
    expect(at(/ke: idle loop$/) - started).toBeGreaterThanOrEqual(4.99);
  }, 90000);

  it('with ntdll.dll on the disk, the thread enters LdrInitializeThunk and continues into smss with the same stack', async () => {
    const r = await run([[SMSS, paramsSmssImage()], ['\\Windows\\System32\\ntdll.dll', ntdllImage()]]);
    expect(r.stop, r.all.join('\n')).toBeUndefined();
    expect(r.all.filter((l) => l.startsWith('smss: '))).toEqual(['smss: LdrInitializeThunk, continuing into the program', ...parameterLines]);
  }, 90000);
});

