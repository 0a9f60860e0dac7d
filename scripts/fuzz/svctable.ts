// The services fuzzer's argument kinds: one letter per argument of every
// service in scripts/services.ts (native and shadow), read by the ring-3
// fuzzer test/boot/programs/svcfuzz.ts from a generated module
// (build/fuzz/svctable.ts: `TABLE`, entries "number:kinds:weight").
//
// Letters (what the fuzzer passes; svcfuzz.ts `arg()`):
//   handles  h any type   P process   Q process, never the fuzzer itself   T thread
//            U thread, never a fuzzer thread   F file   K key   S section   L port
//            D directory object   Y symbolic link   V event (or 0)   M mutant   X semaphore
//            R timer   O token
//            Each one: mostly an open handle of that type, else one of another
//            type, a closed one, a pseudo handle, a kernel handle (bit 31) or garbage.
//   pointers b buffer (in or out): NULL, kernel addresses, around MM_USER_PROBE_ADDRESS,
//              the last bytes of a committed page before a reserved one, a page another
//              thread decommits, a view another thread unmaps, a read-only page,
//              SharedUserData, memory another thread keeps flipping, or a good buffer
//            H where a handle is written (closed after the call)   E where a duplicated handle is written   o OBJECT_ATTRIBUTES   u UNICODE_STRING
//            y UNICODE_STRING for NtDisplayString (short, printable)   t timeout (never
//              NULL: a wait ends within a few ms or fails on the pointer)
//            A pointer to a base address   Z pointer to a size   C CLIENT_ID
//            m PORT_MESSAGE   W handle array   G CONTEXT whose Eip ends the thread
//            g INITIAL_TEB of a fresh stack   B bad pointer only (NULL, kernel, unmapped)
//            N a paging file name (only \??\C:\fuzz\pf, or a bad pointer)
//            z LARGE_INTEGER size (sane: 0 or a few pages)   q LARGE_INTEGER offset or NULL
//            w an optional buffer (sane: mostly NULL)   2 an optional UNICODE_STRING (sane: half NULL)
//   values   n length/count   c information class   J NtSetInformationProcess class
//            j NtSetInformationThread class   a access mask   f flags   k boolean
//            s NTSTATUS   v user address (only the fuzzer's own regions, or bad)
//            0 zero   I hard-error response option (never OptionShutdownSystem)
//            p page protection   r allocation type   l section attributes
//            d create disposition   x file options   i view inheritance (ViewShare/ViewUnmap)
//            e a file handle or none (NtCreateSection)
//
// Weight: calls per round relative to 32 (blocking services lower, log-writing ones too).
//
// Left out on purpose (each would legitimately end the fuzzer or the machine):
//   NtShutdownSystem          ends every process and the machine.
// Restricted on purpose (kinds above), for the same reason:
//   NtTerminateProcess        never on the fuzzer's own process (Q);
//   NtTerminateThread, NtSuspendThread: never the fuzzer's own threads (U);
//   NtSetInformationProcess   no ProcessBreakOnTermination (29: ending the process would
//                             bug-check 0xEF, as NT does), no ProcessDebugPort/ExceptionPort
//                             (7/8: the next thread creation or exception waits on our port),
//                             no priority classes (5, 18: a caller at 31 starves the watchdog);
//   NtSetInformationThread    no ThreadBreakOnTermination (18), no priorities (2, 3);
//   NtRaiseException, NtContinue, NtSetContextThread: bad pointers (or an empty CONTEXT) only:
//                             a valid CONTEXT would send the thread to random code;
//   NtCreateThread            the CONTEXT's Eip ends the new thread (G, g);
//   NtSetTimer, NtReadFile, NtWriteFile, NtQueryDirectoryFile, NtDeviceIoControlFile,
//   NtFsControlFile           no APC routine (0): an APC at random code would end the process;
//   NtRaiseHardError          no OptionShutdownSystem (6);
//   NtCreatePagingFile        only a name the other services never open (N).

import { SERVICES, SHADOW_SERVICES, SHADOW_SERVICE_BASE } from '../services.ts';

export const KINDS: Record<string, string> = {
  NtTerminateProcess: 'Qs',
  NtOpenProcess: 'HaoC',
  NtCreateProcess: 'HaoPkShh',
  NtCreateProcessEx: 'HaoPfShhn',
  NtReadVirtualMemory: 'Pvbnb',
  NtWriteVirtualMemory: 'Pvbnb',
  NtTerminateThread: 'Us',
  NtDelayExecution: 'kt',
  NtRaiseException: 'BBk',
  NtYieldExecution: '',
  NtDisplayString: 'y',
  NtQuerySystemTime: 'b',
  NtQueryPerformanceCounter: 'bb',
  NtQueryInformationProcess: 'Pcbnb',
  NtSetInformationProcess: 'PJbn',
  NtQueryInformationThread: 'Tcbnb',
  NtCreateThread: 'HaoPbGgk',
  NtOpenThread: 'HaoC',
  NtSetInformationThread: 'Tjbn',
  NtResumeThread: 'Tb',
  NtSuspendThread: 'Ub',
  NtQuerySystemInformation: 'cbnb',
  NtClose: 'h',
  NtCreateDirectoryObject: 'Hao',
  NtOpenDirectoryObject: 'Hao',
  NtCreateSymbolicLinkObject: 'Haou',
  NtOpenSymbolicLinkObject: 'Hao',
  NtQuerySymbolicLinkObject: 'Yub',
  NtMakeTemporaryObject: 'h',
  NtMakePermanentObject: 'h',
  NtQueryDirectoryObject: 'Dbnkkbb',
  NtQueryObject: 'hcbnb',
  NtSetInformationObject: 'hcbn',
  NtDuplicateObject: 'PhPEaff',
  NtCreateEvent: 'Haonk',
  NtOpenEvent: 'Hao',
  NtSetEvent: 'Vb',
  NtResetEvent: 'Vb',
  NtPulseEvent: 'Vb',
  NtClearEvent: 'V',
  NtCreateMutant: 'Haok',
  NtOpenMutant: 'Hao',
  NtReleaseMutant: 'Mb',
  NtCreateSemaphore: 'Haonn',
  NtOpenSemaphore: 'Hao',
  NtReleaseSemaphore: 'Xnb',
  NtCreateTimer: 'Haon',
  NtOpenTimer: 'Hao',
  NtSetTimer: 'Rb0nknb',
  NtCancelTimer: 'Rb',
  NtWaitForSingleObject: 'hkt',
  NtWaitForMultipleObjects: 'nWnkt',
  NtAllocateVirtualMemory: 'PAnZrp',
  NtFreeVirtualMemory: 'PAZr',
  NtProtectVirtualMemory: 'PAZpb',
  NtQueryVirtualMemory: 'Pvcbnb',
  NtCreateSection: 'Haozple',
  NtOpenSection: 'Hao',
  NtMapViewOfSection: 'SPAknqZirp',
  NtUnmapViewOfSection: 'Pv',
  NtCreateFile: 'Haobbffdxbn',
  NtOpenFile: 'Haobfx',
  NtDeleteFile: 'o',
  NtQueryAttributesFile: 'ob',
  NtQueryFullAttributesFile: 'ob',
  NtReadFile: 'FV0nbbnqb',
  NtWriteFile: 'FV0nbbnqb',
  NtQueryInformationFile: 'Fbbnc',
  NtSetInformationFile: 'Fbbnc',
  NtQueryDirectoryFile: 'FV0nbbnck2k',
  NtQueryVolumeInformationFile: 'Fbbnc',
  NtFlushBuffersFile: 'Fb',
  NtDeviceIoControlFile: 'FV0nbnbnbn',
  NtFsControlFile: 'FV0nbnbnbn',
  NtCreateKey: 'Haonufb',
  NtOpenKey: 'Hao',
  NtOpenKeyEx: 'Haof',
  NtDeleteKey: 'K',
  NtQueryKey: 'Kcbnb',
  NtEnumerateKey: 'Kkcbnb',
  NtEnumerateValueKey: 'Kkcbnb',
  NtQueryValueKey: 'Kucbnb',
  NtSetValueKey: 'Kunnbn',
  NtDeleteValueKey: 'Ku',
  NtFlushKey: 'K',
  NtInitializeRegistry: 'n',
  NtQuerySection: 'Scbnb',
  NtContinue: 'Bk',
  NtOpenProcessToken: 'PaH',
  NtOpenThreadToken: 'TakH',
  NtAdjustPrivilegesToken: 'Okbnbb',
  NtQueryInformationToken: 'Ocbnb',
  NtCreateToken: 'Haonbbbbbbbbb',
  NtQuerySecurityObject: 'hfbnb',
  NtSetSecurityObject: 'hfb',
  NtRaiseHardError: 'snnbIb',
  NtCreatePort: 'Honnn',
  NtCreateWaitablePort: 'Honnn',
  NtConnectPort: 'Hubwwwww',
  NtSecureConnectPort: 'Hubwwwwww',
  NtListenPort: 'Lm',
  NtAcceptConnectPort: 'Hnmkbb',
  NtCompleteConnectPort: 'L',
  NtRequestPort: 'Lm',
  NtRequestWaitReplyPort: 'Lmb',
  NtReplyPort: 'Lm',
  NtReplyWaitReceivePort: 'Lbmb',
  NtReplyWaitReceivePortEx: 'Lbmbt',
  NtReplyWaitReplyPort: 'Lm',
  NtImpersonateClientOfPort: 'Lm',
  NtRegisterThreadTerminatePort: 'L',
  NtQueryInformationPort: 'Lcbnb',
  NtCreatePagingFile: 'Nzzn',
  NtSetDefaultHardErrorPort: 'L',
  NtSetSystemInformation: 'cbn',
  NtShutdownSystem: 'SKIP',
  NtGetContextThread: 'Tb',
  NtSetContextThread: 'TB',
  // win32k.sys's shadow services
  NtUserConsoleWrite: 'bn',
  NtUserConsoleClear: '',
  NtUserConsoleSetCursor: 'nn',
  NtUserReadKey: 'bt',
  NtUserSwitchSession: 'n',
  NtUserGetActiveSession: 'b',
  NtUserConsoleSetAttribute: 'n',
};

/** Calls per round relative to 32: services that can block until the watchdog ends the caller, and the log writers, less often. */
export const WEIGHTS: Record<string, number> = {
  NtListenPort: 1, NtReplyWaitReceivePort: 1, NtReplyWaitReplyPort: 1, NtUserReadKey: 1,
  NtDisplayString: 8, NtUserConsoleWrite: 8, NtUserConsoleClear: 8, NtUserSwitchSession: 8,
  NtCreateProcess: 16, NtCreateProcessEx: 16, NtCreatePagingFile: 8, NtInitializeRegistry: 16,
};

export interface FuzzService { name: string; number: number; args: number; kinds: string; weight: number }

/** Every service the fuzzer calls (NtShutdownSystem left out), in service-number order; throws when a service has no kinds or the wrong count. */
export function fuzzServices(): FuzzService[] {
  const all = [...SERVICES.map((s, i) => ({ s, number: i })), ...SHADOW_SERVICES.map((s, i) => ({ s, number: SHADOW_SERVICE_BASE + i }))];
  const out: FuzzService[] = [];
  for (const { s, number } of all) {
    const kinds = KINDS[s.name];
    if (kinds === undefined) throw new Error(`scripts/fuzz/svctable.ts: no argument kinds for ${s.name} (add it to KINDS)`);
    if (kinds === 'SKIP') continue;
    if (kinds.length !== s.args) throw new Error(`scripts/fuzz/svctable.ts: ${s.name} takes ${s.args} arguments, KINDS has ${kinds.length}`);
    out.push({ name: s.name, number, args: s.args, kinds, weight: WEIGHTS[s.name] ?? 32 });
  }
  return out;
}

/** Service names by number, the skipped ones too. */
export function serviceNames(): Map<number, string> {
  const m = new Map<number, string>();
  SERVICES.forEach((s, i) => m.set(i, s.name));
  SHADOW_SERVICES.forEach((s, i) => m.set(SHADOW_SERVICE_BASE + i, s.name));
  return m;
}

/** The AssemblyScript module svcfuzz.ts imports: the table as one string. */
export function svcTableSource(): string {
  const entries = fuzzServices().map((s) => `${s.number.toString(16)}:${s.kinds}:${s.weight}`);
  return `// GENERATED by scripts/fuzz/svctable.ts: do not edit.\nexport const TABLE: string = "${entries.join(';')}";\n`;
}
