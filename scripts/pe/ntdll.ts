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
//   KiUserExceptionDispatcher, RtlCaptureContext, RtlRaiseException,
//   RtlRaiseStatus, RtlUnwind
//                       user-mode exceptions (images/system32/ntdll/except.ts
//                       holds the logic): the kernel's entry with
//                       (ExceptionRecord, ContextRecord) on the stack, and the
//                       routines that capture the caller's registers
//   RtlpExecuteHandler, RtlpNestedHandler, RtlpCallExceptionFilter,
//   RtlpRaiseChained    (not exported) call a frame handler under a
//                       registration that reports a nested exception, call a
//                       filter with EXCEPTION_POINTERS, raise a status
//
// CLI: npx tsx scripts/pe/ntdll.ts [out.dll]   (default build/system32/ntdll.dll)

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES, SHADOW_SERVICES, serviceStubs } from '../services.ts';
import { CS, DS, EAX, EBP, EBX, ECX, EDI, EDX, ES, ESI, ESP, FS, GS, SS, imm, mem, reg, type Insn, type Mnemonic } from '../wasm2x86/x86.ts';
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
export const INTERNAL_EXPORTS = ['LdrpInitialize', 'RtlpRaiseException', 'RtlpUnwind'];
/** What the AssemblyScript sources may import from "ntdll" besides the services: labels of the code below. */
export const NTDLL_HELPERS = ['NtCurrentTeb', 'LdrpCallInitRoutine', 'RtlpCallQueryRoutine', 'RtlpExecuteHandler', 'RtlpCallExceptionFilter', 'RtlpRaiseChained'];

/**
 * CONTEXT (x86) field offsets for the stubs below: kernel/sdk/context.ts's
 * layout (test/kernel/sdk.test.ts compares them with it, and it with MinGW's winnt.h).
 */
export const CONTEXT_OFFSETS = {
  ContextFlags: 0x00, SegGs: 0x8C, SegFs: 0x90, SegEs: 0x94, SegDs: 0x98, Edi: 0x9C, Esi: 0xA0, Ebx: 0xA4, Edx: 0xA8,
  Ecx: 0xAC, Eax: 0xB0, Ebp: 0xB4, Eip: 0xB8, SegCs: 0xBC, EFlags: 0xC0, Esp: 0xC4, SegSs: 0xC8,
} as const;
/** sizeof(CONTEXT) = 0x2CC, rounded to 16 for a frame on the stack. */
const CONTEXT_FRAME = 0x2D0;
/** EXCEPTION_RECORD: +0 ExceptionCode, +4 ExceptionFlags, +8 ExceptionRecord, +12 ExceptionAddress, +16 NumberParameters (0x50 bytes). */
const RECORD = { ExceptionCode: 0, ExceptionFlags: 4, ExceptionRecord: 8, ExceptionAddress: 12, NumberParameters: 16, size: 0x50 } as const;
/** EXCEPTION_REGISTRATION_RECORD: +0 Next, +4 Handler; ours adds +8, the frame whose handler runs. */
const CONTEXT_FULL = 0x10007, EXCEPTION_NONCONTINUABLE = 1, EXCEPTION_UNWIND = 6, STATUS_UNWIND = 0xC0000027;
const ExceptionContinueSearch = 1, ExceptionNestedException = 2;

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

const FS0 = { k: 'm', s: 4, disp: 0, seg: 4 } as const; // fs:[0], TEB NtTib.ExceptionList
const call = (target: string): Insn => ({ op: 'call', target });
const jcc = (cc: 'e' | 'ne', target: string): Insn => ({ op: 'jcc', cc, target });
/** push ebp; mov ebp, esp; push ebx; push esi; push edi. */
const enter = (): Insn[] => [I('push', reg(EBP)), I('mov', reg(EBP), reg(ESP)), I('push', reg(EBX)), I('push', reg(ESI)), I('push', reg(EDI))];
/** The callee-saved registers back, whatever esp is, then `ret n`. */
const leave = (n: number): Insn[] => [I('lea', reg(ESP), mem(4, EBP, -12)), I('pop', reg(EDI)), I('pop', reg(ESI)), I('pop', reg(EBX)), I('pop', reg(EBP)), I('ret', imm(n))];

/**
 * The x86 half of user-mode exceptions (the logic is AssemblyScript:
 * images/system32/ntdll/except.ts, `fn(name)`).
 */
function exceptionCode(fn: (name: string) => string): Insn[] {
  const C = CONTEXT_OFFSETS;
  const ctx = (field: keyof typeof CONTEXT_OFFSETS) => mem(4, EBX, C[field]);
  const sregs: Array<[keyof typeof CONTEXT_OFFSETS, number]> = [['SegCs', CS], ['SegSs', SS], ['SegDs', DS], ['SegEs', ES], ['SegFs', FS], ['SegGs', GS]];
  return [
    // KiUserExceptionDispatcher: [esp] = ExceptionRecord, [esp+4] = ContextRecord, no return address (the
    // kernel's frame, ke/except.ts). RtlDispatchException, then NtContinue(Context, FALSE) or the second
    // chance NtRaiseException(Record, Context, FALSE); if the kernel refuses either, the process ends.
    // Before the module is instantiated (a fault in the loader's first steps) nothing can handle it.
    align(16), L(helper('KiUserExceptionDispatcher')),
    I('cmp', { k: 'm', s: 4, disp: 0, sym: READY }, imm(0)), jcc('e', helper('KiUserExceptionDispatcher$raise')),
    I('mov', reg(ECX), mem(4, ESP, 4)), I('mov', reg(EBX), mem(4, ESP, 0)),
    I('push', reg(ECX)), I('push', reg(EBX)), call(fn('RtlDispatchException')),
    I('test', reg(EAX), reg(EAX)), jcc('e', helper('KiUserExceptionDispatcher$raise')),
    I('mov', reg(ECX), mem(4, ESP, 4)), I('push', imm(0)), I('push', reg(ECX)), call(stub('NtContinue')),
    { op: 'jmp', target: helper('KiUserExceptionDispatcher$fail') },
    L(helper('KiUserExceptionDispatcher$raise')),
    I('mov', reg(ECX), mem(4, ESP, 4)), I('mov', reg(EBX), mem(4, ESP, 0)),
    I('push', imm(0)), I('push', reg(ECX)), I('push', reg(EBX)), call(stub('NtRaiseException')),
    L(helper('KiUserExceptionDispatcher$fail')),
    I('push', reg(EAX)), I('push', imm(-1)), call(stub('NtTerminateProcess')), { op: 'ud2' },

    // RtlCaptureContext(ContextRecord): the caller's registers as they are at the call; Eip its return
    // address, Esp what it is after the return (stdcall, one argument).
    align(16), L(helper('RtlCaptureContext')),
    I('push', reg(EBX)), I('mov', reg(EBX), mem(4, ESP, 8)),
    I('mov', ctx('Eax'), reg(EAX)), I('mov', ctx('Ecx'), reg(ECX)), I('mov', ctx('Edx'), reg(EDX)),
    I('mov', reg(EAX), mem(4, ESP, 0)), I('mov', ctx('Ebx'), reg(EAX)),
    I('mov', ctx('Esi'), reg(ESI)), I('mov', ctx('Edi'), reg(EDI)), I('mov', ctx('Ebp'), reg(EBP)),
    I('mov', reg(EAX), mem(4, ESP, 4)), I('mov', ctx('Eip'), reg(EAX)),
    I('lea', reg(EAX), mem(4, ESP, 12)), I('mov', ctx('Esp'), reg(EAX)),
    I('pushfd'), I('pop', reg(EAX)), I('mov', ctx('EFlags'), reg(EAX)),
    ...sregs.flatMap(([field, r]) => [I('xor', reg(EAX), reg(EAX)), I('mov', reg(EAX, 2), { k: 'sr', r }), I('mov', ctx(field), reg(EAX))]),
    I('mov', ctx('ContextFlags'), imm(CONTEXT_FULL)),
    I('mov', reg(EAX), ctx('Eax')), I('pop', reg(EBX)), I('ret', imm(4)),

    // RtlRaiseException(ExceptionRecord): a CONTEXT of the caller (Eip = the return address, Esp and Ebp
    // as after the return) on the stack, ExceptionAddress = the return address, then RtlpRaiseException
    // (dispatch, continue or second chance). Should the kernel refuse both, the process ends.
    align(16), L(helper('RtlRaiseException')),
    I('push', reg(EBP)), I('mov', reg(EBP), reg(ESP)), I('sub', reg(ESP), imm(CONTEXT_FRAME)),
    I('push', reg(ESP)), call(helper('RtlCaptureContext')),
    I('mov', reg(EAX), mem(4, EBP, 4)), I('mov', mem(4, ESP, C.Eip), reg(EAX)),
    I('lea', reg(EAX), mem(4, EBP, 12)), I('mov', mem(4, ESP, C.Esp), reg(EAX)),
    I('mov', reg(EAX), mem(4, EBP, 0)), I('mov', mem(4, ESP, C.Ebp), reg(EAX)),
    I('mov', reg(ECX), mem(4, EBP, 8)), I('mov', reg(EAX), mem(4, EBP, 4)), I('mov', mem(4, ECX, RECORD.ExceptionAddress), reg(EAX)),
    I('mov', reg(EAX), reg(ESP)), I('push', reg(EAX)), I('push', reg(ECX)), call(fn('RtlpRaiseException')),
    I('push', reg(EAX)), I('push', imm(-1)), call(stub('NtTerminateProcess')), { op: 'ud2' },

    // RtlRaiseStatus(Status) and RtlpRaiseChained(Status, NestedRecord): a non-continuable record
    // (ExceptionAddress = the return address) raised with RtlRaiseException.
    align(16), L(helper('RtlRaiseStatus')),
    I('push', imm(0)), I('push', mem(4, ESP, 8)), call(helper('RtlpRaiseChained')), I('ret', imm(4)),
    align(16), L(helper('RtlpRaiseChained')),
    I('push', reg(EBP)), I('mov', reg(EBP), reg(ESP)), I('sub', reg(ESP), imm(RECORD.size)),
    I('mov', reg(EAX), mem(4, EBP, 8)), I('mov', mem(4, ESP, RECORD.ExceptionCode), reg(EAX)),
    I('mov', mem(4, ESP, RECORD.ExceptionFlags), imm(EXCEPTION_NONCONTINUABLE)),
    I('mov', reg(EAX), mem(4, EBP, 12)), I('mov', mem(4, ESP, RECORD.ExceptionRecord), reg(EAX)),
    I('mov', reg(EAX), mem(4, EBP, 4)), I('mov', mem(4, ESP, RECORD.ExceptionAddress), reg(EAX)),
    I('mov', mem(4, ESP, RECORD.NumberParameters), imm(0)),
    I('push', reg(ESP)), call(helper('RtlRaiseException')),
    I('mov', reg(ESP), reg(EBP)), I('pop', reg(EBP)), I('ret', imm(8)),

    // RtlUnwind(TargetFrame, TargetIp, ExceptionRecord, ReturnValue): the caller's context and a
    // STATUS_UNWIND record (used when ExceptionRecord is null) on the stack, RtlpUnwind, then back to
    // the caller with eax = ReturnValue and its ebx/esi/edi/ebp (NT continues into the same context).
    align(16), L(helper('RtlUnwind')),
    ...enter(), I('sub', reg(ESP), imm(CONTEXT_FRAME + RECORD.size)),
    I('push', reg(ESP)), call(helper('RtlCaptureContext')),
    I('mov', reg(EAX), mem(4, EBP, 4)), I('mov', mem(4, ESP, C.Eip), reg(EAX)),
    I('lea', reg(EAX), mem(4, EBP, 24)), I('mov', mem(4, ESP, C.Esp), reg(EAX)),
    I('mov', reg(EAX), mem(4, EBP, 0)), I('mov', mem(4, ESP, C.Ebp), reg(EAX)),
    I('mov', mem(4, ESP, CONTEXT_FRAME + RECORD.ExceptionCode), imm(STATUS_UNWIND)),
    I('mov', mem(4, ESP, CONTEXT_FRAME + RECORD.ExceptionFlags), imm(0)),
    I('mov', mem(4, ESP, CONTEXT_FRAME + RECORD.ExceptionRecord), imm(0)),
    I('mov', reg(EAX), mem(4, EBP, 4)), I('mov', mem(4, ESP, CONTEXT_FRAME + RECORD.ExceptionAddress), reg(EAX)),
    I('mov', mem(4, ESP, CONTEXT_FRAME + RECORD.NumberParameters), imm(0)),
    I('mov', reg(EAX), reg(ESP)), I('lea', reg(ECX), mem(4, ESP, CONTEXT_FRAME)),
    I('push', reg(EAX)), I('push', reg(ECX)), I('push', mem(4, EBP, 16)), I('push', mem(4, EBP, 8)), call(fn('RtlpUnwind')),
    I('mov', reg(EAX), mem(4, EBP, 20)),
    ...leave(16),

    // RtlpExecuteHandler(Handler, Record, Frame, Context): Handler(Record, Frame, Context, &DispatcherContext)
    // (cdecl or stdcall: esp is restored) under our own registration {Next, RtlpNestedHandler, Frame},
    // taken off again if it is still on top. Returns edx:eax = DispatcherContext:disposition.
    align(16), L(helper('RtlpExecuteHandler')),
    ...enter(),
    I('push', imm(0)),                                    // [ebp-16] DispatcherContext
    I('push', mem(4, EBP, 16)),                           // [ebp-20] the frame whose handler runs
    I('push', imm(0, helper('RtlpNestedHandler'))),       // [ebp-24] Handler
    I('push', FS0),                                       // [ebp-28] Next
    I('mov', FS0, reg(ESP)),
    I('lea', reg(EAX), mem(4, EBP, -16)), I('push', reg(EAX)),
    I('push', mem(4, EBP, 20)), I('push', mem(4, EBP, 16)), I('push', mem(4, EBP, 12)),
    I('call', mem(4, EBP, 8)),
    I('lea', reg(ECX), mem(4, EBP, -28)), I('mov', reg(EDX), FS0), I('cmp', reg(EDX), reg(ECX)), jcc('ne', helper('RtlpExecuteHandler$off')),
    I('mov', reg(EDX), mem(4, ECX, 0)), I('mov', FS0, reg(EDX)),
    L(helper('RtlpExecuteHandler$off')),
    I('mov', reg(EDX), mem(4, EBP, -16)),
    ...leave(16),

    // RtlpNestedHandler(Record, Establisher, Context, DispatcherContext), cdecl: an exception raised while a
    // handler ran is ExceptionNestedException, with DispatcherContext = that handler's frame; unwinds pass.
    align(16), L(helper('RtlpNestedHandler')),
    I('mov', reg(ECX), mem(4, ESP, 4)), I('mov', reg(EAX), imm(ExceptionContinueSearch)),
    I('test', mem(4, ECX, RECORD.ExceptionFlags), imm(EXCEPTION_UNWIND)), jcc('ne', helper('RtlpNestedHandler$done')),
    I('mov', reg(ECX), mem(4, ESP, 8)), I('mov', reg(ECX), mem(4, ECX, 8)),
    I('mov', reg(EDX), mem(4, ESP, 16)), I('mov', mem(4, EDX, 0), reg(ECX)),
    I('mov', reg(EAX), imm(ExceptionNestedException)),
    L(helper('RtlpNestedHandler$done')), I('ret'),

    // RtlpCallExceptionFilter(Filter, Record, Context): Filter(&{Record, Context}), stdcall, its answer.
    align(16), L(helper('RtlpCallExceptionFilter')),
    ...enter(),
    I('push', mem(4, EBP, 16)), I('push', mem(4, EBP, 12)), I('mov', reg(EAX), reg(ESP)), I('push', reg(EAX)),
    I('call', mem(4, EBP, 8)),
    ...leave(12),
  ];
}

function extras(): PeLinkExtras {
  const services = new Set([...SERVICES, ...SHADOW_SERVICES].map((s) => s.name));
  const helpers = new Set(NTDLL_HELPERS);
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
      ...exceptionCode(fn),
      ...rawCall(helper('LdrpCallInitRoutine'), 3),
      ...rawCall(helper('RtlpCallQueryRoutine'), 6),
    ],
    data: [align(4), L(READY), { op: 'dd', ops: [imm(0)] }],
    exports: [
      ...[...SERVICES, ...SHADOW_SERVICES].flatMap((s) => [{ name: s.name, label: stub(s.name) }, { name: `Zw${s.name.slice(2)}`, label: stub(s.name) }]),
      { name: 'NtCurrentTeb', label: helper('NtCurrentTeb') },
      { name: 'LdrInitializeThunk', label: '__ntdll$LdrInitializeThunk' },
      { name: 'DbgPrint', label: '__ntdll$DbgPrint' },
      ...['KiUserExceptionDispatcher', 'RtlCaptureContext', 'RtlRaiseException', 'RtlRaiseStatus', 'RtlUnwind'].map((name) => ({ name, label: helper(name) })),
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
