// Power cuts in the middle of a rename and of a delete (kernel/fat/fatdir.ts
// says in what order they write) and of a hive flush (kernel/cm/cmhive.ts).
// The guest does one operation on a disk the host built; the harness records
// every sector the disk takes; then each prefix of those writes, applied to
// the original image, is what a power cut at that point leaves. Each must
// hold the file under exactly one of its names with its bytes intact (or,
// for a delete, not at all), and, for the rename, pass fsck.fat -n. For the
// hive flush every state is judged by the kernel's own hive checks -- the Cm
// code compiled to WebAssembly and run here (test/kernel/programs/hivecheck.ts)
// -- and by fsck.fat -n.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKernel, ROOT } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk, listDisk, openDisk, SYSTEM_HIVE_PATH } from '../../images/build.ts';
import { FakeMachine } from '../kernel/fake-machine.ts';
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

/** The kernel's hive checks (kernel/cm/regf.ts, regfread.ts), compiled with the kernel's own asc flags, as WebAssembly here. */
async function kernelHiveChecks(): Promise<{ judge: (file: Uint8Array | null) => { result: number; counter?: number; control?: number } }> {
  const out = join(tmp, 'hivecheck');
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/asc'), [
    'test/kernel/programs/hivecheck.ts', '-O3', '--runtime', 'stub', '--noAssert',
    '--use', 'abort=kernel/ke/bugcheck/KiAbort', '--memoryBase', '2151677952', '-o', `${out}.wasm`,
  ], { cwd: ROOT });
  const m = new FakeMachine();
  const x = (await m.instantiate(await WebAssembly.compile(readFileSync(`${out}.wasm`)))) as unknown as Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };
  return {
    judge(file) {
      if (file === null) return { result: -1 };
      const at = x.buffer(file.length) >>> 0;
      new Uint8Array(x.memory.buffer).set(file, at);
      const result = x.check(at, file.length);
      const verdict = result === 0 ? { result, counter: x.counter() >>> 0, control: x.controlSubKeys() >>> 0 } : { result };
      x.release();
      x.freeBuffer(at);
      return verdict;
    },
  };
}

describe('power cuts during a hive flush, judged by the kernel\'s own hive checks', () => {
  it('every state of a first flush (it makes SYSTEM.ALT): the kernel loads SYSTEM or its mirror, with the change all there or not at all; fsck.fat -n on every state', async (ctx) => {
    const image = buildDisk({ sizeMB: 8 }); // small: fsck.fat reads the whole volume once per state
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'regflush', bytes: await program('regflush') }], write: false });
    const writes: Array<{ offset: number; bytes: Uint8Array }> = [];
    const r = await boot({ kernel: kernelImage, disk: image, until: 'ke: idle loop', timeoutMs: 150000, onDiskWrite: (offset, bytes) => {
      for (let at = 0; at < bytes.length; at += 512) writes.push({ offset: offset + at, bytes: bytes.slice(at, at + 512) });
    } });
    expect(r.stop).toBeUndefined();
    expect(msg(r.lines)).toContain('regflush: flush 0x00000000');
    const { judge } = await kernelHiveChecks();
    const read = (state: Uint8Array, path: string): Uint8Array | null => { try { return openDisk(state).readPath(path); } catch { return null; } };
    const counts = { SYSTEM: 0, ALT: 0, refusedSystem: 0 };
    for (let k = 0; k <= writes.length; k++) {
      const state = cut(image, writes, k);
      // The kernel's order (cmhive.ts, CmpLoadHiveWith): the hive file when it passes, else its .ALT.
      let verdict = judge(read(state, SYSTEM_HIVE_PATH));
      let from: 'SYSTEM' | 'ALT' = 'SYSTEM';
      if (verdict.result !== 0) { counts.refusedSystem++; verdict = judge(read(state, `${SYSTEM_HIVE_PATH}.ALT`)); from = 'ALT'; }
      expect(verdict.result, `after ${k} of ${writes.length} sector writes neither file passes the kernel's checks`).toBe(0);
      counts[from]++;
      expect([0xFFFFFFFF, 1], `Select\\Counter after ${k} writes`).toContain(verdict.counter);
      expect(verdict.control, `ControlSet001\\Control after ${k} writes`).toBe(3);
    }
    const last = judge(read(cut(image, writes, writes.length), SYSTEM_HIVE_PATH));
    expect(last).toEqual({ result: 0, counter: 1, control: 3 });
    expect(judge(read(image, SYSTEM_HIVE_PATH)).counter).toBe(0xFFFFFFFF);
    // The window the mirror covers was hit: some states have a SYSTEM the kernel refuses.
    expect(counts.refusedSystem).toBeGreaterThan(0);
    // And the checks can fail: a torn header and a damaged bin are refused.
    const good = read(cut(image, writes, writes.length), SYSTEM_HIVE_PATH)!;
    const torn = new Uint8Array(good); torn[8] ^= 1; // Sequence2
    expect(judge(torn).result).not.toBe(0);
    const badBin = new Uint8Array(good); badBin[4096] = 0x78; // "hbin" signature
    expect(judge(badBin).result).not.toBe(0);
    console.log(`hive flush: ${writes.length + 1} power-cut states, the kernel loads SYSTEM in ${counts.SYSTEM}, SYSTEM.ALT in ${counts.ALT}`);
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    for (let k = 0; k <= writes.length; k++) {
      const state = cut(image, writes, k);
      const f = fsck(state, k);
      // A file made (SYSTEM.ALT) has its clusters allocated before its entry names them: a cut in
      // between leaves clusters fsck.fat reclaims and FAT copies that differ; the dirty flag may show.
      if (f.code !== 0) {
        const complaints = complaintsBesidesDirty(f.out, state).replace(/FATs differ but appear to be intact\.\s+Using first FAT\.\n?/, '').trim();
        expect(complaints, `fsck.fat after ${k} of ${writes.length} writes:\n${f.out}`).toMatch(/^(Reclaimed \d+ unused clusters? \(\d+ bytes\)\.)?$/);
      }
    }
    expect(fsck(cut(image, writes, writes.length), writes.length).code).toBe(0);
  }, 600000);
});
