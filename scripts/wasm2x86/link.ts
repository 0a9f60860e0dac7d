// Pass 6, link: a translated kernel module becomes a multiboot v1 image.
//
// Layout (virtual = physical + 0x80000000, loaded at physical 1 MiB):
//
//   0x80100000  multiboot header (with the address fields, so no ELF needed)
//               entry stub: runs at physical addresses until paging is on
//               the module's code, runtime routines, data, table
//   image end   .bss: page directory (4 KiB), boot stack (64 KiB)
//
// The entry stub loads its own GDT, builds a page directory of 4 MiB pages
// (identity for the first 4 MiB so the switch survives, and 0x80000000-
// 0x8FFFFFFF -> 0-256 MiB), turns paging on, jumps to the high half, moves the
// stack to the boot stack, runs the module's instantiate routine (wasm data
// segments to their addresses, globals), then calls the start export with
// (multiboot magic, multiboot info physical address). If that returns, the
// CPU halts.

import { assemble } from './emit.ts';
import { EAX, ECX, EDI, ESI, ESP, EBX, reg, imm, mem, memSym, type Insn, type Mnemonic, type Operand, type Assembled } from './x86.ts';
import type { CompiledModule } from './api.ts';

export const KERNEL_BASE = 0x80000000;
export const LOAD_PHYS = 0x00100000;
export const BOOT_STACK_BYTES = 64 * 1024;
const MB_MAGIC = 0x1BADB002;
const MB_FLAGS = 0x00010003; // page-align modules, memory info, address fields present

export interface KernelLinkOptions {
  /** Export called with (magic, multiboot info). */
  entryExport: string;
  /** Symbol the translated prologues compare esp against (CompileOptions.stackLimit). */
  stackLimitSymbol: string;
  /**
   * Files carried in the image for the kernel (intrinsic kernel.boot_modules):
   * the table at __boot_modules is a u32 count, then per module the address of
   * its NUL-terminated name, the address of its bytes (page aligned) and its size.
   */
  bootModules?: Array<{ name: string; bytes: Uint8Array }>;
  /**
   * The kernel's export table (intrinsic kernel.export_table): wasm exports of
   * the module published by name for kernel-mode images (ntoskrnl.exe's
   * exports). The table at __export_table is a u32 count, then per export the
   * address of its NUL-terminated name and the address of the function.
   */
  exports?: string[];
}

export interface KernelImage {
  image: Uint8Array;
  assembled: Assembled;
  /** The instruction list that was assembled (spans[i] belongs to insns[i]). */
  insns: Insn[];
  entry: number;
  bssEnd: number;
}

const I = (op: Mnemonic, ...ops: Operand[]): Insn => ({ op, ops });
const L = (target: string): Insn => ({ op: 'label', target });
const sreg = (n: number): Operand => ({ k: 'sr', r: n });

/**
 * The parts every multiboot image of ours shares, for an image linked at virtual
 * `base + physical` and loaded at physical 1 MiB (the kernel, the spec-test runner):
 * the multiboot header (labels __mb_header, __image_end, __bss_end, __entry),
 * a flat GDT (0x08/0x10 kernel, 0x1B/0x23 user) with a physical and a virtual
 * GDTR, and the first instructions at __entry, which load that GDT, reload the
 * segment registers and leave the multiboot magic in esi and the info pointer in edi.
 */
export function multibootCommon(base: number): { header: Insn[]; gdt: Insn[]; entry: Insn[]; phys: (sym: string, add?: number) => Operand } {
  const phys = (sym: string, add = 0) => imm(add - base, sym);
  const header: Insn[] = [
    L('__mb_header'),
    { op: 'dd', ops: [imm(MB_MAGIC), imm(MB_FLAGS), imm((-(MB_MAGIC + MB_FLAGS)) | 0),
      phys('__mb_header'), imm(LOAD_PHYS), phys('__image_end'), phys('__bss_end'), phys('__entry')] },
  ];
  const gdt: Insn[] = [
    { op: 'align', ops: [imm(8)] }, L('__gdt'),
    { op: 'dd', ops: [
      imm(0), imm(0),
      imm(0x0000FFFF), imm(0x00CF9A00), // 0x08 kernel code: base 0, limit 4 GiB, DPL 0
      imm(0x0000FFFF), imm(0x00CF9200), // 0x10 kernel data
      imm(0x0000FFFF), imm(0x00CFFA00), // 0x18 user code, DPL 3 (selector 0x1B)
      imm(0x0000FFFF), imm(0x00CFF200), // 0x20 user data, DPL 3 (selector 0x23)
    ] },
    { op: 'align', ops: [imm(4)] },
    L('__gdtr_phys'), { op: 'db', bytes: new Uint8Array([39, 0]) }, { op: 'dd', ops: [phys('__gdt')] },
    { op: 'align', ops: [imm(4)] },
    L('__gdtr_virt'), { op: 'db', bytes: new Uint8Array([39, 0]) }, { op: 'dd', ops: [imm(0, '__gdt')] },
  ];
  const entry: Insn[] = [
    { op: 'align', ops: [imm(16)] }, L('__entry'),
    I('cli'), I('cld'),
    I('mov', reg(ESI), reg(EAX)), I('mov', reg(EDI), reg(EBX)),
    I('lgdt', { k: 'm', s: 4, disp: -base, sym: '__gdtr_phys' }),
    I('push', imm(0x08)), I('push', phys('__entry_cs')), I('retf'),
    L('__entry_cs'),
    I('mov', reg(EAX), imm(0x10)),
    I('mov', sreg(3), reg(EAX, 2)), I('mov', sreg(0), reg(EAX, 2)), I('mov', sreg(2), reg(EAX, 2)),
    I('mov', sreg(4), reg(EAX, 2)), I('mov', sreg(5), reg(EAX, 2)),
  ];
  return { header, gdt, entry, phys };
}

export function linkKernel(mod: CompiledModule, opts: KernelLinkOptions): KernelImage {
  const entry = mod.exports.get(opts.entryExport);
  if (!entry || entry.kind !== 'func') throw new Error(`link: the module has no exported function ${opts.entryExport}`);
  const origin = KERNEL_BASE + LOAD_PHYS;

  let lastInsns: Insn[] = [];
  const build = (bss: Map<string, number>): Assembled => {
    const pd = '__boot_pd', stackTop = '__boot_stack_top', stackBottom = '__boot_stack';
    const { header, gdt, entry: stubStart, phys } = multibootCommon(KERNEL_BASE);
    const stub: Insn[] = [
      ...stubStart,
      // Page directory: clear, identity 0-4 MiB, 0x80000000 + 0-256 MiB, all 4 MiB pages (PS | RW | P).
      I('push', reg(EDI)),
      I('mov', reg(EDI), phys(pd)), I('mov', reg(ECX), imm(1024)), I('mov', reg(EAX), imm(0)), I('rep_stosd'),
      I('mov', { k: 'm', s: 4, disp: -KERNEL_BASE, sym: pd }, imm(0x83)),
      I('mov', reg(EDI), phys(pd, 512 * 4)), I('mov', reg(EAX), imm(0x83)), I('mov', reg(ECX), imm(64)),
      L('__entry_pde'),
      I('mov', mem(4, EDI, 0), reg(EAX)), I('add', reg(EAX), imm(0x400000)), I('add', reg(EDI), imm(4)),
      I('dec', reg(ECX)), { op: 'jcc', cc: 'ne', target: '__entry_pde' },
      I('pop', reg(EDI)),
      I('mov', reg(EAX), { k: 'cr', r: 4 }), I('or', reg(EAX), imm(0x10)), I('mov', { k: 'cr', r: 4 }, reg(EAX)),
      I('mov', reg(EAX), phys(pd)), I('mov', { k: 'cr', r: 3 }, reg(EAX)),
      I('mov', reg(EAX), { k: 'cr', r: 0 }), I('or', reg(EAX), imm(0x80010000)), I('mov', { k: 'cr', r: 0 }, reg(EAX)),
      I('mov', reg(EAX), imm(0, '__entry_high')), I('jmp', reg(EAX)),
      L('__entry_high'),
      I('lgdt', memSym(4, '__gdtr_virt')),
      I('mov', reg(ESP), imm(0, stackTop)),
      I('mov', memSym(4, opts.stackLimitSymbol), imm(4096, stackBottom)),
      { op: 'call', target: mod.instantiate },
      I('push', reg(EDI)), I('push', reg(ESI)),
      { op: 'call', target: entry.label },
      L('__halt'), I('cli'), I('hlt'), { op: 'jmp', target: '__halt' },
      { op: 'align', ops: [imm(4)] }, L(opts.stackLimitSymbol), { op: 'dd', ops: [imm(0)] },
    ];
    const modules = opts.bootModules ?? [];
    const moduleData: Insn[] = [
      { op: 'align', ops: [imm(4)] }, L('__boot_modules'),
      { op: 'dd', ops: [imm(modules.length), ...modules.flatMap((_, i) => [imm(0, `__boot_module${i}$name`), imm(0, `__boot_module${i}`), imm(modules[i].bytes.length)])] },
      ...modules.flatMap((m, i): Insn[] => [L(`__boot_module${i}$name`), { op: 'db', bytes: new TextEncoder().encode(m.name + '\0') }]),
      ...modules.flatMap((m, i): Insn[] => [{ op: 'align', ops: [imm(4096)] }, L(`__boot_module${i}`), { op: 'db', bytes: m.bytes }]),
    ];
    const exported = (opts.exports ?? []).map((name) => {
      const e = mod.exports.get(name);
      if (!e || e.kind !== 'func') throw new Error(`link: the export table names ${name}, which the module does not export as a function`);
      return { name, label: e.label };
    });
    const exportData: Insn[] = [
      { op: 'align', ops: [imm(4)] }, L('__export_table'),
      { op: 'dd', ops: [imm(exported.length), ...exported.flatMap((e, i) => [imm(0, `__export${i}$name`), imm(0, e.label)])] },
      ...exported.map((e, i): Insn[] => [L(`__export${i}$name`), { op: 'db', bytes: new TextEncoder().encode(e.name + '\0') }]).flat(),
    ];
    const insns = [...header, ...stub, ...gdt, ...mod.insns, ...exportData, ...moduleData, { op: 'align', ops: [imm(4096)] } as Insn, L('__image_end')];
    lastInsns = insns;
    return assemble(insns, origin, bss);
  };

  // Assemble once to learn the image size, then again with the .bss symbols placed after it.
  const placeholder = new Map([['__boot_pd', 0], ['__boot_stack', 0], ['__boot_stack_top', 0], ['__bss_end', 0]]);
  const first = build(placeholder);
  const end = first.labels.get('__image_end')!;
  const bss = new Map([
    ['__boot_pd', end], ['__boot_stack', end + 4096], ['__boot_stack_top', end + 4096 + BOOT_STACK_BYTES],
    ['__bss_end', end + 4096 + BOOT_STACK_BYTES],
  ]);
  const asm = build(bss);
  if (asm.labels.get('__image_end') !== end) throw new Error('link: image size changed between passes');
  const headerOffset = asm.labels.get('__mb_header')! - origin;
  if (headerOffset > 8192 - 32) throw new Error('link: multiboot header is not in the first 8 KiB');
  if (asm.code.length > 0x300000) throw new Error(`link: kernel code is ${asm.code.length} bytes; it must end below the static data at 0x80400000`);
  return { image: asm.code, assembled: asm, insns: lastInsns, entry: asm.labels.get('__entry')!, bssEnd: bss.get('__bss_end')! };
}
