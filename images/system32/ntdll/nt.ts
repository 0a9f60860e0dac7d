// What every ntdll source file shares: the native services it calls (wasm
// imports from module "ntdll", which the DLL linker resolves to its own
// `int 0x2e` stubs) and the
// few PEB/TEB fields they read. NTSTATUS values come from kernel/sdk/ntstatus.ts.
//
// Everything here is raw 32-bit memory: no managed AssemblyScript objects, so
// the DLL has no garbage collector and its structures are NT's own layouts.
//
//   TEB (fs:[0x18] points at itself)     PEB (TEB+0x30)
//     +0x00 NT_TIB.ExceptionList           +0x02 BeingDebugged   (u8)
//     +0x04 NT_TIB.StackBase               +0x08 ImageBaseAddress
//     +0x08 NT_TIB.StackLimit              +0x0C Ldr
//     +0x18 NT_TIB.Self                    +0x10 ProcessParameters
//     +0x20 ClientId (process, thread)     +0x18 ProcessHeap
//     +0x30 ProcessEnvironmentBlock

import { OBJECT_ATTRIBUTES } from "../../../kernel/sdk/ntdef";
import { PEB, TEB } from "../../../kernel/sdk/peb";

// ---- services (signatures as NT declares them; handles and pointers are u32) ----
@external("ntdll", "NtAllocateVirtualMemory") export declare function NtAllocateVirtualMemory(process: u32, base: usize, zeroBits: u32, size: usize, type: u32, protect: u32): u32;
@external("ntdll", "NtFreeVirtualMemory") export declare function NtFreeVirtualMemory(process: u32, base: usize, size: usize, type: u32): u32;
@external("ntdll", "NtQueryVirtualMemory") export declare function NtQueryVirtualMemory(process: u32, base: usize, infoClass: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtWriteVirtualMemory") export declare function NtWriteVirtualMemory(process: u32, base: usize, buffer: usize, size: u32, written: usize): u32;
@external("ntdll", "NtDisplayString") export declare function NtDisplayString(text: usize): u32;
@external("ntdll", "NtClose") export declare function NtClose(handle: u32): u32;
@external("ntdll", "NtOpenKey") export declare function NtOpenKey(key: usize, access: u32, oa: usize): u32;
@external("ntdll", "NtCreateKey") export declare function NtCreateKey(key: usize, access: u32, oa: usize, titleIndex: u32, cls: usize, options: u32, disposition: usize): u32;
@external("ntdll", "NtQueryValueKey") export declare function NtQueryValueKey(key: u32, name: usize, infoClass: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtEnumerateValueKey") export declare function NtEnumerateValueKey(key: u32, index: u32, infoClass: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetValueKey") export declare function NtSetValueKey(key: u32, name: usize, titleIndex: u32, type: u32, data: usize, size: u32): u32;
@external("ntdll", "NtDeleteValueKey") export declare function NtDeleteValueKey(key: u32, name: usize): u32;
@external("ntdll", "NtQueryAttributesFile") export declare function NtQueryAttributesFile(oa: usize, info: usize): u32;
@external("ntdll", "NtOpenFile") export declare function NtOpenFile(file: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtCreateSection") export declare function NtCreateSection(section: usize, access: u32, oa: usize, maximumSize: usize, protect: u32, attributes: u32, file: u32): u32;
@external("ntdll", "NtCreateProcess") export declare function NtCreateProcess(process: usize, access: u32, oa: usize, parent: u32, inheritHandles: u32, section: u32, debugPort: u32, exceptionPort: u32): u32;
@external("ntdll", "NtCreateThread") export declare function NtCreateThread(thread: usize, access: u32, oa: usize, process: u32, clientId: usize, context: usize, initialTeb: usize, suspended: u32): u32;
@external("ntdll", "NtCreateMutant") export declare function NtCreateMutant(mutant: usize, access: u32, oa: usize, initialOwner: u32): u32;
@external("ntdll", "NtReleaseMutant") export declare function NtReleaseMutant(mutant: u32, previousCount: usize): u32;
@external("ntdll", "NtWaitForSingleObject") export declare function NtWaitForSingleObject(handle: u32, alertable: u32, timeout: usize): u32;
@external("ntdll", "NtCreateEvent") export declare function NtCreateEvent(event: usize, access: u32, oa: usize, type: u32, initialState: u32): u32;
@external("ntdll", "NtSetEvent") export declare function NtSetEvent(event: u32, previousState: usize): u32;
@external("ntdll", "NtYieldExecution") export declare function NtYieldExecution(): u32;
@external("ntdll", "NtTerminateThread") export declare function NtTerminateThread(thread: u32, status: u32): u32;
@external("ntdll", "NtQueryInformationProcess") export declare function NtQueryInformationProcess(process: u32, infoClass: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetInformationProcess") export declare function NtSetInformationProcess(process: u32, infoClass: u32, info: usize, length: u32): u32;
@external("ntdll", "NtQueryInformationThread") export declare function NtQueryInformationThread(thread: u32, infoClass: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtSetInformationThread") export declare function NtSetInformationThread(thread: u32, infoClass: u32, info: usize, length: u32): u32;
// Not yet in scripts/services.ts (the kernel has no tokens and no section
// queries yet): the DLL linker must provide stubs for these three.
@external("ntdll", "NtQuerySection") export declare function NtQuerySection(section: u32, infoClass: u32, info: usize, length: u32, result: usize): u32;
@external("ntdll", "NtOpenProcessToken") export declare function NtOpenProcessToken(process: u32, access: u32, token: usize): u32;
@external("ntdll", "NtOpenThreadToken") export declare function NtOpenThreadToken(thread: u32, access: u32, openAsSelf: u32, token: usize): u32;
@external("ntdll", "NtAdjustPrivilegesToken") export declare function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32;
/**
 * The current thread's TEB (fs:[0x18]). Not a service: real ntdll exports
 * NtCurrentTeb, and the DLL linker provides it as `mov eax, fs:[0x18]; ret`
 * (wasm cannot read fs itself). Tests hand in a TEB of their own.
 */
@external("ntdll", "NtCurrentTeb") export declare function NtCurrentTeb(): usize;

// ---- pseudo handles and flags ----

// ---- PEB / TEB ----
export const TEB_PEB: u32 = <u32>offsetof<TEB>("ProcessEnvironmentBlock");
export const PEB_PROCESS_PARAMETERS: u32 = <u32>offsetof<PEB>("ProcessParameters");
export const PEB_PROCESS_HEAP: u32 = <u32>offsetof<PEB>("ProcessHeap");

/** The current process's PEB (TEB->ProcessEnvironmentBlock, fs:[0x30]). */
export function RtlGetCurrentPeb(): usize {
  return load<usize>(NtCurrentTeb() + TEB_PEB);
}

/** PEB->ProcessHeap: the heap RtlCreateUnicodeString and friends allocate from. */
export function RtlpProcessHeap(): usize {
  return load<usize>(RtlGetCurrentPeb() + PEB_PROCESS_HEAP);
}

/** PEB->ProcessParameters (normalized: its strings hold pointers). */
export function RtlpProcessParameters(): usize {
  return load<usize>(RtlGetCurrentPeb() + PEB_PROCESS_PARAMETERS);
}

/** Characters before the terminating NUL of a WCHAR string. */
export function RtlpWcsLen(s: usize): u32 {
  let n: u32 = 0;
  while (load<u16>(s + (n << 1)) != 0) n++;
  return n;
}

/** Bytes before the terminating NUL of a CHAR string. */
export function RtlpStrLen(s: usize): u32 {
  let n: u32 = 0;
  while (load<u8>(s + n) != 0) n++;
  return n;
}

/** Fills an OBJECT_ATTRIBUTES (InitializeObjectAttributes). */
export function RtlpInitObjectAttributes(oa: usize, name: usize, attributes: u32, root: u32): void {
  const a = changetype<OBJECT_ATTRIBUTES>(oa);
  a.Length = <u32>offsetof<OBJECT_ATTRIBUTES>();
  a.RootDirectory = root;
  a.ObjectName = name;
  a.Attributes = attributes;
  a.SecurityDescriptor = 0;
  a.SecurityQualityOfService = 0;
}
