// Changing a built disk image: a .reg overlay on its SYSTEM hive, the whole
// hive replaced from .reg text, files put in at given paths. The image is
// read back (MBR, FAT, the regf hive), changed as a tree, and built again at
// the same size and FAT type, so the result is as clean as a fresh build.
//
// No Node imports: the browser page runs this in the tab ("apply and
// reboot", files dropped on the page), `npm start --reg/--add` in Node.

import { type FatDirNode, type FatNode, type FatReadNode, type FatType, FatVolume } from './fat.ts';
import { MbrBuildFatDisk, MbrReadPartition, PART_FAT32_LBA, PARTITION_START_LBA } from './mbr.ts';
import { regExport, regTreeFromSources, SYSTEM_ROOT } from '../registry/hive.ts';
import { regApply, regParse, regSplitPath } from '../registry/regfile.ts';
import { regfWrite } from '../registry/regf.ts';
import { RegfReader } from '../registry/regf-reader.ts';

/** Where the SYSTEM hive is in the image. */
export const SYSTEM_HIVE_IMAGE_PATH = '\\Windows\\System32\\config\\SYSTEM';
/** The fixed timestamp of every entry (as images/build.ts uses). */
const IMAGE_DATE = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));

export interface DiskEdit {
  /** .reg overlays applied to the image's SYSTEM hive, in order */
  overlays?: Array<{ text: string | Uint8Array; fileName: string }>;
  /** the whole SYSTEM hive from this .reg text instead (before the overlays) */
  systemReg?: { text: string | Uint8Array; fileName: string };
  /** files to put in: image path (\Windows\System32\x.exe) -> bytes; an existing file is replaced */
  files?: Map<string, Uint8Array>;
}

function toBuildTree(nodes: FatReadNode[]): FatNode[] {
  return nodes.map((n) => (n.kind === 'dir' ? { kind: 'dir', name: n.name, children: toBuildTree(n.children) } : { kind: 'file', name: n.name, data: n.data }));
}

function splitImagePath(path: string): string[] {
  if (!path.startsWith('\\')) throw new Error(`image path must start with a backslash: ${path}`);
  const parts = path.split('\\').filter(Boolean);
  if (parts.length === 0) throw new Error(`image path has no file name: ${path}`);
  return parts;
}

function putFile(root: FatDirNode, path: string, data: Uint8Array): void {
  const parts = splitImagePath(path);
  const name = parts.pop()!;
  let dir = root;
  for (const part of parts) {
    const found = dir.children.find((c) => c.name.toLowerCase() === part.toLowerCase());
    if (found && found.kind !== 'dir') throw new Error(`${path}: ${part} is a file, not a directory`);
    let next = found as FatDirNode | undefined;
    if (!next) dir.children.push((next = { kind: 'dir', name: part, children: [] }));
    dir = next;
  }
  const at = dir.children.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
  if (at >= 0 && dir.children[at].kind === 'dir') throw new Error(`${path} is a directory in the image`);
  if (at >= 0) dir.children.splice(at, 1);
  dir.children.push({ kind: 'file', name, data });
}

/** The SYSTEM hive of an image as .reg text. */
export function readSystemReg(image: Uint8Array): string {
  const vol = new FatVolume(MbrReadPartition(image).volume);
  return regExport(new RegfReader(vol.readPath(SYSTEM_HIVE_IMAGE_PATH)).tree()) + '\r\n';
}

/** Checks .reg text; returns null or the first error, with its line when known. */
export function checkReg(text: string, fileName = 'SYSTEM.reg'): { line?: number; message: string } | null {
  try {
    regTreeFromSources([{ text, fileName }]);
    return null;
  } catch (e) {
    const err = e as Error & { line?: number };
    return { line: typeof err.line === 'number' ? err.line : undefined, message: err.message };
  }
}

/** A new image: `image` with the edits applied (the input is not changed). */
export function editDisk(image: Uint8Array, edit: DiskEdit): Uint8Array {
  const part = MbrReadPartition(image);
  const vol = new FatVolume(part.volume);
  const root: FatDirNode = { kind: 'dir', name: '', children: toBuildTree(vol.readTree()) };
  if (edit.systemReg || edit.overlays?.length) {
    const rootPath = regSplitPath(SYSTEM_ROOT)!;
    const tree = edit.systemReg
      ? regTreeFromSources([edit.systemReg])
      : new RegfReader(vol.readPath(SYSTEM_HIVE_IMAGE_PATH)).tree();
    for (const o of edit.overlays ?? []) regApply(tree, regParse(o.text, o.fileName), rootPath);
    const hive = regfWrite(tree, { fileName: '\\SystemRoot\\System32\\Config\\SYSTEM' });
    putFile(root, SYSTEM_HIVE_IMAGE_PATH, hive);
  }
  for (const [path, data] of edit.files ?? []) putFile(root, path, data);
  const type: FatType = part.type === PART_FAT32_LBA ? 'fat32' : 'fat16';
  return MbrBuildFatDisk(root.children, {
    type,
    partitionSectors: part.sectors,
    startLba: part.startLba || PARTITION_START_LBA,
    date: IMAGE_DATE,
    label: vol.bpb.label.trim() || 'NTWASM86',
  });
}
