// What the PE tests share to compare images with GNU binutils: find an
// objdump that reads pei-i386 (the host's, else MinGW's), run `objdump -p`,
// parse the parts we check, and put our reader's view in the same shape.

import { execFileSync, spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { REL_BASED_HIGHLOW } from '../../scripts/pe/format.ts';
import type { PeImage } from '../../scripts/pe/reader.ts';

export function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

/** An objdump that reads pei-i386: the host's if it lists the target, else MinGW's. */
export function findObjdump(): string | undefined {
  if (has('objdump')) {
    const help = spawnSync('objdump', ['--help'], { encoding: 'utf8' });
    if (/\bpei-i386\b/.test(help.stdout + help.stderr)) return 'objdump';
  }
  return has('i686-w64-mingw32-objdump') ? 'i686-w64-mingw32-objdump' : undefined;
}
export const OBJDUMP = findObjdump();

export interface ObjdumpView {
  imageBase: number;
  entry: number;
  subsystem: number;
  characteristics: number;
  checksum: number;
  imports: Record<string, (string | number)[]>; // DLL -> names, or ordinals
  exportOrdinalBase?: number;
  exportDll?: string;
  exports: Record<number, { rva?: number; forwarder?: string; name?: string }>;
  relocations: number[]; // HIGHLOW fixup RVAs
}

/** The parts of `objdump -p` output we compare. */
export function parseObjdump(text: string): ObjdumpView {
  const field = (name: string) => parseInt(new RegExp(`^${name}\\s+([0-9a-f]+)`, 'm').exec(text)?.[1] ?? 'NaN', 16);
  const view: ObjdumpView = {
    imageBase: field('ImageBase'), entry: field('AddressOfEntryPoint'), subsystem: field('Subsystem'),
    characteristics: parseInt(/^Characteristics 0x([0-9a-f]+)/m.exec(text)?.[1] ?? 'NaN', 16), checksum: field('CheckSum'),
    imports: {}, exports: {}, relocations: [],
  };
  let dll: string | undefined;
  let section = '';
  for (const line of text.split('\n')) {
    if (/^The Import Tables/.test(line)) section = 'imports';
    else if (/^The Export Tables/.test(line)) section = 'exports';
    else if (/^PE File Base Relocations/.test(line)) section = 'relocs';
    else if (/^\[Ordinal\/Name Pointer\] Table/.test(line)) section = 'names';
    let m: RegExpExecArray | null;
    if (section === 'imports' && (m = /^\s*DLL Name: (\S+)/.exec(line))) view.imports[(dll = m[1])] = [];
    else if (section === 'imports' && dll && (m = /^\t([0-9a-f]+)\t\s*(\d+)\s+(\S+)/.exec(line))) {
      view.imports[dll].push(m[3] === '<none>' ? Number(m[2]) : m[3]);
    } else if (section === 'exports' && (m = /^Ordinal Base\s+(\d+)/.exec(line))) view.exportOrdinalBase = Number(m[1]);
    else if (section === 'exports' && (m = /^Name\s+[0-9a-f]+ (\S+)/.exec(line))) view.exportDll = m[1];
    else if (section === 'exports' && (m = /^\t\[\s*\d+\] \+base\[\s*(\d+)\]\s+([0-9a-f]+) (Export|Forwarder) RVA(?: -- (\S+))?/.exec(line))) {
      view.exports[Number(m[1])] = m[3] === 'Export' ? { rva: parseInt(m[2], 16) } : { forwarder: m[4] };
    } else if (section === 'names' && (m = /^\t\[\s*(\d+)\] (?:\+base\[\s*\d+\]\s*)?(\S+)/.exec(line))) {
      const ordinal = Number(m[1]) + (view.exportOrdinalBase ?? 0);
      view.exports[ordinal] = { ...view.exports[ordinal], name: m[2] };
    } else if (section === 'relocs' && (m = /^\treloc\s+\d+ offset\s+[0-9a-f]+ \[([0-9a-f]+)\] HIGHLOW/.exec(line))) {
      view.relocations.push(parseInt(m[1], 16));
    }
  }
  return view;
}

/** Our reader's view in the same shape. */
export function ourView(img: PeImage): ObjdumpView {
  const exports: ObjdumpView['exports'] = {};
  for (const f of img.exports?.functions ?? []) {
    exports[f.ordinal] = { ...(f.forwarder ? { forwarder: f.forwarder } : { rva: f.rva }), ...(f.names.length ? { name: f.names[0] } : {}) };
  }
  return {
    imageBase: img.headers.imageBase, entry: img.headers.addressOfEntryPoint, subsystem: img.headers.subsystem,
    characteristics: img.headers.characteristics, checksum: img.headers.checkSum,
    imports: Object.fromEntries(img.imports.map((d) => [d.dll, d.functions.map((f) => f.name ?? f.ordinal!)])),
    exportOrdinalBase: img.exports?.ordinalBase, exportDll: img.exports?.dllName, exports,
    relocations: img.relocations.filter((r) => r.type === REL_BASED_HIGHLOW).map((r) => r.rva),
  };
}

export function objdump(file: string): { stdout: string; stderr: string } {
  const r = spawnSync(OBJDUMP!, ['-p', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr };
}
