// FAT's dirty flag (kernel/fat/fatdirty.ts): the clean-shutdown bit of
// FAT[1] (0x8000 on FAT16, 0x08000000 on FAT32). A boot whose program
// writes a file and ends leaves the volume marked clean (the end of phase 1
// is an orderly point; `poweroff` too); a boot that stops with a bug check
// after writing leaves it dirty, which fsck.fat reports and the next mount
// logs. The disks the guest left are read by our FAT reader and fsck.fat.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, openDisk } from '../../images/build.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { msg, program } from './usermode.ts';

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

/** FAT[1] of the first and of the second FAT copy. */
function fat1(image: Uint8Array): number[] {
  const volume = openDisk(image);
  return [volume.fatEntry(1, 0), volume.fatEntry(1, 1)];
}

const tmp = mkdtempSync(join(tmpdir(), 'dirty-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fsck(image: Uint8Array): { code: number; out: string } {
  const part = join(tmp, 'part.img');
  writeFileSync(part, MbrReadPartition(image).volume);
  const r = spawnSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

describe.each([['fat16', 32, 0x8000], ['fat32', 300, 0x08000000]] as const)('the dirty flag on a %s volume', (fat, sizeMB, bit) => {
  it('a clean image; a boot that writes and ends marks it clean again; one that stops after writing leaves it dirty', async (ctx) => {
    const fresh = buildDisk({ fat, sizeMB });
    expect(fat1(fresh).every((v) => (v & bit) !== 0)).toBe(true);

    const clean = await buildKernel({ bootModules: [{ name: 'dirtywrite.exe', bytes: await program('dirtywrite') }], write: false });
    let after = fresh;
    const r1 = await boot({ kernel: clean.kernelImage, disk: fresh, until: 'ke: idle loop', cmdline: 'poweroff', timeoutMs: 150000,
      onDiskDone: (d) => { after = d; } });
    expect(r1.stop).toBeUndefined();
    expect(msg(r1.lines)).toContain('dirtywrite: write 0x00000000');
    expect(new TextDecoder().decode(openDisk(after).readPath('\\dirty.txt'))).toBe('abcdefghijklmnop');
    expect(fat1(after).map((v) => (v & bit) !== 0)).toEqual([true, true]);

    const crash = await buildKernel({ bootModules: [{ name: 'dirtycrash.exe', bytes: await program('dirtycrash') }], write: false });
    let crashed = fresh;
    const r2 = await boot({ kernel: crash.kernelImage, disk: fresh, timeoutMs: 150000, onDiskDone: (d) => { crashed = d; } });
    expect(r2.stop?.code).toBe(0xEF);
    expect(msg(r2.lines)).toContain('dirtycrash: write 0x00000000');
    expect(fat1(crashed).map((v) => (v & bit) !== 0)).toEqual([false, false]);
    // Only the bit changed in FAT[1]: the rest of the entry is as the image builder wrote it.
    expect(fat1(crashed)[0] | bit).toBe(fat1(fresh)[0]);

    // The next mount sees it, logs it, and leaves it dirty for a checker, writing or not.
    let again = crashed;
    const r3 = await boot({ kernel: clean.kernelImage, disk: crashed, until: 'ke: idle loop', timeoutMs: 150000, onDiskDone: (d) => { again = d; } });
    expect(msg(r3.lines)).toContain(`fat: \\Device\\Harddisk0\\Partition1: not cleanly dismounted (dirty): a check is due`);
    expect(msg(r1.lines).some((l) => l.includes('not cleanly dismounted'))).toBe(false);
    expect(fat1(again).map((v) => (v & bit) !== 0)).toEqual([false, false]);

    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    expect(fsck(after).code, fsck(after).out).toBe(0);
    const dirty = fsck(crashed);
    expect(dirty.code).toBe(1);
    expect(dirty.out).toContain('Dirty bit is set');
  }, 600000);
});
