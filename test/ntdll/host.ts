// A stand-in process for ntdll's Rtl routines in Node: the ntdll sources
// compiled to wasm (with test/ntdll/programs/harness.ts, which adds test
// callbacks), and JavaScript versions of the native services they import.
//
//   NtAllocateVirtualMemory / NtFreeVirtualMemory / NtQueryVirtualMemory
//       regions of 64 KiB-aligned address space in the wasm memory (grown
//       as needed), pages committed or only reserved; released regions are
//       filled with 0xDD so a use after release shows
//   NtCurrentTeb   a TEB whose +0x30 is a PEB (ProcessParameters, ProcessHeap)
//   NtDisplayString  appends the text to `host.display`
//   registry       a JS tree of keys for NtOpenKey/NtCreateKey/NtQueryValueKey/
//                  NtEnumerateValueKey/NtSetValueKey/NtDeleteValueKey
//   anything else  `host.services[name]`, or an error naming the service
//
// Addresses are wasm addresses (the DLL's pointers); helpers write and read
// UTF-16 strings, UNICODE_STRINGs and plain words there.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileAssemblyScript } from '../../scripts/asc.ts';

export const PAGE = 0x1000;
const REGION_ALIGN = 0x10000;
const ADDRESS_FLOOR = 0x00100000;

export const MEM_COMMIT = 0x1000, MEM_RESERVE = 0x2000, MEM_DECOMMIT = 0x4000, MEM_RELEASE = 0x8000;

export interface Region { base: number; size: number; committed: Set<number> }

export interface RegValue { name: string; type: number; data: Uint8Array }
export interface RegKey { name: string; keys: Map<string, RegKey>; values: RegValue[] }

let compiled: Promise<WebAssembly.Module> | undefined;
/**
 * The harness module. The test files run in separate workers, so the wasm
 * is kept in build/test-cache under a hash of the sources: AssemblyScript
 * runs once per change, not once per file.
 */
export function ntdllModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
    const sources = ['images/system32/ntdll', 'test/ntdll/programs'].flatMap((dir) =>
      readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')).sort().map((f) => join(root, dir, f)));
    const hash = createHash('sha256');
    for (const file of sources) hash.update(file).update(readFileSync(file));
    const cache = join(root, 'build/test-cache', `ntdll-${hash.digest('hex').slice(0, 16)}.wasm`);
    let wasm: Uint8Array;
    try { wasm = readFileSync(cache); } catch {
      wasm = (await compileAssemblyScript('test/ntdll/programs/harness.ts')).wasm;
      mkdirSync(dirname(cache), { recursive: true });
      writeFileSync(`${cache}.${process.pid}`, wasm);
      renameSync(`${cache}.${process.pid}`, cache);
    }
    return WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  })();
  return compiled;
}

export class NtdllHost {
  exports!: Record<string, any>;
  memory!: WebAssembly.Memory;
  regions: Region[] = [];
  next = ADDRESS_FLOOR;
  display = '';
  /** Service calls in order, by name. */
  calls: string[] = [];
  /** Extra or replacement services. */
  services: Record<string, (...args: number[]) => number> = {};
  /** Commits fail once this many more pages have been committed (Infinity: never). */
  commitBudget = Infinity;
  teb = 0; peb = 0;
  registry: RegKey = { name: '', keys: new Map(), values: [] };
  /** Mutant handles and how many times each is held. */
  mutants = new Map<number, number>();
  handles = new Map<number, RegKey>();
  nextHandle = 0x100;
  private scratchBase = 0; private scratchUsed = 0;
  private scratchSize = 0x100000;

  static async create(): Promise<NtdllHost> {
    const host = new NtdllHost();
    const module = await ntdllModule();
    const imports: Record<string, Record<string, any>> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== 'function') continue;
      (imports[imp.module] ??= {})[imp.name] = (...args: number[]) => host.call(imp.name, args);
    }
    const instance = await WebAssembly.instantiate(module, imports);
    host.exports = instance.exports as Record<string, any>;
    host.memory = host.exports.memory as WebAssembly.Memory;
    host.scratchBase = host.reserve(host.scratchSize, true);
    host.teb = host.alloc(0x1000, 16);
    host.peb = host.alloc(0x1000, 16);
    host.w32(host.teb + 0x18, host.teb);
    host.w32(host.teb + 0x30, host.peb);
    return host;
  }

  // ---- memory ----
  get u8() { return new Uint8Array(this.memory.buffer); }
  get dv() { return new DataView(this.memory.buffer); }
  r8(a: number) { return this.dv.getUint8(a); }
  r16(a: number) { return this.dv.getUint16(a, true); }
  r32(a: number) { return this.dv.getUint32(a, true); }
  ri16(a: number) { return this.dv.getInt16(a, true); }
  w8(a: number, v: number) { this.dv.setUint8(a, v); }
  w16(a: number, v: number) { this.dv.setUint16(a, v, true); }
  w32(a: number, v: number) { this.dv.setUint32(a, v >>> 0, true); }
  r64(a: number) { return this.dv.getBigUint64(a, true); }
  w64(a: number, v: bigint) { this.dv.setBigUint64(a, v, true); }

  /** Scratch memory for arguments (never freed), zeroed. */
  alloc(bytes: number, align = 8): number {
    this.scratchUsed = (this.scratchUsed + align - 1) & ~(align - 1);
    const a = this.scratchBase + this.scratchUsed;
    this.scratchUsed += bytes;
    if (this.scratchUsed > this.scratchSize) throw new Error('scratch exhausted');
    this.u8.fill(0, a, a + bytes);
    return a;
  }
  /** A NUL-terminated UTF-16 copy of `s`. */
  wstr(s: string): number {
    const a = this.alloc(s.length * 2 + 2, 2);
    for (let i = 0; i < s.length; i++) this.w16(a + i * 2, s.charCodeAt(i));
    return a;
  }
  /** A NUL-terminated byte copy of `s` (char codes < 256). */
  astr(s: string): number {
    const a = this.alloc(s.length + 1, 1);
    for (let i = 0; i < s.length; i++) this.w8(a + i, s.charCodeAt(i));
    return a;
  }
  /** A UNICODE_STRING over a copy of `s` with `extra` spare bytes (MaximumLength = Length + extra). */
  us(s: string, extra = 2): number {
    const b = this.wstr(s + '\0'.repeat(Math.ceil(extra / 2)));
    return this.ustring(s.length * 2, s.length * 2 + extra, b);
  }
  /** A UNICODE_STRING header. */
  ustring(length: number, maximum: number, buffer: number): number {
    const u = this.alloc(8, 4);
    this.w16(u, length); this.w16(u + 2, maximum); this.w32(u + 4, buffer);
    return u;
  }
  /** An empty UNICODE_STRING over a fresh buffer of `maximum` bytes (filled with 0xEE). */
  ubuf(maximum: number): number {
    const b = this.alloc(maximum + 2, 2);
    this.u8.fill(0xEE, b, b + maximum + 2);
    return this.ustring(0, maximum, b);
  }
  /** The text of a UNICODE_STRING (Length bytes). */
  readUS(u: number): string { return this.readW(this.r32(u + 4), this.r16(u) / 2); }
  /** `count` UTF-16 units at `a`; count undefined: up to the NUL. */
  readW(a: number, count?: number): string {
    let s = '';
    for (let i = 0; count === undefined || i < count; i++) {
      const c = this.r16(a + i * 2);
      if (count === undefined && c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }
  readA(a: number, count?: number): string {
    let s = '';
    for (let i = 0; count === undefined || i < count; i++) {
      const c = this.r8(a + i);
      if (count === undefined && c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }

  // ---- virtual memory ----
  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
  }
  reserve(size: number, commit = false): number {
    size = Math.ceil(size / REGION_ALIGN) * REGION_ALIGN;
    const base = this.next;
    this.next += size;
    this.ensure(this.next);
    const region: Region = { base, size, committed: new Set() };
    this.regions.push(region);
    if (commit) for (let p = base; p < base + size; p += PAGE) region.committed.add(p);
    return base;
  }
  regionOf(a: number): Region | undefined { return this.regions.find((r) => a >= r.base && a < r.base + r.size); }
  isCommitted(a: number): boolean { return this.regionOf(a)?.committed.has(a & ~(PAGE - 1)) ?? false; }
  committedPages(): number { return this.regions.reduce((n, r) => n + r.committed.size, 0); }

  NtAllocateVirtualMemory(process: number, baseP: number, _zero: number, sizeP: number, type: number, _protect: number): number {
    if (process !== 0xFFFFFFFF) return this.services.NtAllocateVirtualMemory?.(process, baseP, _zero, sizeP, type, _protect) ?? 0xC0000008;
    let base = this.r32(baseP), size = this.r32(sizeP);
    if (size === 0) return 0xC000000D;
    if (base === 0) {
      if (!(type & MEM_RESERVE)) return 0xC000000D;
      base = this.reserve(size);
      size = Math.ceil(size / REGION_ALIGN) * REGION_ALIGN;
      if (!(type & MEM_COMMIT)) { this.w32(baseP, base); this.w32(sizeP, size); return 0; }
      size = Math.ceil(this.r32(sizeP) / PAGE) * PAGE;
    }
    const first = base & ~(PAGE - 1);
    const end = Math.ceil((base + size) / PAGE) * PAGE;
    const region = this.regionOf(first);
    if (!region || end > region.base + region.size) return 0xC0000018; // STATUS_CONFLICTING_ADDRESSES
    if (type & MEM_COMMIT) {
      let fresh = 0;
      for (let p = first; p < end; p += PAGE) if (!region.committed.has(p)) fresh++;
      if (fresh > this.commitBudget) return 0xC000012D; // STATUS_COMMITMENT_LIMIT
      if (this.commitBudget !== Infinity) this.commitBudget -= fresh;
      for (let p = first; p < end; p += PAGE) {
        if (!region.committed.has(p)) { region.committed.add(p); this.u8.fill(0, p, p + PAGE); }
      }
    }
    this.w32(baseP, first); this.w32(sizeP, end - first);
    return 0;
  }
  NtFreeVirtualMemory(process: number, baseP: number, sizeP: number, type: number): number {
    if (process !== 0xFFFFFFFF) return this.services.NtFreeVirtualMemory?.(process, baseP, sizeP, type) ?? 0xC0000008;
    const base = this.r32(baseP);
    const i = this.regions.findIndex((r) => r.base === base);
    if (type === MEM_RELEASE) {
      if (i < 0 || this.r32(sizeP) !== 0) return 0xC000009F; // STATUS_FREE_VM_NOT_AT_BASE
      const r = this.regions[i];
      this.u8.fill(0xDD, r.base, r.base + r.size);
      this.regions.splice(i, 1);
      this.w32(sizeP, r.size);
      return 0;
    }
    return 0xC000000D;
  }
  NtQueryVirtualMemory(process: number, base: number, infoClass: number, info: number, length: number, result: number): number {
    if (process !== 0xFFFFFFFF || infoClass !== 0 || length < 28) return 0xC000000D;
    const r = this.regionOf(base);
    const page = base & ~(PAGE - 1);
    this.w32(info, page);
    this.w32(info + 4, r ? r.base : 0);
    this.w32(info + 8, r ? 4 : 0);
    if (r) {
      const state = r.committed.has(page);
      let end = page;
      while (end < r.base + r.size && r.committed.has(end) === state) end += PAGE;
      this.w32(info + 12, end - page);
      this.w32(info + 16, state ? MEM_COMMIT : MEM_RESERVE);
    } else {
      this.w32(info + 12, PAGE); this.w32(info + 16, 0x10000); // MEM_FREE
    }
    this.w32(info + 20, r ? 4 : 1);
    this.w32(info + 24, 0x20000);
    if (result) this.w32(result, 28);
    return 0;
  }

  // ---- the rest of the services ----
  call(name: string, args: number[]): number {
    args = args.map((a) => a >>> 0);
    this.calls.push(name);
    const override = this.services[name];
    if (override) return override(...args);
    switch (name) {
      case 'NtCurrentTeb': return this.teb;
      // The DLL's raw-address call helper: here a function pointer is a table index (harness.ts).
      case 'RtlpCallQueryRoutine': return this.exports.TestCallQueryRoutine(...args);
      case 'NtAllocateVirtualMemory': return this.NtAllocateVirtualMemory(args[0], args[1], args[2], args[3], args[4], args[5]);
      case 'NtFreeVirtualMemory': return this.NtFreeVirtualMemory(args[0], args[1], args[2], args[3]);
      case 'NtQueryVirtualMemory': return this.NtQueryVirtualMemory(args[0], args[1], args[2], args[3], args[4], args[5]);
      case 'NtDisplayString': this.display += this.readUS(args[0]); return 0;
      // Mutants: recursive, single-threaded here; `held` counts acquisitions per handle.
      case 'NtCreateMutant': { const hm = this.nextHandle; this.nextHandle += 4; this.mutants.set(hm, 0); this.w32(args[0], hm); return 0; }
      case 'NtWaitForSingleObject': {
        if (!this.mutants.has(args[0])) throw new Error(`wait on unknown handle ${args[0]}`);
        this.mutants.set(args[0], this.mutants.get(args[0])! + 1); return 0;
      }
      case 'NtReleaseMutant': {
        const held = this.mutants.get(args[0]);
        if (!held) return 0xC0000046; // STATUS_MUTANT_NOT_OWNED
        this.mutants.set(args[0], held - 1); return 0;
      }
      case 'NtOpenKey': return this.openKey(args[0], args[2], false);
      case 'NtCreateKey': return this.openKey(args[0], args[2], true, args[6]);
      case 'NtClose': this.handles.delete(args[0]); this.mutants.delete(args[0]); return 0;
      case 'NtQueryValueKey': return this.queryValue(args[0], this.readUS(args[1]), args[2], args[3], args[4], args[5]);
      case 'NtEnumerateValueKey': {
        const key = this.handles.get(args[0]);
        if (!key) return 0xC0000008;
        const v = key.values[args[1]];
        if (!v) return 0x8000001A;
        return this.valueInfo(v, args[2], args[3], args[4], args[5]);
      }
      case 'NtSetValueKey': {
        const key = this.handles.get(args[0]);
        if (!key) return 0xC0000008;
        this.setValue(key, this.readUS(args[1]), args[3], this.u8.slice(args[4], args[4] + args[5]));
        return 0;
      }
      case 'NtDeleteValueKey': {
        const key = this.handles.get(args[0]);
        if (!key) return 0xC0000008;
        const name = this.readUS(args[1]).toLowerCase();
        const i = key.values.findIndex((v) => v.name.toLowerCase() === name);
        if (i < 0) return 0xC0000034;
        key.values.splice(i, 1);
        return 0;
      }
    }
    throw new Error(`unexpected service ${name}(${args.map((a) => '0x' + a.toString(16)).join(', ')})`);
  }

  // ---- registry ----
  /** The key at a path like `\Registry\Machine\System\X` (created with `create`). */
  key(path: string, create = false): RegKey | undefined {
    const parts = path.split('\\').filter((p) => p).join('\\');
    return parts ? this.walk(this.registry, parts, create) : this.registry;
  }
  setValue(key: RegKey, name: string, type: number, data: Uint8Array): void {
    const i = key.values.findIndex((v) => v.name.toLowerCase() === name.toLowerCase());
    const v = { name, type, data: new Uint8Array(data) };
    if (i >= 0) key.values[i] = v; else key.values.push(v);
  }
  private openKey(handleP: number, oa: number, create: boolean, disposition = 0): number {
    let path = this.readUS(this.r32(oa + 8));
    const root = this.r32(oa + 4);
    if (root) {
      const parent = this.handles.get(root);
      if (!parent) return 0xC0000008;
      if (path.startsWith('\\')) return 0xC0000033;
      const k = this.walk(parent, path, create);
      if (!k) return 0xC0000034;
      return this.newHandle(handleP, k, disposition);
    }
    if (!path.startsWith('\\')) return 0xC0000033;
    path = path.slice(1);
    const k = this.walk(this.registry, path, create);
    if (!k) return path.includes('\\') && !this.walk(this.registry, path.slice(0, path.lastIndexOf('\\')), false) ? 0xC000003A : 0xC0000034;
    return this.newHandle(handleP, k, disposition);
  }
  private walk(from: RegKey, path: string, create: boolean): RegKey | undefined {
    let k = from;
    for (const part of path.split('\\')) {
      if (!part) return undefined;
      let child = k.keys.get(part.toLowerCase());
      if (!child) {
        if (!create) return undefined;
        child = { name: part, keys: new Map(), values: [] };
        k.keys.set(part.toLowerCase(), child);
      }
      k = child;
    }
    return k;
  }
  private newHandle(handleP: number, k: RegKey, disposition: number): number {
    const h = this.nextHandle; this.nextHandle += 4;
    this.handles.set(h, k);
    this.w32(handleP, h);
    if (disposition) this.w32(disposition, 1);
    return 0;
  }
  private queryValue(h: number, name: string, infoClass: number, info: number, length: number, result: number): number {
    const key = this.handles.get(h);
    if (!key) return 0xC0000008;
    const v = key.values.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!v) return 0xC0000034;
    return this.valueInfo(v, infoClass, info, length, result);
  }
  /** KEY_VALUE_BASIC (0), FULL (1), PARTIAL (2) information, with NT's overflow rules. */
  private valueInfo(v: RegValue, infoClass: number, info: number, length: number, result: number): number {
    const name = v.name, data = v.data;
    let fixed: number, total: number;
    if (infoClass === 0) { fixed = 12; total = fixed + name.length * 2; }
    else if (infoClass === 1) { fixed = 20; total = ((fixed + name.length * 2 + 3) & ~3) + data.length; }
    else if (infoClass === 2) { fixed = 12; total = fixed + data.length; }
    else return 0xC000000D;
    this.w32(result, total);
    if (length < fixed) return 0xC0000023;
    this.w32(info, 0); this.w32(info + 4, v.type);
    if (infoClass === 2) this.w32(info + 8, data.length);
    else if (infoClass === 0) this.w32(info + 8, name.length * 2);
    else {
      const off = (fixed + name.length * 2 + 3) & ~3;
      this.w32(info + 8, off); this.w32(info + 12, data.length); this.w32(info + 16, name.length * 2);
    }
    if (length < total) return 0x80000005;
    if (infoClass === 0 || infoClass === 1) for (let i = 0; i < name.length; i++) this.w16(info + fixed + i * 2, name.charCodeAt(i));
    if (infoClass === 1) this.u8.set(data, info + ((fixed + name.length * 2 + 3) & ~3));
    if (infoClass === 2) this.u8.set(data, info + 12);
    return 0;
  }
}

/** UTF-16LE bytes of `s` (add '\0' yourself for a terminator). */
export function utf16(s: string): Uint8Array {
  const b = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) { b[i * 2] = s.charCodeAt(i) & 0xFF; b[i * 2 + 1] = s.charCodeAt(i) >> 8; }
  return b;
}
export function dword(v: number): Uint8Array { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; }
export function hex(v: number): string { return '0x' + (v >>> 0).toString(16).toUpperCase().padStart(8, '0'); }

/** A host whose PEB has a process heap (growable, from RtlCreateHeap). */
export async function processWithHeap(): Promise<NtdllHost> {
  const host = await NtdllHost.create();
  const heap = host.exports.RtlCreateHeap(2, 0, 0, 0, 0, 0) >>> 0;
  if (!heap) throw new Error('RtlCreateHeap failed');
  host.w32(host.peb + 0x18, heap);
  return host;
}
