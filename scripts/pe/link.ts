// The PE32 linker: an AssemblyScript program becomes a native .exe or .dll
// (subsystem NATIVE) that imports what it calls and exports what it exports.
// scripts/userprog.ts keeps making the flat UIMG images the kernel runs today.
//
// The image, from its base (sections contiguous, in this order):
//
//   RVA 0x1000  .data     the linear memory from the memory base: the active
//                         data segments (initialized, with their pointers)
//               .bss      the rest of the initial memory and the heap pages
//                         memory.grow may add (uninitialized, so the file
//                         stays small); it ends on a 64 KiB boundary, where
//                         memory.size counts pages from address 0
//               .text     entry point, trap handler, import thunks, the
//                         translated functions, runtime routines, instantiate
//               .globals  wasm globals, tables and the memory size (read/write)
//               .idata    imports (the IAT), .edata exports (a DLL), .reloc
//
// - The memory base is image base + 0x1000: a pointer in the program is a
//   real pointer (DESIGN.md section 2). Which constants are pointers is
//   learnt by compiling the program at a second memory base (membase.ts);
//   they and every label reference the assembler reports become HIGHLOW
//   base relocations, so the image loads at any base. Page counts are
//   computed from relocated addresses at run time (CompileOptions.memoryEnd).
// - A wasm import (module M, name N) is `M.dll!N` (module "ntdll" is
//   ntdll.dll), called through a `jmp dword [IAT slot]` thunk: the
//   translator's calls are stdcall already (arguments pushed last first, the
//   callee pops them, the result in eax or edx:eax). Two modules are not
//   DLLs: "kernel" is the translator's intrinsics (inline instructions, as in
//   every program of this project: func_address, or cli in the tests that
//   check ring 3 cannot use it), and `env.abort` (an AssemblyScript
//   assertion) raises the unreachable trap. `pe.address_of:NAME()` returns
//   the address of the program's exported function NAME (a table of
//   routines the program hands out, as win32k.sys's service table).
// - Exports: every exported function of a DLL by name, at its own entry: the
//   translator's functions are stdcall and keep ebx, esi, edi and ebp, the
//   Windows x86 convention, so no wrappers are needed.
// - Entry: an .exe's is NtProcessStartup(PEB) (stdcall): instantiate (the
//   globals, the memory size, the start function), main(), then
//   NtTerminateProcess(-1, 0). A DLL's is DllMain(hinst, reason, reserved):
//   instantiate on DLL_PROCESS_ATTACH (1), return TRUE.
// - A kernel-mode image (kind 'sys', win32k.sys; based at 0xBF800000, where
//   NT x86 loads session images) imports from "ntoskrnl.exe" (the kernel's
//   export table, kernel/exports.ts); its entry is
//   DriverEntry(DriverObject, RegistryPath): instantiate, then the
//   AssemblyScript export DriverEntry. A wasm trap calls
//   KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, status, address, 0, 0); the
//   prologues check no stack limit (kernel stacks are not TEB-described).
// - A wasm trap raises the matching exception (NtRaiseException), else ends
//   the process with its NTSTATUS, as UIMG programs do; every prologue checks
//   esp against the TEB's DeallocationStack (fs:[0xE0C]), the bottom of the
//   stack's reservation: the kernel commits stack pages as they are touched.
//
// CLI: npx tsx scripts/pe/link.ts in.ts out.exe [--dll|--sys] [--base 0x...] [--name N] [--heap-pages N]

import { TRAP_STATUS, userTrapHandler } from '../userprog.ts';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { compileAssemblyScript } from '../asc.ts';
import { decodeModule } from '../wasm2x86/decode.ts';
import { assemble } from '../wasm2x86/emit.ts';
import { compileDecoded, TRAP, type CompileOptions, type CompiledModule } from '../wasm2x86/index.ts';
import { EAX, ECX, EDX, ESP, imm, mem, reg, type Insn, type Mnemonic } from '../wasm2x86/x86.ts';
import type { Module } from '../wasm2x86/wasm.ts';
import { hex } from './format.ts';
import { memoryImage, PARTNER_DELTA, symbolizeMemoryAddresses } from './membase.ts';
import { DEFAULT_DLL_BASE, DEFAULT_EXE_BASE, peLayout, peWrite, SECTION_ALIGNMENT, type PeImageSpec, type PeImportSpec, type PeLayout, type PeSectionSpec } from './writer.ts';

export interface PeLinkOptions {
  kind?: 'exe' | 'dll' | 'sys'; // 'exe' by default
  imageBase?: number; // 0x00400000 for an .exe, 0x10000000 for a DLL by default
  name?: string; // the DLL's export name and the name in errors ("prog.exe")
  heapPages?: number; // 64 KiB pages memory.grow may add past the initial memory (4 by default)
  stackReserve?: number;
  stackCommit?: number;
  /** What a system DLL adds (ntdll.dll: its service stubs and loader entry; see scripts/pe/ntdll.ts). */
  extras?: PeLinkExtras;
}

/**
 * Code a DLL carries beside its AssemblyScript functions. The labels it
 * defines can stand for wasm imports (no IAT slot: the call goes straight
 * there) and be exported; an extra export replaces an AssemblyScript export
 * of the same name (a cdecl wrapper, say).
 */
export interface PeLinkExtras {
  /** The label a wasm import (module, name) calls, or undefined for an ordinary import. */
  internalImport?: (module: string, name: string) => string | undefined;
  /** Instructions for .text; `fn(name)` is the label of the AssemblyScript function exported as `name`. */
  code?: (fn: (name: string) => string, instantiate: string) => Insn[];
  /** Instructions for the read/write .globals section (flags the extra code keeps). */
  data?: Insn[];
  /** Extra exports: name -> label. */
  exports?: Array<{ name: string; label: string }>;
  /** AssemblyScript exports that are not DLL exports (entry points only the extra code uses). */
  hidden?: string[];
}

export interface PeLinkResult {
  bytes: Uint8Array;
  layout: PeLayout;
  /** Where the static data starts (image base + 0x1000). */
  memoryBase: number;
  /** RVAs of every HIGHLOW relocation, ascending. */
  relocations: number[];
  /** Imports in the image: DLL name -> function names. */
  imports: PeImportSpec[];
  /** Exported function names (a DLL), sorted. */
  exports: string[];
  /** RVA of the entry point. */
  entry: number;
}

/** Compiles the program with its static data at `memoryBase`: the wasm bytes. */
export type WasmAtBase = (memoryBase: number) => Promise<Uint8Array>;

export const MEMORY_RVA = 0x1000;
const HEAP_PAGES = 4;
const PAGE = 0x10000;
const MEMBASE = '__pe_memory_base';
const INITIAL_END = '__pe_memory_initial_end';
const LIMIT_END = '__pe_memory_limit_end';
const TRAP_HANDLER = '__user_trap';
const ABORT = '__pe_abort';
const DLL_PROCESS_ATTACH = 1;
/** TEB.DeallocationStack: the base of the thread's stack reservation, which the prologues check esp against (the kernel commits the stack as it grows). */
const TEB_DEALLOCATION_STACK = 0xe0c;

const I = (op: Mnemonic, ...ops: any[]): Insn => ({ op, ops });
const L = (target: string): Insn => ({ op: 'label', target });
const align = (n: number): Insn => ({ op: 'align', ops: [imm(n)] });
const iatSym = (dll: string, fn: string) => `__pe_iat$${dll}$${fn}`;
const thunkSym = (dll: string, fn: string) => `__pe_thunk$${dll}$${fn}`;
/** `call dword [IAT slot]`. */
const callIat = (dll: string, fn: string): Insn => I('call', { k: 'm', s: 4, disp: 0, sym: iatSym(dll, fn) });

/** Where a kernel-mode image is based: NT x86's session image space (the loader relocates it anyway). */
export const DEFAULT_SYS_BASE = 0xBF800000;
/** KMODE_EXCEPTION_NOT_HANDLED: the bug check a trap in a kernel-mode image ends in. */
const KMODE_EXCEPTION_NOT_HANDLED = 0x1E;

/** __user_trap(code, address) of a kernel-mode image: KeBugCheckEx(0x1E, status, address, 0, 0). */
function kernelTrapHandler(imports: ImportList): Insn[] {
  imports.add('ntoskrnl.exe', 'KeBugCheckEx');
  return [
    align(16), L(TRAP_HANDLER),
    I('mov', reg(EAX), mem(4, ESP, 4)), I('and', reg(EAX), imm(15)),
    I('mov', reg(EAX), { k: 'm', s: 4, disp: 0, index: EAX, scale: 4, sym: '__trap_status' }),
    I('mov', reg(ECX), mem(4, ESP, 8)),
    I('push', imm(0)), I('push', imm(0)), I('push', reg(ECX)), I('push', reg(EAX)), I('push', imm(KMODE_EXCEPTION_NOT_HANDLED)),
    callIat('ntoskrnl.exe', 'KeBugCheckEx'), { op: 'ud2' },
  ];
}

/** The DLL a wasm import module names: "ntdll" -> "ntdll.dll"; a name with an extension stays. */
export function importDll(module: string): string {
  return /\.(dll|exe|sys)$/i.test(module) ? module : `${module}.dll`;
}

/** Imports in first-use order, grouped by DLL. */
class ImportList {
  readonly dlls: PeImportSpec[] = [];
  add(dll: string, fn: string): void {
    let d = this.dlls.find((x) => x.dll.toLowerCase() === dll.toLowerCase());
    if (!d) this.dlls.push((d = { dll, functions: [] }));
    if (!d.functions.includes(fn)) d.functions.push(fn);
  }
  *all(): Generator<[string, string]> {
    for (const d of this.dlls) for (const f of d.functions) yield [d.dll, f as string];
  }
}

/** The entry point: NtProcessStartup for an .exe, DllMain for a DLL, DriverEntry for a .sys. */
function entryCode(kind: 'exe' | 'dll' | 'sys', compiled: CompiledModule, mainLabel: string | undefined, terminate: Insn): Insn[] {
  if (kind === 'sys') {
    return [align(16), L('__pe_entry'), { op: 'call', target: compiled.instantiate }, { op: 'jmp', target: mainLabel! }];
  }
  if (kind === 'dll') {
    return [
      align(16), L('__pe_entry'),
      I('cmp', mem(4, ESP, 8), imm(DLL_PROCESS_ATTACH)), { op: 'jcc', cc: 'ne', target: '__pe_entry$done' },
      { op: 'call', target: compiled.instantiate },
      L('__pe_entry$done'), I('mov', reg(EAX), imm(1)), I('ret', imm(12)),
    ];
  }
  return [
    align(16), L('__pe_entry'),
    { op: 'call', target: compiled.instantiate },
    { op: 'call', target: mainLabel! },
    I('push', imm(0)), I('push', imm(-1)), terminate, { op: 'ud2' },
  ];
}

/** Translate one compilation of the program (both compilations get the same options). */
const ADDRESS_OF = 'address_of:';
const addressOfSym = (fn: string) => `__pe_address_of$${fn}`;

function translate(mod: Module, name: string, imports: ImportList | undefined, usesAbort: { value: boolean }, extras?: PeLinkExtras, kernelMode = false, addressOf?: Set<string>): CompiledModule {
  const opts: CompileOptions = {
    name, prefix: 'u_', trapHandler: TRAP_HANDLER, stackLimit: kernelMode ? undefined : `fs:${TEB_DEALLOCATION_STACK}`,
    preloadedData: true, memoryEnd: { initialEnd: INITIAL_END, limitEnd: LIMIT_END },
    resolveImport: (module, fn, kind) => {
      if (kind !== 'func') return undefined;
      if (module === 'env' && fn === 'abort') { usesAbort.value = true; return ABORT; }
      // pe.address_of:NAME() returns the (relocated) address of the exported function NAME.
      if (module === 'pe' && fn.startsWith(ADDRESS_OF)) { addressOf?.add(fn.slice(ADDRESS_OF.length)); return addressOfSym(fn.slice(ADDRESS_OF.length)); }
      const internal = extras?.internalImport?.(module, fn);
      if (internal) return internal;
      const dll = importDll(module);
      imports?.add(dll, fn);
      return thunkSym(dll, fn);
    },
  };
  return compileDecoded(mod, opts);
}

/** Link a program given as a compile function (its static data at the memory base it is handed). */
export async function linkUserImage(compile: WasmAtBase, options: PeLinkOptions = {}): Promise<PeLinkResult> {
  const kind = options.kind ?? 'exe';
  const name = options.name ?? (kind === 'dll' ? 'program.dll' : 'program.exe');
  const imageBase = options.imageBase ?? (kind === 'dll' ? DEFAULT_DLL_BASE : kind === 'sys' ? DEFAULT_SYS_BASE : DEFAULT_EXE_BASE);
  if (imageBase % PAGE !== 0 || imageBase <= 0) throw new Error(`link ${name}: image base ${hex(imageBase)} is not a non-zero multiple of 64 KiB`);
  const memoryBase = imageBase + MEMORY_RVA;
  const wasm = decodeModule(await compile(memoryBase));
  const partner = decodeModule(await compile(memoryBase + PARTNER_DELTA));

  // Translate both; the second only tells which constants are addresses.
  const imports = new ImportList();
  const usesAbort = { value: false };
  const extras = options.extras;
  const addressOf = new Set<string>();
  const compiled = translate(wasm, name, imports, usesAbort, extras, kind === 'sys', addressOf);
  const other = translate(partner, name, undefined, { value: false }, extras, kind === 'sys');
  const trapCall = (service: string): Insn => {
    const internal = extras?.internalImport?.('ntdll', service);
    if (internal) return { op: 'call', target: internal };
    imports.add('ntdll.dll', service);
    return callIat('ntdll.dll', service);
  };
  const trapCode = kind === 'sys' ? kernelTrapHandler(imports) : userTrapHandler(trapCall); // the trap handler's services: NtRaiseException, NtTerminateProcess
  const functions = new Map(compiled.funcLabels.map((label, i) => [label, `function ${i} (${compiled.funcNames.get(i)})`]));
  const code = symbolizeMemoryAddresses(compiled.insns, other.insns, memoryBase, MEMBASE, `link ${name}`, (label) => functions.get(label));
  const memory = memoryImage(wasm, partner, memoryBase, `link ${name}`);

  let mainLabel: string | undefined;
  if (kind === 'sys') {
    const entry = compiled.exports.get('DriverEntry');
    if (!entry || entry.kind !== 'func') throw new Error(`link ${name}: a .sys exports DriverEntry(DriverObject, RegistryPath)`);
    if (entry.type!.params.length !== 2 || entry.type!.results.length !== 1) throw new Error(`link ${name}: DriverEntry takes two arguments and returns an NTSTATUS`);
    mainLabel = entry.label;
  }
  if (kind === 'exe') {
    const main = compiled.exports.get('main');
    if (!main || main.kind !== 'func') throw new Error(`link ${name}: an .exe exports main()`);
    if (main.type!.params.length) throw new Error(`link ${name}: main() takes no arguments (it has ${main.type!.params.length})`);
    mainLabel = main.label;
  }

  // The linear memory: static data, then the initial memory's rest and the heap.
  const pages = compiled.memory?.min ?? 0;
  const limitPages = Math.min(compiled.memory?.max ?? 65535, pages + (options.heapPages ?? HEAP_PAGES));
  if (compiled.memory && pages * PAGE < memoryBase + memory.bytes.length) {
    throw new Error(`link ${name}: the initial memory (${pages} pages) ends below the static data (${hex(memoryBase)} + ${hex(memory.bytes.length)}); was it compiled at the memory base?`);
  }
  const sections: PeSectionSpec[] = [];
  let rva = MEMORY_RVA;
  if (memory.bytes.length) {
    sections.push({ name: '.data', kind: 'data', data: memory.bytes });
    rva += Math.ceil(memory.bytes.length / SECTION_ALIGNMENT) * SECTION_ALIGNMENT;
  }
  const memoryEnd = compiled.memory ? limitPages * PAGE - imageBase : rva;
  if (memoryEnd > rva) sections.push({ name: '.bss', kind: 'bss', virtualSize: memoryEnd - rva });
  const textRva = Math.max(rva, memoryEnd);

  // .text then .globals, assembled as one stream: .globals starts at the next section boundary.
  const split = code.findIndex((x) => x.op === 'label' && x.target === compiled.memoryPages) - 1;
  if (split < 0 || code[split].op !== 'align') throw new Error(`link ${name}: cannot find where the translator's data starts`);
  const exportLabel = (n: string) => {
    const e = compiled.exports.get(n);
    if (!e || e.kind !== 'func') throw new Error(`link ${name}: no exported function ${n}`);
    return e.label;
  };
  const stream: Insn[] = [
    ...entryCode(kind, compiled, mainLabel, kind === 'exe' ? trapCall('NtTerminateProcess') : I('nop')),
    ...trapCode,
    ...(extras?.code?.(exportLabel, compiled.instantiate) ?? []),
    ...[...addressOf].flatMap((fn): Insn[] => [align(4), L(addressOfSym(fn)), I('mov', reg(EAX), imm(0, exportLabel(fn))), I('ret')]),
    ...(usesAbort.value ? [align(16), L(ABORT), I('mov', reg(EAX), mem(4, ESP, 0)), I('push', reg(EAX)), I('push', imm(TRAP.UNREACHABLE)), { op: 'call', target: TRAP_HANDLER } as Insn, I('ud2')] : []),
    ...[...imports.all()].flatMap(([dll, fn]) => [align(8), L(thunkSym(dll, fn)), I('jmp', { k: 'm', s: 4, disp: 0, sym: iatSym(dll, fn) })]),
    ...code.slice(0, split),
    align(4), L('__trap_status'),
    { op: 'dd', ops: Array.from({ length: 16 }, (_, i) => imm(TRAP_STATUS[i] ?? 0xC000001D)) },
    L('__pe_text_end'), align(SECTION_ALIGNMENT), L('__pe_globals'),
    ...code.slice(split),
    ...(extras?.data ?? []),
    L('__pe_globals_end'),
  ];
  const externals = (iat: (dll: string, fn: string) => number) => {
    const m = new Map<string, number>([[MEMBASE, memoryBase], [INITIAL_END, pages * PAGE], [LIMIT_END, limitPages * PAGE]]);
    for (const [dll, fn] of imports.all()) m.set(iatSym(dll, fn), iat(dll, fn));
    return m;
  };
  const origin = imageBase + textRva;
  const first = assemble(stream, origin, externals(() => 0));
  const textSize = first.labels.get('__pe_text_end')! - origin;
  const globalsAt = first.labels.get('__pe_globals')! - origin;
  const globalsSize = first.labels.get('__pe_globals_end')! - first.labels.get('__pe_globals')!;
  const image = (bytes: Uint8Array): PeSectionSpec[] => [
    ...sections,
    { name: '.text', kind: 'text', data: bytes.subarray(0, textSize) },
    ...(globalsSize ? [{ name: '.globals', kind: 'data' as const, data: bytes.subarray(globalsAt) }] : []),
  ];
  const extraExports = extras?.exports ?? [];
  const exports = kind === 'dll'
    ? [...[...compiled.exports.values()].filter((e) => e.kind === 'func' && !extraExports.some((x) => x.name === e.name) && !extras?.hidden?.includes(e.name)).map((e) => ({ name: e.name, label: e.label })), ...extraExports]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    : [];
  for (let i = 1; i < exports.length; i++) if (exports[i].name === exports[i - 1].name) throw new Error(`link ${name}: ${exports[i].name} is exported twice`);
  const spec = (bytes: Uint8Array, rvaOf: (label: string) => number): PeImageSpec => ({
    sections: image(bytes), imageBase, dll: kind === 'dll', entry: rvaOf('__pe_entry'), imports: imports.dlls,
    exports: kind === 'dll' ? { dllName: name, functions: exports.map((e) => ({ name: e.name, rva: rvaOf(e.label) })) } : undefined,
    stackReserve: options.stackReserve, stackCommit: options.stackCommit,
  });
  const layout = peLayout(spec(first.code, () => textRva));
  const placed = (n: string) => layout.sections.find((s) => s.name === n)?.rva;
  if (placed('.text') !== textRva || (globalsSize && placed('.globals') !== textRva + globalsAt)) {
    throw new Error(`link ${name}: the writer placed .text at ${hex(placed('.text') ?? 0)}, expected ${hex(textRva)}`);
  }

  // Second pass with the IAT slots' addresses; nothing may move.
  const final = assemble(stream, origin, externals((dll, fn) => imageBase + layout.iatSlot(dll, fn)));
  if (final.code.length !== first.code.length || [...first.labels].some(([k, v]) => final.labels.get(k) !== v)) {
    throw new Error(`link ${name}: the code moved between the assembler's passes`);
  }
  const rvaOf = (label: string) => final.labels.get(label)! - imageBase;
  const relocations = [
    ...memory.pointers.map((p) => MEMORY_RVA + p),
    ...final.relocs.map((off) => textRva + off),
  ].sort((a, b) => a - b);
  const s = spec(final.code, rvaOf);
  s.relocations = relocations;
  const written = peWrite(s);
  return {
    bytes: written.bytes, layout: written.layout, memoryBase, relocations, imports: imports.dlls,
    exports: exports.map((e) => e.name), entry: rvaOf('__pe_entry'),
  };
}

/** Link the AssemblyScript program at `path` (a path from the repository root or absolute). */
export async function buildUserImage(path: string, options: PeLinkOptions = {}): Promise<PeLinkResult> {
  const name = options.name ?? basename(path).replace(/\.ts$/, options.kind === 'dll' ? '.dll' : options.kind === 'sys' ? '.sys' : '.exe');
  return linkUserImage(async (base) => (await compileAssemblyScript(path, ['--memoryBase', String(base)], false, { threads: true })).wasm, { ...options, name });
}

async function cli(args: string[]): Promise<void> {
  const usage = 'usage: npx tsx scripts/pe/link.ts in.ts out.exe [--dll|--sys] [--base 0x...] [--name N] [--heap-pages N]';
  const files: string[] = [];
  const options: PeLinkOptions = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => { if (i + 1 >= args.length) throw new Error(`${a} needs a value\n${usage}`); return args[++i]; };
    if (a === '--dll') options.kind = 'dll';
    else if (a === '--sys') options.kind = 'sys';
    else if (a === '--base') options.imageBase = Number(value());
    else if (a === '--name') options.name = value();
    else if (a === '--heap-pages') options.heapPages = Number(value());
    else if (a === '--help' || a === '-h') { console.log(usage); return; }
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}\n${usage}`);
    else files.push(a);
  }
  if (files.length !== 2) throw new Error(usage);
  if (options.imageBase !== undefined && !Number.isInteger(options.imageBase)) throw new Error(`--base: not a number\n${usage}`);
  options.name ??= basename(files[1]);
  const r = await buildUserImage(files[0], options);
  writeFileSync(files[1], r.bytes);
  console.log(`${files[1]}: ${r.bytes.length} bytes, ${options.kind ?? 'exe'} at ${hex(r.layout.imageBase)}, entry ${hex(r.entry)}, ` +
    `${r.relocations.length} relocations, imports ${r.imports.map((d) => `${d.dll}(${d.functions.length})`).join(' ')}` +
    (r.exports.length ? `, exports ${r.exports.join(' ')}` : ''));
}

if (process.argv[1] && /scripts[\\/]pe[\\/]link\.ts$/.test(process.argv[1])) {
  cli(process.argv.slice(2)).catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
}
