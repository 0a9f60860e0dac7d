// The format fuzzers (npm run fuzz -- hives | fat | images | formats): the
// on-disk formats the kernel reads, mutated from a seed, each boot judged by
// its serial log. Deterministic: a seed gives the same mutated bytes.
//
//   hives   SOFTWARE, SAM, SECURITY and DEFAULT primaries mutated (their .ALT
//           mirrors intact), loaded by Cm at boot and by NtInitializeRegistry;
//           the walker (test/boot/programs/fmtwalk.ts, a boot module) reads
//           every key and value and writes and flushes each hive. Any STOP fails.
//   fat     the system volume's boot sector, FATs, root directory and first
//           directory clusters mutated; Fastfat mounts it at boot, the walker
//           reads every file and writes, renames and deletes. Any STOP fails but
//           two NT answers to a volume that no longer yields the SYSTEM hive:
//           0x67 CONFIG_INITIALIZATION_FAILED (5: missing) and 0x74
//           BAD_SYSTEM_CONFIG_INFO (unusable), reported as such.
//   images  PE images (usedll.exe, and mathlib.dll under new names imported by
//           copies of it) with mutated headers, section table, import, export
//           and relocation directories, run by the test launcher as smss.exe
//           (RtlCreateUserProcess: NtCreateSection(SEC_IMAGE) and ntdll's
//           loader); a line `timeout 20000` ends images that run on. Any STOP fails.
//
//   autochk three clean FAT16/FAT32 volumes as partitions 2-4, mutated (BPB,
//           FATs, root directory, first clusters); autochk.exe reports, repairs
//           (/r) and checks each again, run by the test launcher; a run over
//           60 s is a hang. Any STOP, hang or unknown exit fails, and so does a
//           repaired volume that autochk's check again or fsck.fat -n faults.
//
// LPC messages are mutated by the services fuzzer (scripts/fuzz/services.ts:
// random lengths, types and ids sent to \fuzz\port, served by its test server).

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildKernel } from '../build.ts';
import { buildUserProgram } from '../userprog.ts';
import { buildUserImage } from '../pe/link.ts';
import { peRead } from '../pe/reader.ts';
import { boot, type BootResult } from '../../emulator/node/boot.ts';
import { buildDisk, buildOtherHive, hivePath } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { FatParseBpb } from '../../images/disk/fatread.ts';
import { cleanVolume, diskWith } from '../../test/boot/autochkfix.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
const hex = (n: number) => '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

/** mulberry32: a small seeded generator. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) ^ 0x9E3779B9; }
  next(): number {
    this.s = (this.s + 0x6D2B79F5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  }
  below(n: number): number { return n <= 0 ? 0 : this.next() % n; }
}

/** A region of a file worth mutating, with a weight. */
export interface Region { start: number; end: number; weight: number; name: string }

/** Mutates `count` places of `buf` (in place) within the regions; returns what was done. */
export function mutate(buf: Uint8Array, rng: Rng, regions: Region[], count: number): string[] {
  const live = regions.filter((r) => r.end > r.start && r.start >= 0 && r.end <= buf.length);
  if (live.length === 0) return [];
  const total = live.reduce((a, r) => a + r.weight, 0);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const done: string[] = [];
  for (let i = 0; i < count; i++) {
    let w = rng.below(total);
    const r = live.find((x) => (w -= x.weight) < 0) ?? live[0];
    const at = r.start + rng.below(r.end - r.start);
    const op = rng.below(8);
    if (op <= 1) { buf[at] ^= 1 << rng.below(8); done.push(`${r.name}+${at - r.start} bit`); }
    else if (op === 2) { const v = [0, 0xFF, 0x7F, 0x80, rng.below(256)][rng.below(5)]; buf[at] = v; done.push(`${r.name}+${at - r.start}=${v}`); }
    else if (op === 3 && at + 2 <= buf.length) { const v = [0, 0xFFFF, 0x8000, 0x7FFF, rng.below(0x10000), 1][rng.below(6)]; dv.setUint16(at & ~1, v, true); done.push(`${r.name}+${(at & ~1) - r.start} u16=${v}`); }
    else if (at + 4 <= buf.length) {
      const aligned = Math.min(at & ~3, buf.length - 4);
      const v = [0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, buf.length, buf.length + 1, rng.next(), rng.below(0x2000), 0xFFFFFFF8, dv.getUint32(aligned, true) + 8][rng.below(10)] >>> 0;
      dv.setUint32(aligned, v, true); done.push(`${r.name}+${aligned - r.start} u32=${hex(v)}`);
    }
  }
  return done;
}

export interface FormatOutcome { kind: string; seed: number; ok: boolean; accepted?: string; what: string; mutations: number; detail: string[]; seconds: number; file?: string; last: string[] }

function stopText(r: BootResult): string | undefined {
  if (!r.stop) return undefined;
  const d = r.decodedStop;
  return d ? `STOP ${hex(d.code)} ${d.name} (${d.params.map((p) => hex(p.value)).join(', ')})` : 'STOP';
}

function saveFailure(kind: string, seed: number, what: string, detail: string[], r: BootResult): string {
  const dir = join(ROOT, 'build/fuzz');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${kind}-seed-${seed}.log`);
  writeFileSync(file, [`# ${what}`, `# npm run fuzz -- ${kind} --seed ${seed} --boots 1`, '# mutations:', ...detail.map((d) => '#   ' + d), '', ...r.lines,
    ...(r.decodedStop ? ['---- stop', JSON.stringify(r.decodedStop, null, 2)] : [])].join('\n') + '\n');
  return file;
}

const strip = (lines: string[]) => lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));

// ---- the walker's kernel (hives, fat) ----

let walkerKernel: Promise<Uint8Array> | undefined;
function walker(): Promise<Uint8Array> {
  walkerKernel ??= (async () => {
    const bytes = await buildUserProgram(join(ROOT, 'test/boot/programs/fmtwalk.ts'));
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'fmtwalk.exe', bytes }], write: false });
    return new Uint8Array(kernelImage);
  })();
  return walkerKernel;
}

/** The regf regions: the base block (its checksum makes most changes a refusal) and the bins. */
function hiveRegions(h: Uint8Array): Region[] {
  return [{ start: 0, end: 0x200, weight: 1, name: 'base' }, { start: 0x1000, end: h.length, weight: 12, name: 'bins' }];
}

export async function fuzzHives(seed: number, timeoutMs = 240_000): Promise<FormatOutcome> {
  const rng = new Rng(seed);
  const t0 = Date.now();
  const files = new Map<string, Uint8Array>();
  const detail: string[] = [];
  let mutations = 0;
  const sources: Array<[string, string]> = [['SOFTWARE', 'SOFTWARE'], ['SAM', 'SAM'], ['SECURITY', 'SAM'], ['DEFAULT', 'SOFTWARE']];
  for (const [name, from] of sources) {
    const original = buildOtherHive(from);
    const m = new Uint8Array(original);
    const n = 1 + rng.below(8);
    const what = mutate(m, rng, hiveRegions(m), n);
    mutations += what.length;
    detail.push(`${name}: ${what.join(', ')}`);
    files.set(hivePath(name), m);
    files.set(hivePath(name) + '.ALT', original);
  }
  const r = await boot({ kernel: await walker(), disk: buildDisk({ fat: 'fat16', sizeMB: 32, files }), until: 'ke: idle loop', timeoutMs });
  const lines = strip(r.lines);
  const walked = lines.filter((l) => l.startsWith('fmtwalk: hive ')).length;
  const done = lines.includes('fmtwalk: done');
  const stop = stopText(r);
  const ok = !stop && r.reached && done;
  const what = stop ?? (!r.reached ? r.reason.toUpperCase() : !done ? 'the walker did not finish' : `ok: ${walked} hives walked, ` +
    `${lines.filter((l) => /^cm: .*(refused|\.ALT)/.test(l)).length} refusal or recovery lines`);
  const out: FormatOutcome = { kind: 'hives', seed, ok, what, mutations, detail, seconds: (Date.now() - t0) / 1000, last: lines.slice(-10) };
  if (!ok) out.file = saveFailure('hives', seed, what, detail, r);
  return out;
}

// ---- FAT ----

/** A small tree to mount: directories several levels deep, files of a few sizes. */
function fatFiles(): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  const fill = (n: number, v: number) => new Uint8Array(n).map((_, i) => (i * 31 + v) & 0xFF);
  m.set('\\data\\one.txt', fill(100, 1));
  m.set('\\data\\two.bin', fill(5000, 2));
  m.set('\\data\\deep\\deeper\\three.bin', fill(70000, 3));
  m.set('\\data\\deep\\Long File Name Here.txt', fill(3000, 4));
  for (let i = 0; i < 40; i++) m.set(`\\many\\file${i}.txt`, fill(10 + i * 50, i));
  return m;
}

export async function fuzzFat(seed: number, timeoutMs = 240_000): Promise<FormatOutcome> {
  const rng = new Rng(seed);
  const t0 = Date.now();
  const disk = buildDisk({ fat: 'fat16', sizeMB: 32, files: fatFiles() });
  const dv = new DataView(disk.buffer, disk.byteOffset, disk.byteLength);
  const part = dv.getUint32(446 + 8, true) * 512;
  const bps = dv.getUint16(part + 11, true), spc = disk[part + 13], reserved = dv.getUint16(part + 14, true);
  const fats = disk[part + 16], rootEntries = dv.getUint16(part + 17, true), spf = dv.getUint16(part + 22, true);
  const fat1 = part + reserved * bps, fat2 = fat1 + spf * bps, root = part + (reserved + fats * spf) * bps;
  const data = root + rootEntries * 32;
  const regions: Region[] = [
    { start: part + 11, end: part + 62, weight: 2, name: 'bpb' },
    { start: fat1, end: fat1 + 512, weight: 4, name: 'fat1' },
    { start: fat2, end: fat2 + 512, weight: 1, name: 'fat2' },
    { start: root, end: root + 32 * 16, weight: 5, name: 'root' },
    { start: data, end: data + spc * bps * 64, weight: 4, name: 'data' },
  ];
  const detail = mutate(disk, rng, regions, 1 + rng.below(6));
  const r = await boot({ kernel: await walker(), disk, until: 'ke: idle loop', timeoutMs });
  const lines = strip(r.lines);
  const done = lines.includes('fmtwalk: done');
  const stop = stopText(r);
  // NT's answers when the volume no longer yields the SYSTEM hive: not a kernel fault.
  const accepted = r.decodedStop && ((r.decodedStop.code === 0x67 && r.decodedStop.params[0]?.value === 5) || r.decodedStop.code === 0x74)
    ? `${stop}: the mutated volume no longer yields the SYSTEM hive` : undefined;
  const ok = accepted !== undefined || (!stop && r.reached && done);
  const filesLine = lines.find((l) => l.startsWith('fmtwalk: files '));
  const what = accepted ?? stop ?? (!r.reached ? r.reason.toUpperCase() : !done ? 'the walker did not finish' : `ok: ${filesLine?.slice(9) ?? ''}`);
  const out: FormatOutcome = { kind: 'fat', seed, ok, accepted, what, mutations: detail.length, detail, seconds: (Date.now() - t0) / 1000, last: lines.slice(-10) };
  if (!ok) out.file = saveFailure('fat', seed, what, detail, r);
  return out;
}

// ---- PE images ----

function peRegions(file: Uint8Array): Region[] {
  const regions: Region[] = [];
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const nt = dv.getUint32(60, true);
  regions.push({ start: 60, end: 64, weight: 1, name: 'e_lfanew' });
  regions.push({ start: nt, end: nt + 24 + dv.getUint16(nt + 20, true), weight: 6, name: 'headers' });
  const table = nt + 24 + dv.getUint16(nt + 20, true);
  regions.push({ start: table, end: table + 40 * dv.getUint16(nt + 6, true), weight: 4, name: 'sections' });
  try {
    const pe = peRead(file);
    const offsetOf = (rva: number) => {
      const s = pe.sections.find((x) => rva >= x.virtualAddress && rva < x.virtualAddress + Math.max(x.virtualSize, x.sizeOfRawData));
      return s && rva - s.virtualAddress < s.sizeOfRawData ? s.pointerToRawData + rva - s.virtualAddress : -1;
    };
    const names = ['export', 'import', 'resource', 'exception', 'security', 'reloc', 'debug', 'arch', 'gp', 'tls', 'config', 'bound', 'iat'];
    pe.directories.forEach((d, i) => {
      const at = d.size ? offsetOf(d.rva) : -1;
      if (at >= 0) regions.push({ start: at, end: Math.min(file.length, at + Math.max(d.size, 64)), weight: i === 1 || i === 5 || i === 0 ? 4 : 1, name: names[i] ?? `dir${i}` });
    });
  } catch { /* an image the reader refuses: headers only */ }
  return regions;
}

export async function fuzzImages(seed: number, count = 24, timeoutMs = 600_000): Promise<FormatOutcome> {
  const rng = new Rng(seed);
  const t0 = Date.now();
  const system32 = await buildSystem32();
  const launcher = (await buildUserImage(join(ROOT, 'test/pe/programs/launcher.ts'), { name: 'launcher.exe' })).bytes;
  const usedll = (await buildUserImage(join(ROOT, 'test/pe/programs/usedll.ts'), { name: 'usedll.exe' })).bytes;
  const mathlib = (await buildUserImage(join(ROOT, 'test/pe/programs/mathlib.ts'), { kind: 'dll', name: 'mathlib.dll' })).bytes;
  const files = new Map<string, Uint8Array>([
    ['\\Windows\\System32\\ntdll.dll', system32.get('ntdll.dll')!],
    ['\\Windows\\System32\\smss.exe', launcher],
    ['\\Windows\\System32\\mathlib.dll', mathlib],
  ]);
  const detail: string[] = [];
  const lines: string[] = ['timeout 20000'];
  let mutations = 0;
  for (let i = 0; i < count; i++) {
    const name = `m${String(i).padStart(3, '0')}`;
    if (i % 2 === 0) {
      const m = new Uint8Array(usedll);
      const what = mutate(m, rng, peRegions(m), 1 + rng.below(4));
      mutations += what.length;
      detail.push(`${name}.exe: ${what.join(', ')}`);
      files.set(`\\Images\\${name}.exe`, m);
    } else {
      // a mutated copy of mathlib.dll under an 11-character name, and usedll.exe importing it
      const dll = `mfz${String(i).padStart(4, '0')}.dll`;
      const m = new Uint8Array(mathlib);
      const what = mutate(m, rng, peRegions(m), 1 + rng.below(4));
      mutations += what.length;
      detail.push(`${dll}: ${what.join(', ')}`);
      files.set(`\\Windows\\System32\\${dll}`, m);
      const exe = new Uint8Array(usedll);
      const at = Buffer.from(exe).indexOf(Buffer.from('mathlib.dll', 'latin1'));
      if (at < 0) throw new Error('usedll.exe does not name mathlib.dll');
      exe.set(Buffer.from(dll, 'latin1'), at);
      files.set(`\\Images\\${name}.exe`, exe);
    }
    lines.push(`\\??\\C:\\Images\\${name}.exe`);
  }
  files.set('\\launch.txt', new TextEncoder().encode(lines.join('\r\n') + '\r\n'));
  const { kernelImage } = await buildKernel({ write: false });
  const r = await boot({ kernel: kernelImage, disk: buildDisk({ files }), until: 'launch: done', timeoutMs });
  const log = strip(r.lines);
  const launched = log.filter((l) => /^smss: launch: \\\?\?\\C:\\Images\\m\d+\.exe -> /.test(l));
  const stop = stopText(r);
  const ok = !stop && r.reached && launched.length === count;
  const tally = new Map<string, number>();
  for (const l of launched) { const k = l.replace(/^.* -> /, '').replace(/ 0x[0-9A-F]+$/, (m) => m); tally.set(k, (tally.get(k) ?? 0) + 1); }
  const what = stop ?? (!r.reached ? r.reason.toUpperCase() : launched.length !== count ? `${launched.length} of ${count} images reported` :
    `ok: ${[...tally].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  const out: FormatOutcome = { kind: 'images', seed, ok, what, mutations, detail, seconds: (Date.now() - t0) / 1000, last: log.slice(-10) };
  if (!ok) out.file = saveFailure('images', seed, what, detail, r);
  return out;
}

// ---- autochk ----

/** fsck.fat -n on a volume: its exit status and its lines (undefined when fsck.fat is not installed). */
function fsckFat(volume: Uint8Array, name: string): { status: number; said: string[] } | undefined {
  const dir = join(ROOT, 'build/fuzz');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.img`);
  writeFileSync(path, volume);
  const r = spawnSync('fsck.fat', ['-n', path], { encoding: 'utf8' });
  rmSync(path, { force: true });
  if (r.error) return undefined;
  const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/^fsck\.fat \d/.test(l) && !l.startsWith(`${path}: `)
    && !/^Checking we can access the last sector/.test(l));
  return { status: r.status ?? -1, said };
}

const AUTOCHK = '\\??\\C:\\Windows\\System32\\autochk.exe';
const AUTOCHK_FIXED = 'Windows has made corrections to the file system.';
const AUTOCHK_CLEAN = 'Windows has checked the file system and found no problems.';

/** The regions of a FAT volume worth mutating: BPB, both FATs' first sectors, the root directory, the first data clusters. */
function volumeRegions(vol: Uint8Array): Region[] {
  const b = FatParseBpb(vol);
  const bps = b.bytesPerSector, fat1 = b.reservedSectors * bps, fat2 = fat1 + b.fatSize * bps;
  const data = b.firstDataSector * bps, cluster = b.sectorsPerCluster * bps;
  const root = b.type === 'fat32' ? data + (b.rootCluster - 2) * cluster : fat1 + b.numFats * b.fatSize * bps;
  const rootBytes = b.type === 'fat32' ? cluster : b.rootEntries * 32;
  return [
    // The BPB up to the volume id: its label and type strings are informational (autochk, as NT's, does not
    // compare the label with the root directory's; fsck.fat does and copies it).
    { start: 11, end: b.type === 'fat32' ? 71 : 43, weight: 1, name: 'bpb' },
    { start: fat1, end: fat1 + bps, weight: 5, name: 'fat1' },
    { start: fat2, end: fat2 + bps, weight: 1, name: 'fat2' },
    { start: root, end: root + Math.min(rootBytes, 32 * 16), weight: 5, name: 'root' },
    { start: data, end: data + cluster * 24, weight: 3, name: 'data' },
  ];
}

/**
 * autochk.exe (images/system32/autochk) on mutated FAT volumes: `volumes`
 * clean fixture volumes (FAT16 or FAT32, test/boot/autochkfix.ts) become
 * partitions 2-4 beside the boot volume, each mutated; the test launcher
 * runs as smss.exe and gives autochk, for each, a report (/p), a repair
 * (/p /r) and a check again (/p), each ended after 60 s (a hang). Judged:
 * no STOP, every run reported and none timed out, every exit a status
 * autochk gives (0, or 0xC0000032 for a volume it found corrupt), and where
 * the repair said it made corrections or found nothing and the check
 * again found no problems, fsck.fat -n on the volume the guest left has
 * nothing to say but, at most, that the boot sector's label differs from
 * the root directory's (a check autochk does not make) (skipped, and said,
 * without fsck.fat).
 */
export async function fuzzAutochk(seed: number, volumes = 3, timeoutMs = 600_000): Promise<FormatOutcome> {
  const rng = new Rng(seed);
  const t0 = Date.now();
  const system32 = await buildSystem32();
  const launcher = (await buildUserImage(join(ROOT, 'test/pe/programs/launcher.ts'), { name: 'launcher.exe' })).bytes;
  const devices = Array.from({ length: volumes }, (_, k) => `\\Device\\Harddisk0\\Partition${k + 2}`);
  const lines = ['timeout 60000', ...devices.flatMap((d) => [`${AUTOCHK} /p ${d}`, `${AUTOCHK} /p /r ${d}`, `${AUTOCHK} /p ${d}`])];
  const base = buildDisk({ files: new Map([
    ['\\Windows\\System32\\ntdll.dll', system32.get('ntdll.dll')!],
    ['\\Windows\\System32\\autochk.exe', system32.get('autochk.exe')!],
    ['\\Windows\\System32\\smss.exe', launcher],
    ['\\launch.txt', new TextEncoder().encode(lines.join('\r\n') + '\r\n')],
  ]) });
  const types = devices.map(() => (rng.below(3) === 0 ? 'fat32' : 'fat16') as 'fat16' | 'fat32');
  const { disk, starts } = diskWith(base, types.map((t) => cleanVolume(t)));
  const detail: string[] = [];
  let mutations = 0;
  starts.forEach((lba, k) => {
    const vol = disk.subarray(lba * 512, lba * 512 + cleanVolume(types[k]).length);
    const what = mutate(vol, rng, volumeRegions(vol), 1 + rng.below(6));
    mutations += what.length;
    detail.push(`${devices[k]} (${types[k]}): ${what.join(', ')}`);
  });
  const saved = join(ROOT, 'build/fuzz', `autochk-${seed}-after.img`);
  mkdirSync(join(ROOT, 'build/fuzz'), { recursive: true });
  const { kernelImage } = await buildKernel({ write: false });
  const r = await boot({ kernel: kernelImage, disk, until: 'launch: done', timeoutMs, saveDisk: saved });
  const log = strip(r.lines);
  const after = r.reached ? new Uint8Array(readFileSync(saved)) : undefined;
  rmSync(saved, { force: true });
  // autochk's lines belong to the run whose "launch: ... -> ..." line follows them.
  const runs: Array<{ command: string; result: string; lines: string[] }> = [];
  let pending: string[] = [];
  for (const l of log) {
    if (l.startsWith('autochk: ')) pending.push(l.slice(9));
    const m = /^smss: launch: (.*) -> (.*)$/.exec(l);
    if (m && m[1].startsWith(AUTOCHK)) { runs.push({ command: m[1].slice(AUTOCHK.length + 1), result: m[2], lines: pending }); pending = []; }
  }
  const problems: string[] = [];
  const stop = stopText(r);
  if (r.reached && runs.length !== devices.length * 3) problems.push(`${runs.length} of ${devices.length * 3} autochk runs reported`);
  for (const run of runs) {
    if (!/^exit 0x(00000000|C0000032)$/.test(run.result)) problems.push(`${run.command}: ${run.result}`);
  }
  let agreed = 0, unrepaired = 0, labels = 0, fsckMissing = false;
  devices.forEach((d, k) => {
    const mine = runs.filter((x) => x.command.endsWith(` ${d}`));
    const repair = mine.find((x) => x.command === `/p /r ${d}`), again = mine.filter((x) => x.command === `/p ${d}`)[1];
    if (!repair || !again || !after) return;
    const repaired = repair.result === 'exit 0x00000000' && (repair.lines.includes(AUTOCHK_FIXED) || repair.lines.includes(AUTOCHK_CLEAN));
    if (!repaired) { unrepaired++; return; }
    if (!again.lines.includes(AUTOCHK_CLEAN) || again.result !== 'exit 0x00000000') {
      problems.push(`${d}: checked again after the repair: ${again.result}: ${again.lines.slice(-3).join(' | ')}`);
      return;
    }
    const lba = starts[k];
    const f = fsckFat(after.slice(lba * 512, lba * 512 + cleanVolume(types[k]).length), `autochk-${seed}-p${k + 2}`);
    if (!f) { fsckMissing = true; return; }
    // fsck.fat compares the boot sector's label with the root directory's (a boot sector without the
    // extended signature has none); autochk, as NT's, does not: that alone is not a disagreement.
    const label = /^Volume label '.*' stored in root directory and label '.*' stored in boot sector and different\.$|^\s*Auto-copying volume label|^Leaving filesystem unchanged\.$/;
    if (f.status !== 0 && f.said.length > 0 && f.said.every((l) => label.test(l))) { labels++; agreed++; return; }
    if (f.status !== 0 || f.said.length !== 0) problems.push(`${d}: fsck.fat -n after the repair: status ${f.status}: ${f.said.slice(0, 4).join(' | ')}`);
    else agreed++;
  });
  const ok = !stop && r.reached && problems.length === 0;
  const what = stop ?? (!r.reached ? r.reason.toUpperCase() : problems.length ? problems.join('; ') :
    `ok: ${runs.length} runs, ${agreed} repaired volumes fsck.fat agrees with${labels ? ` (${labels} but for the boot sector's label)` : ''}, ` +
    `${unrepaired} left as corrupt${fsckMissing ? ' (fsck.fat missing: not compared)' : ''}`);
  const out: FormatOutcome = { kind: 'autochk', seed, ok, what, mutations, detail, seconds: (Date.now() - t0) / 1000, last: log.slice(-10) };
  if (!ok) out.file = saveFailure('autochk', seed, what, detail, r);
  return out;
}

export const FORMAT_FUZZERS = { hives: fuzzHives, fat: fuzzFat, images: fuzzImages, autochk: fuzzAutochk } as const;
