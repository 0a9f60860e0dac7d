// The hive builder: `.reg` text in, `regf` hive out. Used by the image build
// to make \Windows\System32\config\SYSTEM from a text source, and runnable:
//
//   npx tsx images/registry/hive.ts build SYSTEM.reg build/SYSTEM [--root HKEY_LOCAL_MACHINE\SYSTEM] [--minor 3|5]
//   npx tsx images/registry/hive.ts dump build/SYSTEM     (prints the hive as .reg text)

// No Node imports at the top: the browser page builds hives with this file
// too; main() below loads node:fs when run as a program.
import {
  REG_DWORD, REG_HEADER, REG_SZ, type RegKey, regApply, regFindKey, regFold, regNewKey, regParse, regSplitPath,
} from './regfile.ts';
import { type RegfOptions, regfWrite } from './regf.ts';
import { RegfReader } from './regf-reader.ts';

export const SYSTEM_ROOT = 'HKEY_LOCAL_MACHINE\\SYSTEM';

export interface BuildHiveOptions extends RegfOptions {
  root?: string; // the .reg key path the hive's root stands for
}

/**
 * In the SYSTEM hive, `CurrentControlSet` is not a key: the kernel makes it
 * at boot, a link to the control set `Select\Current` names (ControlSet001
 * for 1). regedit's exports name it all the same, so a key path that starts
 * with it goes to that control set, as importing the file on a running
 * Windows would; `Select\Current` is read from the tree as it is at that line
 * (an earlier line of the same file may set it). Without a valid
 * `Select\Current` such a line is an error.
 */
export function mapCurrentControlSet(rel: string[], root: RegKey, fail: (reason: string) => never): string[] {
  if (rel.length === 0 || regFold(rel[0]) !== 'CURRENTCONTROLSET') return rel;
  const current = regFindKey(root, ['Select'])?.values.get('CURRENT');
  if (!current || current.type !== REG_DWORD || current.data.length !== 4) {
    fail('names CurrentControlSet, but the hive has no Select\\Current DWORD to say which control set that is');
  }
  const n = new DataView(current!.data.buffer, current!.data.byteOffset, 4).getUint32(0, true);
  if (n < 1 || n > 999) fail(`names CurrentControlSet, but Select\\Current is ${n}: no control set has that number`);
  return [`ControlSet${String(n).padStart(3, '0')}`, ...rel.slice(1)];
}

/** Parses `.reg` sources (applied in order) and returns the key tree. */
export function regTreeFromSources(sources: { text: string | Uint8Array; fileName: string }[], root = SYSTEM_ROOT): RegKey {
  const rootPath = regSplitPath(root);
  if (!rootPath) throw new Error(`bad hive root "${root}"`);
  const tree = regNewKey(rootPath[rootPath.length - 1]);
  const system = regFold(root) === regFold(SYSTEM_ROOT);
  for (const s of sources) regApply(tree, regParse(s.text, s.fileName), rootPath, system ? mapCurrentControlSet : undefined);
  return tree;
}

/** `.reg` text to hive bytes. */
export function buildHive(text: string | Uint8Array, fileName: string, opts: BuildHiveOptions = {}): Uint8Array {
  const tree = regTreeFromSources([{ text, fileName }], opts.root);
  const base = fileName.split(/[\\/]/).pop()!.replace(/\.reg$/, '');
  return regfWrite(tree, { fileName: opts.fileName ?? `\\SystemRoot\\System32\\Config\\${base.toUpperCase()}`, ...opts });
}

/** A key tree as `.reg` text (strings and dwords readable, the rest as hex). */
export function regExport(tree: RegKey, root = SYSTEM_ROOT): string {
  const out: string[] = [REG_HEADER, ''];
  const quote = (s: string) => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  const walk = (k: RegKey, path: string) => {
    out.push(`[${path}]`);
    for (const v of k.values.values()) {
      const name = v.name === '' ? '@' : quote(v.name);
      const s = v.type === REG_SZ ? szText(v.data) : null;
      if (s !== null) out.push(`${name}=${quote(s)}`);
      else if (v.type === REG_DWORD && v.data.length === 4) {
        out.push(`${name}=dword:${new DataView(v.data.buffer, v.data.byteOffset).getUint32(0, true).toString(16).padStart(8, '0')}`);
      } else {
        const h = [...v.data].map((b) => b.toString(16).padStart(2, '0')).join(',');
        out.push(`${name}=${v.type === 3 ? 'hex' : `hex(${v.type.toString(16)})`}:${h}`);
      }
    }
    out.push('');
    for (const c of k.subkeys.values()) walk(c, `${path}\\${c.name}`);
  };
  walk(tree, root);
  return out.join('\r\n');
}

/** REG_SZ data as text when it is exactly "text\0" without other NULs or escapes we cannot write. */
function szText(d: Uint8Array): string | null {
  if (d.length < 2 || d.length % 2 !== 0 || d[d.length - 1] !== 0 || d[d.length - 2] !== 0) return null;
  const s = new TextDecoder('utf-16le').decode(d.subarray(0, d.length - 2));
  return /[\0\r\n]/.test(s) ? null : s;
}

async function main(argv: string[]): Promise<number> {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const [cmd, ...rest] = argv;
  const opt = (flag: string) => {
    const i = rest.indexOf(flag);
    if (i < 0) return undefined;
    const v = rest[i + 1];
    rest.splice(i, 2);
    return v;
  };
  if (cmd === 'build') {
    const root = opt('--root');
    const minor = opt('--minor');
    const [src, dst] = rest;
    if (!src || !dst) return usage();
    const hive = buildHive(readFileSync(src), src, { root, minor: minor === '3' ? 3 : 5 });
    writeFileSync(dst, hive);
    return 0;
  }
  if (cmd === 'dump') {
    const root = opt('--root');
    if (!rest[0]) return usage();
    process.stdout.write(regExport(new RegfReader(readFileSync(rest[0])).tree(), root) + '\r\n');
    return 0;
  }
  return usage();
}

function usage(): number {
  console.error('usage: hive.ts build <in.reg> <out-hive> [--root KEY] [--minor 3|5]\n       hive.ts dump <hive> [--root KEY]');
  return 2;
}

if (typeof process !== 'undefined' && process.argv?.[1] && decodeURIComponent(new URL(import.meta.url).pathname) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { console.error((e as Error).message); process.exitCode = 1; },
  );
}
