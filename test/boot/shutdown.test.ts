// NtShutdownSystem (kernel/ps/psshutdown.ts) from ring 3 (programs/shutdown.ts,
// programs/shutreset.ts): the refusals; a power-off that ends the other
// processes (a critical one without a bug check), writes the registry change
// nobody flushed, marks the volume clean and leaves a disk fsck.fat and
// hivexsh accept, with the harness seeing exit code 0; a reboot the harness
// reports as a reset; and the same two in QEMU (isa-debug-exit, -no-reboot).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot, type BootResult } from '../../emulator/node/boot.ts';
import { buildDisk, openDisk, SYSTEM_HIVE_PATH } from '../../images/build.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { msg, program } from './usermode.ts';

const tmp = mkdtempSync(join(tmpdir(), 'shutdown-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
}
function expectInOrder(got: string[], want: (string | RegExp)[]): void {
  let at = -1;
  for (const w of want) {
    const i = got.findIndex((l, k) => k > at && (typeof w === 'string' ? l === w : w.test(l)));
    expect(i, `"${w}" after line ${at} in:\n${got.join('\n')}`).toBeGreaterThan(at);
    at = i;
  }
}

describe('NtShutdownSystem (power off) on a disk', () => {
  let kernel: Uint8Array;
  let r: BootResult;
  let lines: string[] = [];
  const fresh = buildDisk();
  let after = fresh;

  beforeAll(async () => {
    kernel = (await buildKernel({ bootModules: [{ name: 'shutdown.exe', bytes: await program('shutdown') }], write: false })).kernelImage;
    r = await boot({ kernel, disk: fresh, timeoutMs: 200000, onDiskDone: (d) => { after = d; } });
    lines = msg(r.lines);
  }, 400000);

  it('refuses a bad action and a caller without SeShutdownPrivilege', () => {
    const out = lines.filter((l) => l.startsWith('shutdown: ')).map((l) => l.slice(10));
    expect(out).toEqual([
      'create file 0x00000000',
      'write file 0x00000000',
      'open key 0x00000000',
      'set value 0x00000000',
      'copy 0x00000000',
      "copy's thread 0x00000000",
      'copy: critical 0x00000000',
      'bad action 0xC000000D',
      'open token 0x00000000',
      'disable SeShutdownPrivilege 0x00000000',
      'without the privilege 0xC0000061',
      'enable SeShutdownPrivilege 0x00000000',
    ]); // and never "still running": the call does not return
  });

  it('ends the other processes, flushes the hive, cleans the volume, then powers off: exit code 0', () => {
    expect(r.stop).toBeUndefined();
    expect(r.reason).toBe('exit');
    expect(r.exitCode).toBe(0);
    const copy = /^ps: process (\d+) created as a copy of process 8$/.exec(lines.find((l) => / created as a copy of /.test(l)) ?? '');
    expect(copy).not.toBeNull();
    expectInOrder(lines, [
      'ke: shutdown: power off requested by process 8 (shutdown.exe)',
      `ps: process ${copy![1]} (shutdown) exited with status 0xC00002EB`, // STATUS_SYSTEM_SHUTDOWN, critical but no bug check
      'ke: shutdown: 1 process ended',
      /^cm: flushed .*SYSTEM: \d+ bytes, sequence \d+$/,
      'ke: shutdown: registry flushed',
      'ke: shutdown: volumes flushed and marked clean',
      'ke: power off (NtShutdownSystem)',
    ]);
    // the hive was not written before the shutdown asked for it
    const requested = lines.indexOf('ke: shutdown: power off requested by process 8 (shutdown.exe)');
    expect(lines.slice(0, requested).some((l) => l.startsWith('cm: flushed'))).toBe(false);
  });

  it('leaves a disk fsck.fat -n accepts, clean bit set, with the file; hivexsh reads the value', (ctx) => {
    const volume = openDisk(after);
    expect(new TextDecoder().decode(volume.readPath('\\shutdown.txt'))).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    const bit = volume.bpb.type === 'fat16' ? 0x8000 : 0x08000000;
    expect([volume.fatEntry(1, 0), volume.fatEntry(1, 1)].map((v) => (v & bit) !== 0)).toEqual([true, true]);
    if (!has('fsck.fat') || !has('hivexsh')) {
      console.log('skipped: fsck.fat (dosfstools) or hivexsh (libhivex-bin) is not installed');
      ctx.skip();
      return;
    }
    const part = join(tmp, 'part.img');
    writeFileSync(part, MbrReadPartition(after).volume);
    const fsck = spawnSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.stdout + fsck.stderr).not.toMatch(/dirty|differ/i);
    const hive = join(tmp, 'SYSTEM');
    writeFileSync(hive, volume.readPath(SYSTEM_HIVE_PATH));
    const values = execFileSync('hivexsh', [hive], { input: 'cd \\Select\nlsval\n', encoding: 'utf8' });
    expect(values).toContain('"ShutdownTest"=dword:5d5d0001');
  });
});

describe('NtShutdownSystem (reboot)', () => {
  it('resets the machine: the harness reports a reset, not a power-off', async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'shutreset.exe', bytes: await program('shutreset') }], write: false });
    const r = await boot({ kernel: kernelImage, timeoutMs: 150000 });
    expect(r.stop).toBeUndefined();
    expect(r.reason).toBe('reset');
    expect(r.reset).toBe(true);
    expect(r.exitCode).toBeUndefined();
    const lines = msg(r.lines);
    expectInOrder(lines, [
      'shutreset: reboot, privilege disabled 0xC0000061', // SYSTEM's token holds it disabled, as NT's
      'shutreset: enable SeShutdownPrivilege 0x00000000',
      'ke: shutdown: reboot requested by process 8 (shutreset.exe)', 'ke: shutdown: 0 processes ended', 'ke: reset (NtShutdownSystem)',
    ]);
    expect(lines).not.toContain('shutreset: still running 0x00000000');
  }, 300000);
});

describe('NtShutdownSystem in QEMU', () => {
  const qemu = 'qemu-system-i386';
  it('power off exits through isa-debug-exit; reboot exits with -no-reboot', async (ctx) => {
    if (!has(qemu)) {
      console.log(`skipped: ${qemu} not installed`);
      ctx.skip();
      return;
    }
    const run = async (name: string) => {
      const { kernelImage } = await buildKernel({ bootModules: [{ name: `${name}.exe`, bytes: await program(name) }], write: false });
      const image = join(tmp, `${name}.bin`);
      writeFileSync(image, kernelImage);
      return spawnSync(qemu, [
        '-kernel', image, '-serial', 'stdio', '-display', 'none',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-no-reboot', '-m', '64',
      ], { encoding: 'latin1', timeout: 60000 });
    };
    const off = await run('shutdown');
    expect(off.error, String(off.error)).toBeUndefined();
    expect(off.status).toBe((0 << 1) | 1); // isa-debug-exit: (value << 1) | 1, the kernel wrote 0
    const offLines = msg(off.stdout.split(/\r?\n/));
    expectInOrder(offLines, ['ke: shutdown: power off requested by process 8 (shutdown.exe)', 'ke: shutdown: 1 process ended', 'ke: power off (NtShutdownSystem)']);
    const reset = await run('shutreset');
    expect(reset.error, String(reset.error)).toBeUndefined();
    expect(reset.status).toBe(0); // -no-reboot: a reset ends QEMU
    expect(msg(reset.stdout.split(/\r?\n/))).toContain('ke: reset (NtShutdownSystem)');
  }, 300000);
});
