// The access each service asks of its handles (issue 17): a review of every
// service in scripts/services.ts (the service table kernel/ke/sysent.ts is
// generated from) that takes a handle -- by the handle letters of its argument
// kinds in scripts/fuzz/svctable.ts -- against the rights NT documents for it
// (the DDK/IFS kits' and Nebbett's per-service lists; NT's ObReferenceObjectByHandle
// calls). Each entry names where this kernel asks (a file under kernel/ and
// the arguments of the call, from its opening parenthesis: the routine that
// references may be renamed or moved between components, the access it asks
// for may not change unseen), so a change of either side fails here:
//   - every handle argument of every service has an entry, and no entry
//     names an argument that is not a handle;
//   - the call text is in that file;
//   - the right NT asks is in the call text, unless the entry says why not
//     (`note`: the deviations, each with its reason).
// How ObReferenceObjectByHandle applies it: a user-mode caller's handle must
// have been granted every right asked (STATUS_ACCESS_DENIED otherwise);
// kernel handles are refused there (ob/obhandle.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '../../scripts/services.ts';
import { KINDS } from '../../scripts/fuzz/svctable.ts';

const ROOT = join(import.meta.dirname, '..', '..');
/** svctable.ts's handle letters (h any, P process, Q another process, T thread, ...; W a handle array; e a file or none). */
const HANDLE_KINDS = 'hPQTUFKSLDYVMXROeW';

interface Check { arg: number; nt: string; file: string; call: string; note?: string }

const REVIEW: Record<string, Check[]> = {
  NtTerminateProcess: [{ arg: 0, nt: 'PROCESS_TERMINATE', file: 'ps/psprocess', call: '(handle, PROCESS_TERMINATE' }],
  NtCreateProcess: [
    { arg: 3, nt: 'PROCESS_CREATE_PROCESS', file: 'ps/pscreate', call: '(parentHandle, PROCESS_CREATE_PROCESS' },
    { arg: 5, nt: 'SECTION_MAP_EXECUTE', file: 'ps/pscreate', call: '(sectionHandle, SECTION_MAP_EXECUTE' },
    { arg: 6, nt: 'PORT_ALL_ACCESS', file: 'ps/pscreate', call: 'debugPort: u32, exceptionPort: u32): u32 {', note: 'DebugPort and ExceptionPort are not referenced at all: there is no debugger or exception port here (NtSetInformationProcess refuses them too)' },
    { arg: 7, nt: 'PORT_ALL_ACCESS', file: 'ps/pscreate', call: 'debugPort: u32, exceptionPort: u32): u32 {', note: 'ignored, as DebugPort' },
  ],
  NtCreateProcessEx: [
    { arg: 3, nt: 'PROCESS_CREATE_PROCESS', file: 'ps/pscreate', call: '(parentHandle, PROCESS_CREATE_PROCESS' },
    { arg: 5, nt: 'SECTION_MAP_EXECUTE', file: 'ps/pscreate', call: '(sectionHandle, SECTION_MAP_EXECUTE' },
    { arg: 6, nt: 'PORT_ALL_ACCESS', file: 'ps/pscreate', call: 'debugPort: u32, exceptionPort: u32, job: u32): u32 {', note: 'ignored, as NtCreateProcess\'s' },
    { arg: 7, nt: 'PORT_ALL_ACCESS', file: 'ps/pscreate', call: 'debugPort: u32, exceptionPort: u32, job: u32): u32 {', note: 'ignored, as NtCreateProcess\'s' },
  ],
  NtReadVirtualMemory: [{ arg: 0, nt: 'PROCESS_VM_READ', file: 'mm/vmcopy', call: '(handle, toProcess ? PROCESS_VM_WRITE : PROCESS_VM_READ' }],
  NtWriteVirtualMemory: [{ arg: 0, nt: 'PROCESS_VM_WRITE', file: 'mm/vmcopy', call: '(handle, toProcess ? PROCESS_VM_WRITE : PROCESS_VM_READ' }],
  NtTerminateThread: [{ arg: 0, nt: 'THREAD_TERMINATE', file: 'ps/psthread', call: '(handle, THREAD_TERMINATE' }],
  NtQueryInformationProcess: [{ arg: 0, nt: 'PROCESS_QUERY_INFORMATION', file: 'ps/psquery', call: '(handle, PROCESS_QUERY_INFORMATION' }],
  NtSetInformationProcess: [{ arg: 0, nt: 'PROCESS_SET_INFORMATION', file: 'ps/psquery', call: '(handle, PROCESS_SET_INFORMATION',
    note: 'NT asks PROCESS_SET_QUOTA for ProcessQuotaLimits and PROCESS_SET_INFORMATION for the rest; here every class asks PROCESS_SET_INFORMATION (raising limits still needs SeIncreaseQuotaPrivilege)' }],
  NtQueryInformationThread: [{ arg: 0, nt: 'THREAD_QUERY_INFORMATION', file: 'ps/psthread', call: '(handle, THREAD_QUERY_INFORMATION' }],
  NtCreateThread: [{ arg: 3, nt: 'PROCESS_CREATE_THREAD', file: 'ps/psthread', call: '(processHandle, PROCESS_CREATE_THREAD' }],
  NtSetInformationThread: [{ arg: 0, nt: 'THREAD_SET_INFORMATION', file: 'ps/psthread', call: '(handle, THREAD_SET_INFORMATION' }],
  NtResumeThread: [{ arg: 0, nt: 'THREAD_SUSPEND_RESUME', file: 'ps/psthread', call: '(handle, THREAD_SUSPEND_RESUME' }],
  NtSuspendThread: [{ arg: 0, nt: 'THREAD_SUSPEND_RESUME', file: 'ps/psthread', call: '(handle, THREAD_SUSPEND_RESUME' }],
  NtGetContextThread: [{ arg: 0, nt: 'THREAD_GET_CONTEXT', file: 'ps/psthread', call: '(handle, THREAD_GET_CONTEXT' }],
  NtSetContextThread: [{ arg: 0, nt: 'THREAD_SET_CONTEXT', file: 'ps/psthread', call: '(handle, THREAD_SET_CONTEXT' }],
  NtClose: [{ arg: 0, nt: '(none)', file: 'ob/obsvc', call: '(handle)', note: 'a close asks no right (NT: only OBJ_PROTECT_CLOSE refuses it)' }],
  NtQuerySymbolicLinkObject: [{ arg: 0, nt: 'SYMBOLIC_LINK_QUERY', file: 'ob/oblink', call: '(linkHandle, SYMBOLIC_LINK_QUERY' }],
  NtMakeTemporaryObject: [{ arg: 0, nt: 'DELETE', file: 'ob/obquery', call: '(handle, DELETE, 0, out, 0)' }],
  NtMakePermanentObject: [{ arg: 0, nt: '0', file: 'ob/obquery', call: '(handle, 0, 0, out, 0)', note: 'no right: SeCreatePermanentPrivilege decides, as NT' }],
  NtQueryDirectoryObject: [{ arg: 0, nt: 'DIRECTORY_QUERY', file: 'ob/obdir', call: '(directoryHandle, DIRECTORY_QUERY' }],
  NtQueryObject: [{ arg: 0, nt: '0', file: 'ob/obquery', call: '(handle, 0, 0, out, out + 4)', note: 'no right, as NT (the handle\'s own information)' }],
  NtSetInformationObject: [{ arg: 0, nt: '0', file: 'ob/obquery', call: '(handle,', note: 'no right: the handle\'s flags are the caller\'s own, as NT' }],
  NtDuplicateObject: [
    { arg: 0, nt: 'PROCESS_DUP_HANDLE', file: 'ob/obhandle', call: '(processHandle, PROCESS_DUP_HANDLE' },
    { arg: 1, nt: '0', file: 'ob/obhandle', call: 'ObpCheckDuplicateAccess', note: 'the source handle\'s rights bound the duplicate\'s; more is checked against the object\'s descriptor (ob/obsecure.ts)' },
    { arg: 2, nt: 'PROCESS_DUP_HANDLE', file: 'ob/obhandle', call: '(processHandle, PROCESS_DUP_HANDLE' },
  ],
  NtSetEvent: [{ arg: 0, nt: 'EVENT_MODIFY_STATE', file: 'ex/sync', call: '(handle, EVENT_MODIFY_STATE' }],
  NtResetEvent: [{ arg: 0, nt: 'EVENT_MODIFY_STATE', file: 'ex/sync', call: '(handle, EVENT_MODIFY_STATE' }],
  NtPulseEvent: [{ arg: 0, nt: 'EVENT_MODIFY_STATE', file: 'ex/sync', call: '(handle, EVENT_MODIFY_STATE' }],
  NtClearEvent: [{ arg: 0, nt: 'EVENT_MODIFY_STATE', file: 'ex/sync', call: '(handle, EVENT_MODIFY_STATE' }],
  NtReleaseMutant: [{ arg: 0, nt: '0', file: 'ex/sync', call: '(handle, 0, ExMutantObjectType', note: 'no right: ownership decides (NT passes 0 too)' }],
  NtReleaseSemaphore: [{ arg: 0, nt: 'SEMAPHORE_MODIFY_STATE', file: 'ex/sync', call: '(handle, SEMAPHORE_MODIFY_STATE' }],
  NtSetTimer: [{ arg: 0, nt: 'TIMER_MODIFY_STATE', file: 'ex/sync', call: '(handle, TIMER_MODIFY_STATE' }],
  NtCancelTimer: [{ arg: 0, nt: 'TIMER_MODIFY_STATE', file: 'ex/sync', call: '(handle, TIMER_MODIFY_STATE' }],
  NtWaitForSingleObject: [{ arg: 0, nt: 'SYNCHRONIZE', file: 'ob/obwait', call: '(handle, SYNCHRONIZE' }],
  NtWaitForMultipleObjects: [{ arg: 1, nt: 'SYNCHRONIZE', file: 'ob/obwait', call: '(handle, SYNCHRONIZE' }],
  NtAllocateVirtualMemory: [{ arg: 0, nt: 'PROCESS_VM_OPERATION', file: 'mm/vmsvc', call: '(process, PROCESS_VM_OPERATION' }],
  NtFreeVirtualMemory: [{ arg: 0, nt: 'PROCESS_VM_OPERATION', file: 'mm/vmsvc', call: '(process, PROCESS_VM_OPERATION' }],
  NtProtectVirtualMemory: [{ arg: 0, nt: 'PROCESS_VM_OPERATION', file: 'mm/vmsvc', call: '(process, PROCESS_VM_OPERATION' }],
  NtQueryVirtualMemory: [{ arg: 0, nt: 'PROCESS_QUERY_INFORMATION', file: 'mm/vmsvc', call: '(process, PROCESS_QUERY_INFORMATION' }],
  NtCreateSection: [{ arg: 6, nt: 'MmMakeFileAccess', file: 'mm/image', call: '(fileHandle, fileAccess,',
    note: 'NT\'s MmMakeFileAccess by the protection (FILE_EXECUTE for PAGE_EXECUTE, FILE_READ_DATA, FILE_WRITE_DATA): mm/image.ts\'s MiFileAccess, which alone takes a file (mm/section.ts first only checks the handle is a file, asking nothing)' }],
  NtMapViewOfSection: [
    { arg: 0, nt: 'MiSectionAccess', file: 'mm/section', call: '(sectionHandle, MiSectionAccess(protect)',
      note: 'NT\'s rule by the view\'s protection: SECTION_MAP_READ, SECTION_MAP_WRITE, SECTION_MAP_EXECUTE (MiSectionAccess)' },
    { arg: 1, nt: 'PROCESS_VM_OPERATION', file: 'mm/section', call: 'const head = MiVadListOf(process);', note: 'only NtCurrentProcess is served (ps/psmain.ts PspVadListFromHandle: any other handle is STATUS_INVALID_HANDLE), and it has every right' },
  ],
  NtUnmapViewOfSection: [{ arg: 0, nt: 'PROCESS_VM_OPERATION', file: 'mm/section', call: 'const head = MiVadListOf(process);', note: 'NtCurrentProcess only, as NtMapViewOfSection' }],
  NtQuerySection: [{ arg: 0, nt: 'SECTION_QUERY', file: 'mm/section', call: '(sectionHandle, SECTION_QUERY' }],
  NtReadFile: [
    { arg: 0, nt: 'FILE_READ_DATA', file: 'io/iofunc', call: '(fileHandle, write ? 0 : FILE_READ_DATA' },
    { arg: 1, nt: 'EVENT_MODIFY_STATE', file: 'io/iofunc', call: '(handle, 0x0002, ExEventObjectType, out, 0); // EVENT_MODIFY_STATE' },
  ],
  NtWriteFile: [
    { arg: 0, nt: 'FILE_WRITE_DATA', file: 'io/iofunc', call: '(fileHandle, FILE_WRITE_DATA, IoFileObjectType, context + 12',
      note: 'FILE_WRITE_DATA, or FILE_APPEND_DATA for writes at the end, as NT' },
    { arg: 1, nt: 'EVENT_MODIFY_STATE', file: 'io/iofunc', call: '(handle, 0x0002, ExEventObjectType, out, 0); // EVENT_MODIFY_STATE' },
  ],
  NtQueryInformationFile: [{ arg: 0, nt: 'IopQueryAccess', file: 'io/iofunc', call: '(fileHandle, IopQueryAccess(informationClass)',
    note: 'by class, NT\'s IopQueryOperationAccess (FILE_READ_ATTRIBUTES for basic and all information, 0 for standard, position, name...)' }],
  NtSetInformationFile: [{ arg: 0, nt: 'IopSetAccess', file: 'io/iofunc', call: '(fileHandle, IopSetAccess(informationClass)',
    note: 'by class, NT\'s IopSetOperationAccess (FILE_WRITE_ATTRIBUTES, DELETE for disposition and rename, FILE_WRITE_DATA for sizes)' }],
  NtQueryDirectoryFile: [
    { arg: 0, nt: 'FILE_LIST_DIRECTORY', file: 'io/iofunc', call: '(fileHandle, FILE_READ_DATA', note: 'FILE_LIST_DIRECTORY is FILE_READ_DATA\'s bit (1)' },
    { arg: 1, nt: 'EVENT_MODIFY_STATE', file: 'io/iofunc', call: '(handle, 0x0002, ExEventObjectType, out, 0); // EVENT_MODIFY_STATE' },
  ],
  NtQueryVolumeInformationFile: [{ arg: 0, nt: '0', file: 'io/iofunc', call: '(fileHandle, 0, context)', note: 'no right for the classes served (volume, size, device, attribute), as NT\'s IopQueryFsOperationAccess' }],
  NtFlushBuffersFile: [{ arg: 0, nt: 'FILE_WRITE_DATA', file: 'io/iofunc', call: '(fileHandle, FILE_WRITE_DATA, IoFileObjectType, context + 4, 0)', note: 'or FILE_APPEND_DATA, as NT' }],
  NtDeviceIoControlFile: [
    { arg: 0, nt: 'RequiredAccess', file: 'io/iofunc', call: '(fileHandle, required, context)',
      note: 'the control code\'s RequiredAccess bits (FILE_READ_ACCESS -> FILE_READ_DATA, FILE_WRITE_ACCESS -> FILE_WRITE_DATA), as NT\'s IopXxxControlFile; before this review none was asked' },
    { arg: 1, nt: 'EVENT_MODIFY_STATE', file: 'io/iofunc', call: '(handle, 0x0002, ExEventObjectType, out, 0); // EVENT_MODIFY_STATE' },
  ],
  NtFsControlFile: [
    { arg: 0, nt: 'RequiredAccess', file: 'io/iofunc', call: '(fileHandle, required, context)', note: 'as NtDeviceIoControlFile' },
    { arg: 1, nt: 'EVENT_MODIFY_STATE', file: 'io/iofunc', call: '(handle, 0x0002, ExEventObjectType, out, 0); // EVENT_MODIFY_STATE' },
  ],
  NtDeleteKey: [{ arg: 0, nt: 'DELETE', file: 'cm/ntapi', call: '(keyHandle, DELETE' }],
  NtQueryKey: [{ arg: 0, nt: 'KEY_QUERY_VALUE', file: 'cm/ntapi', call: '(keyHandle, informationClass == KeyNameInformation ? 0 : KEY_QUERY_VALUE',
    note: 'KEY_QUERY_VALUE, none for KeyNameInformation (as later NT)' }],
  NtEnumerateKey: [{ arg: 0, nt: 'KEY_ENUMERATE_SUB_KEYS', file: 'cm/ntapi', call: '(keyHandle, KEY_ENUMERATE_SUB_KEYS' }],
  NtEnumerateValueKey: [{ arg: 0, nt: 'KEY_QUERY_VALUE', file: 'cm/ntapi', call: '(keyHandle, KEY_QUERY_VALUE' }],
  NtQueryValueKey: [{ arg: 0, nt: 'KEY_QUERY_VALUE', file: 'cm/ntapi', call: '(keyHandle, KEY_QUERY_VALUE' }],
  NtSetValueKey: [{ arg: 0, nt: 'KEY_SET_VALUE', file: 'cm/ntapi', call: '(keyHandle, KEY_SET_VALUE' }],
  NtDeleteValueKey: [{ arg: 0, nt: 'KEY_SET_VALUE', file: 'cm/ntapi', call: '(keyHandle, KEY_SET_VALUE' }],
  NtFlushKey: [{ arg: 0, nt: '0', file: 'cm/ntapi', call: '(keyHandle, 0, context)', note: 'no right, as NT' }],
  NtOpenProcessToken: [{ arg: 0, nt: 'PROCESS_QUERY_INFORMATION', file: 'ps/pstoken', call: '(process, PROCESS_QUERY_INFORMATION' }],
  NtOpenThreadToken: [{ arg: 0, nt: 'THREAD_QUERY_INFORMATION', file: 'ps/pstoken', call: '(thread, THREAD_QUERY_INFORMATION' }],
  NtAdjustPrivilegesToken: [{ arg: 0, nt: 'TOKEN_ADJUST_PRIVILEGES', file: 'se/token', call: '(token, TOKEN_ADJUST_PRIVILEGES | (previous != 0 ? TOKEN_QUERY : 0)',
    note: 'and TOKEN_QUERY when the previous state is asked, as NT' }],
  NtQueryInformationToken: [{ arg: 0, nt: 'TOKEN_QUERY', file: 'se/tokeninfo', call: '(handle, infoClass == TokenSource ? TOKEN_QUERY_SOURCE : TOKEN_QUERY',
    note: 'TOKEN_QUERY_SOURCE for TokenSource, as NT' }],
  NtQuerySecurityObject: [{ arg: 0, nt: 'READ_CONTROL', file: 'se/secobj', call: '(handle, SepRequiredAccess(information, false)',
    note: 'READ_CONTROL for the owner, group or DACL; ACCESS_SYSTEM_SECURITY for the SACL (SepRequiredAccess)' }],
  NtSetSecurityObject: [{ arg: 0, nt: 'WRITE_DAC', file: 'se/secobj', call: '(handle, SepRequiredAccess(information, true)',
    note: 'WRITE_OWNER for the owner or group, WRITE_DAC for the DACL (SepRequiredAccess)' }],
  // LPC: NT asks no right of a port handle for these (ObReferenceObjectByHandle(PortHandle, 0, LpcPortObjectType, ...)).
  ...Object.fromEntries(([
    ['NtListenPort', 'lpc/reply'], ['NtCompleteConnectPort', 'lpc/connect'], ['NtRequestPort', 'lpc/send'], ['NtRequestWaitReplyPort', 'lpc/send'],
    ['NtReplyPort', 'lpc/reply'], ['NtReplyWaitReceivePort', 'lpc/reply'], ['NtReplyWaitReceivePortEx', 'lpc/reply'], ['NtReplyWaitReplyPort', 'lpc/reply'],
    ['NtImpersonateClientOfPort', 'lpc/send'], ['NtRegisterThreadTerminatePort', 'lpc/create'], ['NtQueryInformationPort', 'lpc/create'],
  ] as const).map(([name, file]) => [name, [{ arg: 0, nt: '0', file: name === 'NtListenPort' || name === 'NtReplyWaitReceivePort' ? 'lpc/lpcp' : file,
    call: name === 'NtListenPort' || name === 'NtReplyWaitReceivePort' ? '(handle, 0, 0, LpcpOut(), 0)' : 'LpcpReferencePort(handle)',
    note: 'a port handle asks no right, as NT (the port\'s kind decides what may be done)' }]])),
  NtSetDefaultHardErrorPort: [{ arg: 0, nt: '0', file: 'ps/psharderr', call: '(handle)', note: 'no right on the port: SeTcbPrivilege decides, as NT' }],
};

const source = new Map<string, string>();
function read(file: string): string {
  if (!source.has(file)) source.set(file, readFileSync(join(ROOT, 'kernel', `${file}.ts`), 'utf8'));
  return source.get(file)!;
}

describe('the access each service asks of its handles', () => {
  const handled = SERVICES.filter((s) => KINDS[s.name] && KINDS[s.name] !== 'SKIP');

  it('lists every handle argument of every service, and nothing else', () => {
    let handles = 0;
    for (const s of handled) {
      const want = [...KINDS[s.name]].map((c, i) => (HANDLE_KINDS.includes(c) ? i : -1)).filter((i) => i >= 0);
      const have = (REVIEW[s.name] ?? []).map((c) => c.arg);
      expect(have, `${s.name} (${KINDS[s.name]})`).toEqual(want);
      handles += want.length;
    }
    for (const name of Object.keys(REVIEW)) expect(handled.map((s) => s.name), name).toContain(name);
    expect(handles).toBeGreaterThanOrEqual(90);
  });

  it('finds each call where the entry says, asking NT\'s right (or saying why not)', () => {
    const deviations: string[] = [];
    for (const [name, checks] of Object.entries(REVIEW)) {
      for (const c of checks) {
        expect(read(c.file), `${name} arg ${c.arg}: "${c.call}" in kernel/${c.file}.ts`).toContain(c.call);
        if (!c.call.includes(c.nt)) {
          expect(c.note, `${name} arg ${c.arg}: the call does not ask ${c.nt} and no note says why`).toBeTruthy();
          deviations.push(`${name} ${c.arg}`);
        }
      }
    }
    // The services whose call text does not name NT's right, each explained by its note (ignored ports, rights decided by
    // class or protection elsewhere, the current process only).
    expect(deviations.length).toBeLessThan(30);
  });
});
