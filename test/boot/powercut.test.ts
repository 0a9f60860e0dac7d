// Power cuts in the middle of a rename and of a delete (kernel/fat/fatdir.ts
// says in what order they write). The guest does one operation on a disk the
// host built; the harness records every sector the disk takes; then each
// prefix of those writes, applied to the original image, is what a power
// cut at that point leaves. Each must hold the file under exactly one of its
// names with its bytes intact (or, for a delete, not at all), and, for the
// rename, pass fsck.fat -n.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, listDisk, openDisk } from '../../images/build.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { msg, program } from './usermode.ts';
import { complaintsBesidesDirty } from './fsckdirty.ts';

const tmp = mkdtempSync(join(tmpdir(), 'powercut-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

const OLD = '\\Data\\Old Name Of The File.txt';
const NEW = '\\Data\\New Name Of The File.txt';
const content = new Uint8Array(7000).map((_, i) => (i * 31 + 7) & 0xff);

/** Boots `name` on a fresh image; returns the image and the writes it made. */
async function record(name: string): Promise<{ image: Uint8Array; writes: Array<{ offset: number; bytes: Uint8Array }>; lines: string[] }> {
  const image = buildDisk({ files: new Map([[OLD, content], ['\\Data\\other.txt', new TextEncoder().encode('other\n')]]) });
  const { kernelImage } = await buildKernel({ bootModules: [{ name, bytes: await program(name) }], write: false });
  const writes: Array<{ offset: number; bytes: Uint8Array }> = [];
  const r = await boot({ kernel: kernelImage, disk: image, until: 'ke: idle loop', timeoutMs: 150000, onDiskWrite: (offset, bytes) => {
    // A cut can fall between the sectors of one command: record sector by sector.
    for (let at = 0; at < bytes.length; at += 512) writes.push({ offset: offset + at, bytes: bytes.slice(at, at + 512) });
  } });
  expect(r.stop).toBeUndefined();
  return { image, writes, lines: msg(r.lines) };
}

/** The image after the first `k` writes. */
function cut(image: Uint8Array, writes: Array<{ offset: number; bytes: Uint8Array }>, k: number): Uint8Array {
  const out = new Uint8Array(image);
  for (let i = 0; i < k; i++) out.set(writes[i].bytes, writes[i].offset);
  return out;
}

/** Every name in \Data (long and short) the file with `content` is under. */
function namesOfFile(image: Uint8Array): string[] {
  const volume = openDisk(image);
  return listDisk(image).filter((l) => l.startsWith('\\Data\\')).map((l) => l.replace(/  \d+$/, '')).filter((p) => {
    if (p.endsWith('\\')) return false;
    const bytes = volume.readPath(p);
    return bytes.length === content.length && bytes.every((b, i) => b === content[i]);
  });
}

function fsck(image: Uint8Array, k: number): { code: number; out: string } {
  const part = join(tmp, `part-${k}.img`);
  writeFileSync(part, MbrReadPartition(image).volume);
  const r = spawnSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
  rmSync(part);
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

describe('power cuts', () => {
  it('a rename in one directory leaves the file under exactly one name at every point', async (ctx) => {
    const { image, writes, lines } = await record('renamer');
    expect(lines).toContain('renamer: rename 0x00000000');
    expect(writes.length).toBeGreaterThan(0);
    console.log(`rename: ${writes.length + 1} power-cut states (every prefix of its sector writes)`);
    for (let k = 0; k <= writes.length; k++) {
      const state = cut(image, writes, k);
      const names = namesOfFile(state);
      expect(names, `after ${k} of ${writes.length} writes`).toHaveLength(1);
    }
    expect(namesOfFile(cut(image, writes, writes.length))).toEqual([NEW]);
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    let dirtyStates = 0;
    for (let k = 0; k <= writes.length; k++) {
      const state = cut(image, writes, k);
      const r = fsck(state, k);
      // Nothing but the dirty flag (set by the first write, cleared at the end of the boot) may show.
      if (r.code !== 0) { dirtyStates++; expect(complaintsBesidesDirty(r.out, state), `fsck.fat after ${k} of ${writes.length} writes:\n${r.out}`).toBe(''); }
    }
    expect(dirtyStates).toBeGreaterThan(0);
    expect(fsck(cut(image, writes, writes.length), writes.length).code).toBe(0);
  }, 600000);

  it('a delete leaves the file whole or gone at every point; fsck.fat at most reclaims its clusters', async (ctx) => {
    const { image, writes, lines } = await record('deleter');
    expect(lines).toContain('deleter: delete 0x00000000');
    console.log(`delete: ${writes.length + 1} power-cut states (every prefix of its sector writes)`);
    for (let k = 0; k <= writes.length; k++) {
      const names = namesOfFile(cut(image, writes, k));
      expect(names.length, `after ${k} of ${writes.length} writes`).toBeLessThanOrEqual(1);
    }
    expect(namesOfFile(cut(image, writes, writes.length))).toEqual([]);
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    for (let k = 0; k <= writes.length; k++) {
      const r = fsck(cut(image, writes, k), k);
      // The window the format leaves open: the entry is gone and its clusters are not yet free in
      // every FAT copy ("Reclaimed ... unused clusters", and between the copies "FATs differ").
      if (r.code !== 0) {
        const complaints = complaintsBesidesDirty(r.out, cut(image, writes, k))
          .replace(/FATs differ but appear to be intact\.\s+Using first FAT\.\n?/, '').trim();
        expect(complaints, `after ${k} writes:\n${r.out}`).toMatch(/^(Reclaimed \d+ unused clusters? \(\d+ bytes\)\.)?$/);
      }
    }
    expect(fsck(cut(image, writes, writes.length), writes.length).code).toBe(0);
  }, 600000);
});
