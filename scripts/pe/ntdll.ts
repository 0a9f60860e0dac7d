// ntdll.dll: the Rtl and Ldr routines of images/system32/ntdll/ (AssemblyScript)
// linked by scripts/pe/link.ts as a DLL at 0x7C900000, with what only
// machine code can be:
//
//   Nt*, Zw*            one stub per system service of scripts/services.ts,
//                       exported under both names: mov eax, N; mov edx,
//                       0x7FFE0300; call edx; ret 4*args (SharedUserData's
//                       sysenter stub, as Windows XP). The DLL's own calls to
//                       services (wasm imports from "ntdll") go straight there.
//   NtCurrentTeb        mov eax, fs:[0x18]; ret
//   LdrInitializeThunk  where the kernel starts every thread of an image
//                       process, with (Context, NtdllBase) on the stack: the
//                       first time in a process it instantiates the module
//                       (its globals live in the DLL's private .globals
//                       pages), then jumps to LdrpInitialize (ldr.ts)
//   DbgPrint, DbgPrintEx, _vsnprintf
//                       cdecl, as in Windows: wrappers that hand the caller's
//                       argument words (a va_list) to vDbgPrintEx and the
//                       stdcall _vsnprintf
//   LdrpCallInitRoutine, RtlpCallQueryRoutine
//                       (not exported) call a routine at a raw address with
//                       stdcall arguments, keeping ebx/esi/edi/ebp and the
//                       stack pointer whatever the callee does
//
// CLI: npx tsx scripts/pe/ntdll.ts [out.dll]   (default build/system32/ntdll.dll)

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES, SHADOW_SERVICES, serviceStubs } from '../services.ts';
import { EAX, EBP, EBX, EDI, ESI, ESP, imm, mem, reg, type Insn, type Mnemonic } from '../wasm2x86/x86.ts';
import { buildUserImage, type PeLinkExtras, type PeLinkResult } from './link.ts';

export const NTDLL_BASE = 0x7c900000;
export const NTDLL_SOURCE = 'images/system32/ntdll/index.ts';

const I = (op: Mnemonic, ...ops: any[]): Insn => ({ op, ops });
const L = (target: string): Insn => ({ op: 'label', target });
const align = (n: number): Insn => ({ op: 'align', ops: [imm(n)] });
const stub = (name: string) => `__nt$${name}`;
const helper = (name: string) => `__ntdll$${name}`;
const READY = '__ntdll$ready';
/** Exported by the AssemblyScript module only so the stubs can find them. */
const INTERNAL_EXPORTS = ['LdrpInitialize'];

/** Calls [ebp+8] with `args` stdcall arguments from [ebp+12]..., keeping the callee-saved registers and esp. */
function rawCall(label: string, args: number): Insn[] {
  const pushes: Insn[] = [];
  for (let i = args - 1; i >= 0; i--) pushes.push(I('push', mem(4, EBP, 12 + i * 4)));
  return [
    align(16), L(label),
    I('push', reg(EBP)), I('mov', reg(EBP), reg(ESP)),
    I('push', reg(EBX)), I('push', reg(ESI)), I('push', reg(EDI)),
    ...pushes,
    I('call', mem(4, EBP, 8)),
    I('lea', reg(ESP), mem(4, EBP, -12)),
    I('pop', reg(EDI)), I('pop', reg(ESI)), I('pop', reg(EBX)), I('pop', reg(EBP)),
    I('ret', imm(4 + args * 4)),
  ];
}

function extras(): PeLinkExtras {
  const services = new Set([...SERVICES, ...SHADOW_SERVICES].map((s) => s.name));
  const helpers = new Set(['NtCurrentTeb', 'LdrpCallInitRoutine', 'RtlpCallQueryRoutine']);
  const unknown = new Set<string>();
  return {
    internalImport: (module, name) => {
      if (module !== 'ntdll') return undefined;
      if (services.has(name)) return stub(name);
      if (helpers.has(name)) return helper(name);
      unknown.add(name);
      throw new Error(`ntdll.dll: the AssemblyScript sources import ntdll!${name}, which is neither a system service (scripts/services.ts) nor a helper`);
    },
    code: (fn, instantiate) => [
      ...serviceStubs('__nt$'),
      align(16), L(helper('NtCurrentTeb')),
      I('mov', reg(EAX), { k: 'm', s: 4, disp: 0x18, seg: 4 }), I('ret'),
      // LdrInitializeThunk(Context, NtdllBase): set up once per process, then LdrpInitialize (never returns).
      align(16), L('__ntdll$LdrInitializeThunk'),
      I('cmp', { k: 'm', s: 4, disp: 0, sym: READY }, imm(0)), { op: 'jcc', cc: 'ne', target: '__ntdll$thunk$ready' },
      { op: 'call', target: instantiate },
      I('mov', { k: 'm', s: 4, disp: 0, sym: READY }, imm(1)),
      L('__ntdll$thunk$ready'),
      { op: 'jmp', target: fn('LdrpInitialize') },
      // DbgPrint(Format, ...) cdecl -> vDbgPrintEx(-1, 0, Format, &args).
      align(16), L('__ntdll$DbgPrint'),
      I('lea', reg(EAX), mem(4, ESP, 8)), I('push', reg(EAX)),
      I('push', mem(4, ESP, 8)), I('push', imm(0)), I('push', imm(-1)),
      { op: 'call', target: fn('vDbgPrintEx') }, I('ret'),
      // DbgPrintEx(ComponentId, Level, Format, ...) cdecl -> vDbgPrintEx(ComponentId, Level, Format, &args).
      align(16), L('__ntdll$DbgPrintEx'),
      I('lea', reg(EAX), mem(4, ESP, 16)), I('push', reg(EAX)),
      I('push', mem(4, ESP, 16)), I('push', mem(4, ESP, 16)), I('push', mem(4, ESP, 16)),
      { op: 'call', target: fn('vDbgPrintEx') }, I('ret'),
      // _vsnprintf(buffer, count, format, args) cdecl -> the stdcall one.
      align(16), L('__ntdll$_vsnprintf'),
      I('push', mem(4, ESP, 16)), I('push', mem(4, ESP, 16)), I('push', mem(4, ESP, 16)), I('push', mem(4, ESP, 16)),
      { op: 'call', target: fn('_vsnprintf') }, I('ret'),
      ...rawCall(helper('LdrpCallInitRoutine'), 3),
      ...rawCall(helper('RtlpCallQueryRoutine'), 6),
    ],
    data: [align(4), L(READY), { op: 'dd', ops: [imm(0)] }],
    exports: [
      ...[...SERVICES, ...SHADOW_SERVICES].flatMap((s) => [{ name: s.name, label: stub(s.name) }, { name: `Zw${s.name.slice(2)}`, label: stub(s.name) }]),
      { name: 'NtCurrentTeb', label: helper('NtCurrentTeb') },
      { name: 'LdrInitializeThunk', label: '__ntdll$LdrInitializeThunk' },
      { name: 'DbgPrint', label: '__ntdll$DbgPrint' },
      { name: 'DbgPrintEx', label: '__ntdll$DbgPrintEx' },
      { name: '_vsnprintf', label: '__ntdll$_vsnprintf' },
    ],
    hidden: INTERNAL_EXPORTS,
  };
}

/** Links ntdll.dll. */
export async function buildNtdll(): Promise<PeLinkResult> {
  return buildUserImage(NTDLL_SOURCE, { kind: 'dll', name: 'ntdll.dll', imageBase: NTDLL_BASE, extras: extras(), heapPages: 0 });
}

async function cli(args: string[]): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const out = args[0] ?? join(root, 'build/system32/ntdll.dll');
  const r = await buildNtdll();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, r.bytes);
  console.log(`${out}: ${r.bytes.length} bytes at ${'0x' + NTDLL_BASE.toString(16)}, ${r.exports.length} exports, ${r.relocations.length} relocations`);
}

if (process.argv[1] && /scripts[\\/]pe[\\/]ntdll\.ts$/.test(process.argv[1])) {
  cli(process.argv.slice(2)).catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
}
