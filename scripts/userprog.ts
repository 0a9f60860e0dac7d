// User programs before PE images exist: an AssemblyScript program with an
// exported `main()` becomes a flat "UIMG" image that the kernel maps at
// USER_IMAGE_BASE and runs in ring 3 (kernel/ps/psmain.ts reads the header).
//
//   +0 'UIMG'  +4 image base  +8 entry  +12 image bytes
//   +16 static data region first byte  +20 its end  +24 stack bytes
//
// Imports from module "ntdll" are the native services (scripts/services.ts),
// `env.abort` raises the unreachable trap,
// linked to stubs that enter through SharedUserData's sysenter stub, as ntdll's
// do; `test.syscall(number, args)` is a raw service call (`int 0x2e`) for tests. A wasm trap ends the process with the matching NTSTATUS,
// and the prologues check esp against the TEB's StackLimit (fs:[8]).

import { compileAssemblyScript } from './asc.ts';
import { compileModule, TRAP } from './wasm2x86/index.ts';
import { decodeModule } from './wasm2x86/decode.ts';
import { assemble } from './wasm2x86/emit.ts';
import { EAX, ECX, EDX, ESP, imm, mem, memSym, reg, type Insn, type Mnemonic } from './wasm2x86/x86.ts';
import { SERVICES, SHADOW_SERVICES, serviceStubs } from './services.ts';

export const USER_IMAGE_BASE = 0x00400000;
/** Where a user program's AssemblyScript static data starts. */
export const USER_MEMORY_BASE = 0x01000000;
/** Heap pages (64 KiB) committed past the static data; memory.grow stops there. */
const USER_HEAP_PAGES = 4;
const USER_STACK_BYTES = 256 * 1024;
const UIMG_MAGIC = 0x474D4955;

/** NTSTATUS for each wasm trap code (TRAP in wasm2x86/api.ts); the PE linker maps them the same way. */
export const TRAP_STATUS: Record<number, number> = {
  [TRAP.UNREACHABLE]: 0xC000001D, [TRAP.DIV_ZERO]: 0xC0000094, [TRAP.INT_OVERFLOW]: 0xC0000095,
  [TRAP.OUT_OF_BOUNDS]: 0xC0000005, [TRAP.UNDEFINED_ELEMENT]: 0xC0000005, [TRAP.UNINITIALIZED_ELEMENT]: 0xC0000005,
  [TRAP.SIGNATURE_MISMATCH]: 0xC000001D, [TRAP.STACK_EXHAUSTED]: 0xC00000FD, [TRAP.INVALID_CONVERSION]: 0xC0000090,
  [TRAP.UNSUPPORTED]: 0xC000001D,
};

const I = (op: Mnemonic, ...ops: any[]): Insn => ({ op, ops });
const L = (target: string): Insn => ({ op: 'label', target });

/**
 * __user_trap(code, address), stdcall, never returns: a WebAssembly trap
 * raises the matching exception (NtRaiseException with a non-continuable
 * EXCEPTION_RECORD on the stack: code from __trap_status, no nested record,
 * the address, no parameters); with no handler the process ends with that
 * NTSTATUS. `call` makes the call to a service (a stub here, the IAT in a
 * PE image, scripts/pe/link.ts).
 */
export function userTrapHandler(call: (service: string) => Insn): Insn[] {
  return [
    { op: 'align', ops: [imm(16)] }, L('__user_trap'),
    I('mov', reg(EAX), mem(4, ESP, 4)), I('and', reg(EAX), imm(15)),
    I('mov', reg(EAX), { k: 'm', s: 4, disp: 0, index: EAX, scale: 4, sym: '__trap_status' }),
    I('mov', reg(ECX), mem(4, ESP, 8)),
    I('sub', reg(ESP), imm(80)),
    I('mov', mem(4, ESP, 0), reg(EAX)), I('mov', mem(4, ESP, 4), imm(1)), I('mov', mem(4, ESP, 8), imm(0)),
    I('mov', mem(4, ESP, 12), reg(ECX)), I('mov', mem(4, ESP, 16), imm(0)),
    I('mov', reg(EDX), reg(ESP)),
    I('push', reg(EAX)), // the exit status for NtTerminateProcess below
    I('push', imm(1)), I('push', imm(0)), I('push', reg(EDX)), call('NtRaiseException'),
    I('push', imm(-1)), call('NtTerminateProcess'), { op: 'ud2' },
  ];
}

/** Builds the UIMG image of an AssemblyScript program. */
export async function buildUserProgram(path: string): Promise<Uint8Array> {
  const { wasm } = await compileAssemblyScript(path, ['--memoryBase', String(USER_MEMORY_BASE)], false, { threads: true });
  const services = new Set([...SERVICES, ...SHADOW_SERVICES].map((s) => s.name));
  // memory.grow stops where the committed heap pages end (it zeroes what it adds: past them it would fault).
  const initialPages = decodeModule(wasm).memories[0]?.min ?? USER_MEMORY_BASE / 65536;
  const compiled = compileModule(wasm, {
    name: path.split('/').pop(), prefix: 'u_',
    trapHandler: '__user_trap', stackLimit: 'fs:8', maxMemoryPages: initialPages + USER_HEAP_PAGES,
    resolveImport: (module, name, kind) => {
      if (kind !== 'func') return undefined;
      if (module === 'ntdll' && services.has(name)) return `__sys_${name}`;
      if (module === 'test' && name === 'syscall') return '__sys_raw';
      // An AssemblyScript abort (a failed check, an allocation too large) is the unreachable trap, as in a PE image.
      if (module === 'env' && name === 'abort') return '__user_abort';
      return undefined;
    },
  });
  const main = compiled.exports.get('main');
  if (!main || main.kind !== 'func') throw new Error(`${path}: a user program exports main()`);
  const memory = compiled.memory ?? { min: USER_MEMORY_BASE / 65536 };
  const dataFirst = Math.floor(USER_MEMORY_BASE / 65536) * 65536;
  const dataEnd = (memory.min + USER_HEAP_PAGES) * 65536;
  const build = (size: number) => assemble([
    L('__uimg'),
    { op: 'dd', ops: [imm(UIMG_MAGIC), imm(0, '__uimg'), imm(0, '__user_entry'), imm(size), imm(dataFirst), imm(dataEnd), imm(USER_STACK_BYTES)] },
    { op: 'align', ops: [imm(16)] }, L('__user_entry'),
    { op: 'call', target: compiled.instantiate },
    { op: 'call', target: main.label },
    I('push', imm(0)), I('push', imm(-1)), { op: 'call', target: '__sys_NtTerminateProcess' }, { op: 'ud2' },
    // __user_trap(code, address): a WebAssembly trap raises the matching exception
    // (NtRaiseException with an EXCEPTION_RECORD on the stack, non-continuable);
    // with no handler the process ends with its NTSTATUS.
    ...userTrapHandler((service) => ({ op: 'call', target: `__sys_${service}` })),
    // env.abort(message, file, line, column): the unreachable trap at the caller's address.
    { op: 'align', ops: [imm(16)] }, L('__user_abort'),
    I('mov', reg(EAX), mem(4, ESP, 0)), I('push', reg(EAX)), I('push', imm(TRAP.UNREACHABLE)), { op: 'call', target: '__user_trap' }, { op: 'ud2' },
    // test.syscall(number, args): any service number with any argument pointer.
    { op: 'align', ops: [imm(16)] }, L('__sys_raw'),
    I('mov', reg(EAX), mem(4, ESP, 4)), I('mov', reg(EDX), mem(4, ESP, 8)), I('int', imm(0x2E)), I('ret', imm(8)),
    ...serviceStubs('__sys_'),
    ...compiled.insns,
    { op: 'align', ops: [imm(4)] }, L('__trap_status'),
    { op: 'dd', ops: Array.from({ length: 16 }, (_, i) => imm(TRAP_STATUS[i] ?? 0xC000001D)) },
    L('__uimg_end'),
  ], USER_IMAGE_BASE);
  const first = build(0);
  const size = first.labels.get('__uimg_end')! - USER_IMAGE_BASE;
  const image = build(size).code;
  if (image.length !== size) throw new Error(`${path}: image size changed between passes`);
  void memSym;
  return image;
}
