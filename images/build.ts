// The disk image builder, and a reader of what it builds.
//
//   npx tsx images/build.ts [build] [--out build/disk.img] [--size MB] [--fat16|--fat32]
//        [--reg overlay.reg ...] [--add HOST_FILE=\Windows\path\NAME ...] [--no-system32]
//   npx tsx images/build.ts list IMAGE            every file and directory, with sizes
//   npx tsx images/build.ts extract IMAGE \path\in\image OUT
//   npx tsx images/build.ts hive IMAGE [SAM|SOFTWARE]  the SYSTEM (or that) hive as .reg text
//
// The image: an MBR with one partition, a FAT volume (FAT16 up to 512 MiB,
// FAT32 above, or as asked), the Windows tree from the manifest below, and
// \Windows\System32\config\SYSTEM built from images/registry/SYSTEM.reg plus
// the overlays, in order, and SAM and SOFTWARE beside it from SAM.reg and
// SOFTWARE.reg. The CLI adds System32's programs (images/system32.ts:
// ntdll.dll, smss.exe) unless --no-system32; buildDisk() adds only what it is given.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FatVolume, type FatDirNode, type FatNode, type FatReadNode, type FatType } from './disk/fat.ts';
import { MbrBuildFatDisk, MbrReadPartition } from './disk/mbr.ts';
import { buildHive, regExport, regTreeFromSources } from './registry/hive.ts';
import { RegfReader } from './registry/regf-reader.ts';
import { regfSystemOnlySecurity } from './registry/regf.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..');
/** Where the hive goes in the image. */
export const SYSTEM_HIVE_PATH = '\\Windows\\System32\\config\\SYSTEM';
/** The other machine hives the image carries, built from images/registry/<NAME>.reg, beside SYSTEM. */
export const OTHER_HIVES = ['SAM', 'SOFTWARE'] as const;
export const hivePath = (name: string) => `\\Windows\\System32\\config\\${name}`;
/** A fixed timestamp: the same inputs give the same image, byte for byte. */
const IMAGE_DATE = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));

/** The Windows tree every image has (directories; files are added to it). */
const MANIFEST_DIRS = [
  '\\Windows', '\\Windows\\System32', '\\Windows\\System32\\config', '\\Windows\\System32\\drivers', '\\Windows\\TEMP',
];

export interface DiskOptions {
  /** Disk size in MiB (default 32). */
  sizeMB?: number;
  /** FAT type (default: FAT16 up to 512 MiB, FAT32 above). */
  fat?: FatType;
  /** .reg overlays applied after SYSTEM.reg, in order. */
  overlays?: Array<{ text: string | Uint8Array; fileName: string }>;
  /** Extra files: image path -> bytes. */
  files?: Map<string, Uint8Array>;
  /** The SYSTEM hive's bytes instead of the one built from the .reg sources; null for none. */
  systemHive?: Uint8Array | null;
  /** SAM and SOFTWARE from their .reg sources (default true); false leaves them out. */
  otherHives?: boolean;
}

function dirOf(root: FatDirNode, path: string): FatDirNode {
  let dir = root;
  for (const part of path.split('\\').filter(Boolean)) {
    let next = dir.children.find((c) => c.kind === 'dir' && c.name.toLowerCase() === part.toLowerCase()) as FatDirNode | undefined;
    if (!next) { next = { kind: 'dir', name: part, children: [] }; dir.children.push(next); }
    dir = next;
  }
  return dir;
}

function addFile(root: FatDirNode, path: string, data: Uint8Array): void {
  if (!path.startsWith('\\')) throw new Error(`image path must start with a backslash: ${path}`);
  const parts = path.split('\\').filter(Boolean);
  const name = parts.pop();
  if (!name) throw new Error(`image path has no file name: ${path}`);
  const dir = dirOf(root, parts.join('\\'));
  if (dir.children.some((c) => c.name.toLowerCase() === name.toLowerCase())) throw new Error(`${path} is in the image twice`);
  dir.children.push({ kind: 'file', name, data });
}

/** The SYSTEM hive from SYSTEM.reg and the overlays. */
export function buildSystemHive(overlays: DiskOptions['overlays'] = []): Uint8Array {
  const base = readFileSync(join(HERE, 'registry', 'SYSTEM.reg'));
  if (overlays.length === 0) return buildHive(base, 'images/registry/SYSTEM.reg');
  const tree = regTreeFromSources([{ text: base, fileName: 'images/registry/SYSTEM.reg' }, ...overlays]);
  return buildHive(regExport(tree), 'SYSTEM (with overlays)');
}

/** A machine hive other than SYSTEM (SAM, SOFTWARE) from images/registry/NAME.reg. */
export function buildOtherHive(name: string): Uint8Array {
  // SAM's keys are SYSTEM's only (the kernel checks the hive's descriptor on each open).
  const security = name === 'SAM' ? regfSystemOnlySecurity() : undefined;
  return buildHive(readFileSync(join(HERE, 'registry', `${name}.reg`)), `images/registry/${name}.reg`, { root: `HKEY_LOCAL_MACHINE\\${name}`, security });
}

/** A whole disk image. */
export function buildDisk(opts: DiskOptions = {}): Uint8Array {
  const sizeMB = opts.sizeMB ?? 32;
  const type = opts.fat ?? (sizeMB > 512 ? 'fat32' : 'fat16');
  const root: FatDirNode = { kind: 'dir', name: '', children: [] };
  for (const d of MANIFEST_DIRS) dirOf(root, d);
  const hive = opts.systemHive === undefined ? buildSystemHive(opts.overlays) : opts.systemHive;
  if (hive) addFile(root, SYSTEM_HIVE_PATH, hive);
  if (opts.otherHives !== false) {
    for (const name of OTHER_HIVES) if (!opts.files?.has(hivePath(name))) addFile(root, hivePath(name), buildOtherHive(name));
  }
  for (const [path, data] of opts.files ?? []) addFile(root, path, data);
  const partitionSectors = sizeMB * 2048 - 2048;
  return MbrBuildFatDisk(root.children as FatNode[], { type, partitionSectors, date: IMAGE_DATE, label: 'NTWASM86' });
}

/** The FAT volume of a disk image. */
export function openDisk(image: Uint8Array): FatVolume {
  return new FatVolume(MbrReadPartition(image).volume);
}

function walk(nodes: FatReadNode[], prefix: string, out: string[]): void {
  for (const n of nodes) {
    const path = `${prefix}\\${n.name}`;
    if (n.kind === 'dir') { out.push(`${path}\\`); walk(n.children, path, out); }
    else out.push(`${path}  ${n.data.length}`);
  }
}

/** Every path in the image, directories with a trailing backslash, files with their size. */
export function listDisk(image: Uint8Array): string[] {
  const out: string[] = [];
  walk(openDisk(image).readTree(), '', out);
  return out;
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0] && !argv[0].startsWith('--') ? argv.shift()! : 'build';
  if (command === 'build') {
    let out = join(ROOT, 'build', 'disk.img');
    const opts: DiskOptions = { overlays: [], files: new Map() };
    let system32 = true;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--no-system32') system32 = false;
      else if (a === '--out') out = resolve(argv[++i]);
      else if (a === '--size') opts.sizeMB = Number(argv[++i]);
      else if (a === '--fat16') opts.fat = 'fat16';
      else if (a === '--fat32') opts.fat = 'fat32';
      else if (a === '--reg') { const f = argv[++i]; opts.overlays!.push({ text: readFileSync(f), fileName: f }); }
      else if (a === '--add') { const [host, path] = argv[++i].split('='); opts.files!.set(path, readFileSync(host)); }
      else throw new Error(`unknown option ${a} (see the comment at the top of images/build.ts)`);
    }
    if (system32) {
      const { system32Files } = await import('./system32.ts');
      for (const [path, bytes] of await system32Files((l) => process.stderr.write(`${l}\n`))) if (!opts.files!.has(path)) opts.files!.set(path, bytes);
    }
    const image = buildDisk(opts);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, image);
    process.stderr.write(`disk: ${out}, ${image.length >> 20} MiB\n`);
    return;
  }
  const image = new Uint8Array(readFileSync(argv[0]));
  if (command === 'list') { for (const l of listDisk(image)) console.log(l); return; }
  if (command === 'extract') { writeFileSync(argv[2], openDisk(image).readPath(argv[1])); return; }
  if (command === 'hive') {
    // `hive IMAGE [SAM|SOFTWARE]`: SYSTEM unless another hive is named.
    const name = (argv[1] ?? 'SYSTEM').toUpperCase();
    process.stdout.write(regExport(new RegfReader(openDisk(image).readPath(hivePath(name))).tree(), `HKEY_LOCAL_MACHINE\\${name}`) + '\r\n');
    return;
  }
  throw new Error(`unknown command ${command}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => { process.stderr.write(`images: ${(e as Error).message}\n`); process.exit(1); });
}
