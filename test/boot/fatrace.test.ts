// FAT under concurrent requests (programs/fatrace.ts): first one thread puts
// a long name where a directory's end marker is two entries before a sector
// ends (the run must start at the marker: before the fix it went to the next
// sector, behind zero entries, and was lost); then four ring-3 threads
// at one priority create, write, read back, rename, reopen and delete files
// of their own in one directory at once. Every status and byte the guest
// checks must be right, and the disk it leaves must hold exactly the files
// kept, byte for byte, and satisfy fsck.fat. The FAT driver holds its
// volume's lock for a whole request and keeps no per-call state in module
// memory (kernel/fat/fatmount.ts): a request that used another's sector
// cache entry, status or scan would show here as a wrong byte, a wrong
// status or a broken directory.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, listDisk, openDisk } from '../../images/build.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { msg, program } from './usermode.ts';

const WORKERS = 4, ROUNDS = 12; // as programs/fatrace.ts
const roundSize = (worker: number, round: number) => 700 + (round * 2731 + worker * 977) % 9000;
const roundByte = (worker: number, round: number, j: number) => (j * 13 + round * 7 + worker * 51 + (j >> 9)) & 0xff;
/** The name the last round's file keeps (renamed: an 8.3 name on even rounds, a long one on odd). */
const keptName = (worker: number) => {
  const k = ROUNDS - 1;
  return (k & 1) === 0 ? `w${worker}n${k}.dat` : `Worker ${worker} renamed file ${k}.dat`;
};

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

// The third run is the chaos kernel's (kernel/ke/chaos.ts): thread switches forced at pseudo-random
// function entries and loop heads inside the kernel, far more often than the clock's.
describe.each([['fat16', 32, false], ['fat32', 300, false], ['fat16', 32, true]] as const)('concurrent file requests on a %s volume of %i MB (chaos kernel: %s)', (fat, sizeMB, chaos) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fatrace-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let lines: string[] = [];
  let after: Uint8Array;
  let forced = 0; // the chaos kernel's forced switches (its last "ke: chaos: ..." line)

  beforeAll(async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'fatrace', bytes: await program('fatrace') }], write: false, chaos });
    const saved = join(tmp, 'after.img');
    const r = await boot({
      kernel: kernelImage, disk: buildDisk({ fat, sizeMB }), until: 'ke: idle loop', timeoutMs: 400000, saveDisk: saved,
      cmdline: chaos ? 'chaos=20261207' : undefined,
    });
    expect(r.stop).toBeUndefined();
    expect(r.reached).toBe(true);
    lines = msg(r.lines).filter((l) => l.startsWith('fatrace: ')).map((l) => l.slice(9));
    forced = Number(msg(r.lines).map((l) => /^ke: chaos: \d+ points: (\d+) forced switches/.exec(l)?.[1]).filter(Boolean).at(-1) ?? 0);
    after = new Uint8Array(readFileSync(saved));
    if (process.env.FATRACE_DIAG) {
      console.log(msg(r.lines).join('\n'));
      console.log(listDisk(after).join('\n'));
      writeFileSync(`/tmp/fatrace-${fat}.img`, after);
    }
  }, 480000);

  it('puts a new name at the end marker, not behind it (one thread, before the workers)', () => {
    expect(lines.slice(0, 5)).toEqual([
      'mkdir 0x00000000', 'marker: mkdir 0x00000000', 'marker: twelve short names, failures 0x00000000',
      'marker: a long name 0x00000000', 'marker: opened again 0x00000000',
    ]);
    const listed = listDisk(after).filter((l) => l.startsWith('\\FatRace\\Marker\\') && !l.endsWith('\\'));
    expect(listed.sort()).toEqual([...Array.from({ length: 12 }, (_, k) => `\\FatRace\\Marker\\m${k}.txt  0`),
      '\\FatRace\\Marker\\A long name after twelve short ones.txt  0'].sort());
  });

  it('runs every round of every worker with the right statuses, sizes and bytes', () => {
    expect(lines).toContain(`workers ${WORKERS} rounds ${ROUNDS}`);
    for (let i = 0; i < WORKERS; i++) expect(lines, lines.join('\n')).toContain(`worker ${i}: rounds ${ROUNDS} errors 0`);
    expect(lines.filter((l) => l.includes('first failure') || l.includes(' wait '))).toEqual([]);
    expect(lines.at(-1)).toBe('done 0x00000000');
    if (chaos) expect(forced).toBeGreaterThan(50);
  });

  it('leaves exactly the kept files, byte for byte, on a volume fsck.fat accepts', (ctx) => {
    const listed = listDisk(after).filter((l) => l.startsWith('\\FatRace\\') && !l.endsWith('\\') && !l.startsWith('\\FatRace\\Marker\\')).sort();
    expect(listed).toEqual(Array.from({ length: WORKERS }, (_, i) => `\\FatRace\\${keptName(i)}  ${roundSize(i, ROUNDS - 1)}`).sort());
    const volume = openDisk(after);
    for (let i = 0; i < WORKERS; i++) {
      const bytes = volume.readPath(`\\FatRace\\${keptName(i)}`);
      expect(bytes.length).toBe(roundSize(i, ROUNDS - 1));
      for (let j = 0; j < bytes.length; j++) if (bytes[j] !== roundByte(i, ROUNDS - 1, j)) throw new Error(`worker ${i}: byte ${j} differs`);
    }
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    const part = join(tmp, 'part.img');
    writeFileSync(part, MbrReadPartition(after).volume);
    // -n: check only; a volume with any error makes fsck.fat exit non-zero, which throws here.
    const out = execFileSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
    expect(out).not.toMatch(/differ|lost|Dirty|Orphan|invalid|Reclaim|cross/i); // FSInfo's free count left unknown on FAT32 is as Windows leaves it
  });
});
