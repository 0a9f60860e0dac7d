// The native system services: one list, from which come
//   - the kernel's dispatch table, kernel/ke/sysent.ts (generated, checked in;
//     `npx tsx scripts/services.ts` rewrites it, the build checks it is current),
//   - the user-side stubs (`mov eax, N; mov edx, 0x7FFE0300; call edx; ret 4*args`:
//     SharedUserData's sysenter stub; `int 0x2e` stubs on request),
//     which ntdll exports (issue: PE images) and test programs link against.
//
// A service's number is its index in this list; its kernel routine is the
// exported function of the same name in `file` (under kernel/), which takes
// the raw 32-bit arguments (user pointers unprobed) and returns an NTSTATUS.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EAX, EDX, ESP, imm, mem, reg, type Insn } from './wasm2x86/x86.ts';

export interface Service { name: string; args: number; file: string }

export const SERVICES: Service[] = [
  { name: 'NtTerminateProcess', args: 2, file: 'ps/psprocess' },
  { name: 'NtOpenProcess', args: 4, file: 'ps/psprocess' },
  { name: 'NtCreateProcess', args: 8, file: 'ps/pscreate' },
  { name: 'NtCreateProcessEx', args: 9, file: 'ps/pscreate' },
  { name: 'NtReadVirtualMemory', args: 5, file: 'mm/vmcopy' },
  { name: 'NtWriteVirtualMemory', args: 5, file: 'mm/vmcopy' },
  { name: 'NtTerminateThread', args: 2, file: 'ps/psthread' },
  { name: 'NtDelayExecution', args: 2, file: 'ps/psmain' },
  { name: 'NtRaiseException', args: 3, file: 'ke/except' },
  { name: 'NtYieldExecution', args: 0, file: 'ps/psmain' },
  { name: 'NtDisplayString', args: 1, file: 'ex/display' },
  { name: 'NtQuerySystemTime', args: 1, file: 'ex/time' },
  { name: 'NtQueryPerformanceCounter', args: 2, file: 'ex/time' },
  { name: 'NtQueryInformationProcess', args: 5, file: 'ps/psquery' },
  { name: 'NtSetInformationProcess', args: 4, file: 'ps/psquery' },
  { name: 'NtQueryInformationThread', args: 5, file: 'ps/psthread' },
  { name: 'NtCreateThread', args: 8, file: 'ps/psthread' },
  { name: 'NtOpenThread', args: 4, file: 'ps/psthread' },
  { name: 'NtSetInformationThread', args: 4, file: 'ps/psthread' },
  { name: 'NtResumeThread', args: 2, file: 'ps/psthread' },
  { name: 'NtSuspendThread', args: 2, file: 'ps/psthread' },
  { name: 'NtQuerySystemInformation', args: 4, file: 'ex/sysinfo' },
  { name: 'NtClose', args: 1, file: 'ob/obsvc' },
  { name: 'NtCreateDirectoryObject', args: 3, file: 'ob/obsvc' },
  { name: 'NtOpenDirectoryObject', args: 3, file: 'ob/obsvc' },
  { name: 'NtCreateSymbolicLinkObject', args: 4, file: 'ob/obsvc' },
  { name: 'NtOpenSymbolicLinkObject', args: 3, file: 'ob/obsvc' },
  { name: 'NtQuerySymbolicLinkObject', args: 3, file: 'ob/obsvc' },
  { name: 'NtMakeTemporaryObject', args: 1, file: 'ob/obsvc' },
  { name: 'NtMakePermanentObject', args: 1, file: 'ob/obsvc' },
  { name: 'NtQueryDirectoryObject', args: 7, file: 'ob/obsvc' },
  { name: 'NtQueryObject', args: 5, file: 'ob/obsvc' },
  { name: 'NtSetInformationObject', args: 4, file: 'ob/obsvc' },
  { name: 'NtDuplicateObject', args: 7, file: 'ob/obsvc' },
  { name: 'NtCreateEvent', args: 5, file: 'ex/sync' },
  { name: 'NtOpenEvent', args: 3, file: 'ex/sync' },
  { name: 'NtSetEvent', args: 2, file: 'ex/sync' },
  { name: 'NtResetEvent', args: 2, file: 'ex/sync' },
  { name: 'NtPulseEvent', args: 2, file: 'ex/sync' },
  { name: 'NtClearEvent', args: 1, file: 'ex/sync' },
  { name: 'NtCreateMutant', args: 4, file: 'ex/sync' },
  { name: 'NtOpenMutant', args: 3, file: 'ex/sync' },
  { name: 'NtReleaseMutant', args: 2, file: 'ex/sync' },
  { name: 'NtCreateSemaphore', args: 5, file: 'ex/sync' },
  { name: 'NtOpenSemaphore', args: 3, file: 'ex/sync' },
  { name: 'NtReleaseSemaphore', args: 3, file: 'ex/sync' },
  { name: 'NtCreateTimer', args: 4, file: 'ex/sync' },
  { name: 'NtOpenTimer', args: 3, file: 'ex/sync' },
  { name: 'NtSetTimer', args: 7, file: 'ex/sync' },
  { name: 'NtCancelTimer', args: 2, file: 'ex/sync' },
  { name: 'NtWaitForSingleObject', args: 3, file: 'ob/obwait' },
  { name: 'NtWaitForMultipleObjects', args: 5, file: 'ob/obwait' },
  { name: 'NtAllocateVirtualMemory', args: 6, file: 'mm/vmsvc' },
  { name: 'NtFreeVirtualMemory', args: 4, file: 'mm/vmsvc' },
  { name: 'NtProtectVirtualMemory', args: 5, file: 'mm/vmsvc' },
  { name: 'NtQueryVirtualMemory', args: 6, file: 'mm/vmsvc' },
  { name: 'NtCreateSection', args: 7, file: 'mm/section' },
  { name: 'NtOpenSection', args: 3, file: 'mm/section' },
  { name: 'NtMapViewOfSection', args: 10, file: 'mm/section' },
  { name: 'NtUnmapViewOfSection', args: 2, file: 'mm/section' },
  // I/O manager and file systems
  { name: 'NtCreateFile', args: 11, file: 'io/create' },
  { name: 'NtOpenFile', args: 6, file: 'io/create' },
  { name: 'NtDeleteFile', args: 1, file: 'io/create' },
  { name: 'NtQueryAttributesFile', args: 2, file: 'io/create' },
  { name: 'NtQueryFullAttributesFile', args: 2, file: 'io/create' },
  { name: 'NtReadFile', args: 9, file: 'io/iofunc' },
  { name: 'NtWriteFile', args: 9, file: 'io/iofunc' },
  { name: 'NtQueryInformationFile', args: 5, file: 'io/iofunc' },
  { name: 'NtSetInformationFile', args: 5, file: 'io/iofunc' },
  { name: 'NtQueryDirectoryFile', args: 11, file: 'io/iofunc' },
  { name: 'NtQueryVolumeInformationFile', args: 5, file: 'io/iofunc' },
  { name: 'NtFlushBuffersFile', args: 2, file: 'io/iofunc' },
  { name: 'NtDeviceIoControlFile', args: 10, file: 'io/iofunc' },
  { name: 'NtFsControlFile', args: 10, file: 'io/iofunc' },
  // configuration manager (the registry)
  { name: 'NtCreateKey', args: 7, file: 'cm/ntapi' },
  { name: 'NtOpenKey', args: 3, file: 'cm/ntapi' },
  { name: 'NtOpenKeyEx', args: 4, file: 'cm/ntapi' },
  { name: 'NtDeleteKey', args: 1, file: 'cm/ntapi' },
  { name: 'NtQueryKey', args: 5, file: 'cm/ntapi' },
  { name: 'NtEnumerateKey', args: 6, file: 'cm/ntapi' },
  { name: 'NtEnumerateValueKey', args: 6, file: 'cm/ntapi' },
  { name: 'NtQueryValueKey', args: 6, file: 'cm/ntapi' },
  { name: 'NtSetValueKey', args: 6, file: 'cm/ntapi' },
  { name: 'NtDeleteValueKey', args: 2, file: 'cm/ntapi' },
  { name: 'NtFlushKey', args: 1, file: 'cm/ntapi' },
  { name: 'NtInitializeRegistry', args: 1, file: 'cm/ntapi' },
  { name: 'NtQuerySection', args: 5, file: 'mm/section' },
  { name: 'NtContinue', args: 2, file: 'ke/except' },
  { name: 'NtOpenProcessToken', args: 3, file: 'ps/pstoken' },
  { name: 'NtOpenThreadToken', args: 4, file: 'ps/pstoken' },
  { name: 'NtAdjustPrivilegesToken', args: 6, file: 'se/token' },
  { name: 'NtRaiseHardError', args: 6, file: 'ex/harderr' },
  // LPC ports
  { name: 'NtCreatePort', args: 5, file: 'lpc/create' },
  { name: 'NtCreateWaitablePort', args: 5, file: 'lpc/create' },
  { name: 'NtConnectPort', args: 8, file: 'lpc/connect' },
  { name: 'NtSecureConnectPort', args: 9, file: 'lpc/connect' },
  { name: 'NtListenPort', args: 2, file: 'lpc/reply' },
  { name: 'NtAcceptConnectPort', args: 6, file: 'lpc/connect' },
  { name: 'NtCompleteConnectPort', args: 1, file: 'lpc/connect' },
  { name: 'NtRequestPort', args: 2, file: 'lpc/send' },
  { name: 'NtRequestWaitReplyPort', args: 3, file: 'lpc/send' },
  { name: 'NtReplyPort', args: 2, file: 'lpc/reply' },
  { name: 'NtReplyWaitReceivePort', args: 4, file: 'lpc/reply' },
  { name: 'NtReplyWaitReceivePortEx', args: 5, file: 'lpc/reply' },
  { name: 'NtReplyWaitReplyPort', args: 2, file: 'lpc/reply' },
  { name: 'NtImpersonateClientOfPort', args: 2, file: 'lpc/send' },
  { name: 'NtRegisterThreadTerminatePort', args: 1, file: 'lpc/create' },
  { name: 'NtQueryInformationPort', args: 5, file: 'lpc/create' },
  { name: 'NtCreatePagingFile', args: 4, file: 'mm/pagefile' },
  { name: 'NtSetDefaultHardErrorPort', args: 1, file: 'ps/psharderr' },
  { name: 'NtSetSystemInformation', args: 3, file: 'ex/sysinfo' },
  { name: 'NtShutdownSystem', args: 1, file: 'ps/psshutdown' },
  { name: 'NtGetContextThread', args: 2, file: 'ps/psthread' },
  { name: 'NtSetContextThread', args: 2, file: 'ps/psthread' },
  { name: 'NtQueryInformationToken', args: 5, file: 'se/tokeninfo' },
  { name: 'NtCreateToken', args: 13, file: 'se/tokeninfo' },
  { name: 'NtQuerySecurityObject', args: 5, file: 'se/secobj' },
  { name: 'NtSetSecurityObject', args: 3, file: 'se/secobj' },
];

/** The shadow table's first number (NT's second service table, win32k.sys's). */
export const SHADOW_SERVICE_BASE = 0x1000;

/**
 * win32k.sys's services, numbered from SHADOW_SERVICE_BASE in this order: the
 * routine is the exported function of the same name in `file` (under
 * images/system32/win32k/). They generate the driver's table
 * (images/system32/win32k/sysent.ts, registered with KeAddSystemServiceTable
 * from DriverEntry) and ntdll's stubs. Contract: /work/CONTRACTS.md section 2.
 */
export const SHADOW_SERVICES: Service[] = [
  { name: 'NtUserConsoleWrite', args: 2, file: 'console' },
  { name: 'NtUserConsoleClear', args: 0, file: 'console' },
  { name: 'NtUserConsoleSetCursor', args: 2, file: 'console' },
  { name: 'NtUserReadKey', args: 2, file: 'input' },
  { name: 'NtUserSwitchSession', args: 1, file: 'console' },
  { name: 'NtUserGetActiveSession', args: 1, file: 'console' },
  { name: 'NtUserConsoleSetAttribute', args: 1, file: 'console' },
];

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
export const SYSENT_PATH = join(ROOT, 'kernel/ke/sysent.ts');
export const SHADOW_SYSENT_PATH = join(ROOT, 'images/system32/win32k/sysent.ts');

/** The AssemblyScript source of kernel/ke/sysent.ts. */
export function sysentSource(): string {
  const files = new Map<string, string[]>();
  for (const s of SERVICES) files.set(s.file, [...(files.get(s.file) ?? []), s.name]);
  const imports = [...files].map(([f, names]) => `import { ${names.join(', ')} } from "../${f}";`).join('\n');
  const entry = (s: Service) => `KiEntry${s.name}`;
  const entries = SERVICES.map((s) => {
    const args = Array.from({ length: s.args }, (_, k) => (k ? `load<u32>(args, ${k * 4})` : 'load<u32>(args)'));
    return `function ${entry(s)}(args: usize): u32 { return ${s.name}(${args.join(', ')}); }`;
  }).join('\n');
  const table = SERVICES.map((s) => `  ${entry(s)},`).join('\n');
  const bytes = SERVICES.map((s) => s.args * 4).join(', ');
  return `// GENERATED by scripts/services.ts from its service list: do not edit.
// Service number = index in that list; the arguments were copied from the
// caller's stack by KiSystemService (pointers among them are still unprobed).

${imports}

/** Services in the table. */
export const KiServiceCount: u32 = ${SERVICES.length};

/** Bytes of arguments each service takes from the user stack. */
const KiArgumentBytes: StaticArray<u8> = [${bytes}];
/** Bytes of arguments of service \`service\` (below KiServiceCount: KiSystemService checks first). */
export function KiServiceArgumentBytes(service: u32): u32 { return <u32>unchecked(KiArgumentBytes[service]); }

/** A service's entry: its routine called with the arguments from the captured block. */
type KSERVICE_ENTRY = (args: usize) => u32;

${entries}

/**
 * The dispatch table: a function reference per service number, static data
 * (the compiler lays it out; no code fills it), so a service costs one
 * indirect call, not a compare per number before it. Lazy: compiled with the
 * module's top level, its entries' bodies would read other modules' globals
 * before those are declared (ke is imported from inside those modules).
 */
@lazy const KiServiceTable: StaticArray<KSERVICE_ENTRY> = [
${table}
];

/** Calls service \`service\` (below KiServiceCount) with the captured arguments at \`args\`. */
export function KiCallService(service: u32, args: usize): u32 {
  return unchecked(KiServiceTable[service])(args);
}
`;
}

/**
 * The AssemblyScript source of images/system32/win32k/sysent.ts: the shadow
 * table (each routine's machine address, from func_address) and its argument
 * bytes, handed to the kernel by KeAddSystemServiceTable.
 */
export function shadowSysentSource(): string {
  const files = new Map<string, string[]>();
  for (const s of SHADOW_SERVICES) files.set(s.file, [...(files.get(s.file) ?? []), s.name]);
  const reexports = [...files].map(([f, names]) => `export { ${names.join(', ')} } from "./${f}";`).join('\n');
  const n = SHADOW_SERVICES.length;
  const addresses = SHADOW_SERVICES.map((s) => `@external("pe", "address_of:${s.name}") declare function AddressOf${s.name}(): usize;`).join('\n');
  const stores = SHADOW_SERVICES.map((s, i) => `  store<usize>(table, AddressOf${s.name}(), ${i * 4});`).join('\n');
  const bytes = SHADOW_SERVICES.map((s) => s.args * 4).join(', ');
  return `// GENERATED by scripts/services.ts from SHADOW_SERVICES: do not edit.
// win32k.sys's service table, numbered from 0x${SHADOW_SERVICE_BASE.toString(16)}: entry i is the
// machine address of service 0x${SHADOW_SERVICE_BASE.toString(16)} + i (the linker's pe.address_of,
// scripts/pe/link.ts; each routine is re-exported here so that win32k.ts's
// \`export *\` makes it a wasm export the optimiser keeps); the kernel copies
// the caller's argument words (W32pArgumentBytes) and calls it with stdcall.

${reexports}

${addresses}

/** Services in the table. */
export const W32pServiceCount: u32 = ${n};

/** Bytes of arguments each service takes from the user stack. */
export const W32pArgumentBytes: StaticArray<u8> = [${bytes}];

/** Fills the table at "table" (${n} machine addresses) with the routines. */
export function W32pFillServiceTable(table: usize): void {
${stores}
}
`;
}

/** SharedUserData's SystemCall stub (`mov edx, esp; sysenter`; kernel/mm/shared.ts). */
export const SYSTEM_CALL_STUB = 0x7FFE0300;

/**
 * User-mode stubs, one per service (the native ones, then the shadow ones from
 * 0x1000), labelled `${prefix}${name}`, as Windows XP's ntdll has them: `mov
 * eax, N; mov edx, 0x7FFE0300; call edx; ret 4*args` (the fast system call
 * through SharedUserData). With `int2e` they are the older `mov eax, N; lea
 * edx, [esp+4]; int 0x2e; ret 4*args`.
 */
export function serviceStubs(prefix: string, int2e = false): Insn[] {
  const all = [...SERVICES.map((s, i) => ({ s, n: i })), ...SHADOW_SERVICES.map((s, i) => ({ s, n: SHADOW_SERVICE_BASE + i }))];
  return all.flatMap(({ s, n: i }): Insn[] => [
    { op: 'align', ops: [imm(4)] }, { op: 'label', target: prefix + s.name },
    { op: 'mov', ops: [reg(EAX), imm(i)] },
    ...(int2e ? [{ op: 'lea', ops: [reg(EDX), mem(4, ESP, 4)] }, { op: 'int', ops: [imm(0x2E)] }] as Insn[]
      : [{ op: 'mov', ops: [reg(EDX), imm(SYSTEM_CALL_STUB)] }, { op: 'call', ops: [reg(EDX)] }] as Insn[]),
    s.args ? { op: 'ret', ops: [imm(s.args * 4)] } : { op: 'ret' },
  ]);
}

/** Writes kernel/ke/sysent.ts if it differs; returns true when it changed. */
export function writeSysent(): boolean {
  const src = sysentSource();
  let old = '';
  try { old = readFileSync(SYSENT_PATH, 'utf8'); } catch { /* new */ }
  let changed = false;
  if (old !== src) { writeFileSync(SYSENT_PATH, src); changed = true; }
  const shadow = shadowSysentSource();
  let oldShadow = '';
  try { oldShadow = readFileSync(SHADOW_SYSENT_PATH, 'utf8'); } catch { /* new */ }
  if (oldShadow !== shadow) { writeFileSync(SHADOW_SYSENT_PATH, shadow); changed = true; }
  return changed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(writeSysent() ? `wrote ${SYSENT_PATH} and ${SHADOW_SYSENT_PATH}` : `${SYSENT_PATH} and ${SHADOW_SYSENT_PATH} are current`);
}
