// The kernel's import graph and its layer order (README, "Layers"): a
// component may import its own files and those of components below it,
// never above. kernel/ke/sysent.ts (generated from scripts/services.ts: the
// service table names every service) is the one file allowed to import up.
// test/kernel/layering.test.ts runs the check on the real tree and on small
// graphs with a planted upward edge.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** Lowest first. Files at the top of kernel/ (main.ts, selftest.ts) are the boot order: above everything. */
export const LAYERS: readonly string[] = [
  'sdk', // structures, statuses, lists, intrinsics: imports nothing
  'rtl', // run-time library
  'hal', // hardware: serial, PIC, PIT, RTC, VGA
  'ke', // kernel core: traps, interrupts, scheduler, waits, log, bug checks
  'ex', // executive support: pool, synchronisation objects, capture, hard errors
  'ob', // object manager: its objects' memory is pool (Ex)
  'se', // tokens
  'mm', // memory manager: sections are Ob objects; the pagefile needs a privilege (Se)
  'lpc', // ports
  'io', // I/O manager: driver, device and file objects, IRPs, the key queues
  'drivers', // device drivers (ATA, disk and null, serial, i8042): Io's devices, made through Io
  'fat', // the FAT file system driver
  'cm', // configuration manager (registry)
  'ps', // processes and threads
  'kd', // the kernel debugger (COM2): reads every component below it
  '', // kernel/main.ts and kernel/selftest.ts
];

/** Files allowed to import upward: the generated service table. */
export const UPWARD_ALLOWED_FILES: readonly string[] = ['ke/sysent.ts'];

export interface Edge { from: string; to: string }

/** The component of a path relative to kernel/ ("ke/wait.ts" -> "ke", "main.ts" -> ""). */
export function componentOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Every relative import of every .ts file under `kernelDir`, as paths relative to it (with .ts). */
export function readImportGraph(kernelDir: string): Edge[] {
  const edges: Edge[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) { walk(path); continue; }
      if (!entry.name.endsWith('.ts')) continue;
      const from = relative(kernelDir, path).split('\\').join('/');
      const text = readFileSync(path, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.[^"]+)"/gm)) {
        const to = normalize(join(dirname(from), m[1])).split('\\').join('/') + '.ts';
        edges.push({ from, to });
      }
    }
  };
  walk(kernelDir);
  return edges;
}

/** The edges that run up the layer order (or into an unknown component), the allowed files excepted. */
export function upwardEdges(edges: Edge[], layers: readonly string[] = LAYERS, allowed: readonly string[] = UPWARD_ALLOWED_FILES): Edge[] {
  const rank = (path: string) => {
    const r = layers.indexOf(componentOf(path));
    return r < 0 ? Number.POSITIVE_INFINITY : r;
  };
  return edges.filter((e) => !allowed.includes(e.from) && componentOf(e.from) !== componentOf(e.to) && rank(e.to) > rank(e.from));
}

/** "from -> to" per edge, sorted: the form the test compares and prints. */
export function describeEdges(edges: Edge[]): string[] {
  return [...new Set(edges.map((e) => `${e.from} -> ${e.to}`))].sort();
}

/** Prefixes of private names (NT's Xxp / Mi / Ki convention): not imported outside their component. */
export const PRIVATE_PREFIX = /^(Mi|Ki|Obp|Exp|Iop|Psp|Cmp|Sep|Lpcp|Halp|Rtlp|Fatp|Mmp|Kdp)[A-Z]/;

/** "file imports Name from target" for every private name imported across components (main.ts, the boot, may use Ki*). */
export function privateImports(kernelDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) { walk(path); continue; }
      if (!entry.name.endsWith('.ts')) continue;
      const from = relative(kernelDir, path).split('\\').join('/');
      if (UPWARD_ALLOWED_FILES.includes(from)) continue;
      for (const m of readFileSync(path, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*"(\.[^"]+)"/g)) {
        const to = normalize(join(dirname(from), m[2])).split('\\').join('/') + '.ts';
        if (componentOf(to) === componentOf(from)) continue;
        for (const name of m[1].split(',').map((n) => n.trim()).filter((n) => n !== '')) {
          if (!PRIVATE_PREFIX.test(name)) continue;
          if (componentOf(from) === '' && name.startsWith('Ki')) continue;
          found.push(`${from} imports ${name} from ${to}`);
        }
      }
    }
  };
  walk(kernelDir);
  return [...new Set(found)].sort();
}
