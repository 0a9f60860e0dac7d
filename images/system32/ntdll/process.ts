// Processes and threads: process parameter blocks, user threads with their
// stacks, critical flags, privileges, and RtlCreateUserProcess.
//
//   RTL_USER_PROCESS_PARAMETERS (x86, 0x298 bytes here: NT 6.1's fields)
//     +0x00 MaximumLength  +0x04 Length  +0x08 Flags (1 = NORMALIZED)  +0x0C DebugFlags
//     +0x10 ConsoleHandle  +0x14 ConsoleFlags  +0x18 StdInput  +0x1C StdOutput  +0x20 StdError
//     +0x24 CurrentDirectory.DosPath  +0x2C CurrentDirectory.Handle
//     +0x30 DllPath  +0x38 ImagePathName  +0x40 CommandLine  +0x48 Environment
//     +0x4C StartingX .. +0x6C ShowWindowFlags (9 ULONGs)
//     +0x70 WindowTitle  +0x78 DesktopInfo  +0x80 ShellInfo  +0x88 RuntimeData
//     +0x90 CurrentDirectores[32] (RTL_DRIVE_LETTER_CURDIR, 16 bytes each)
//     +0x290 EnvironmentSize  +0x294 EnvironmentVersion
//
// A block is one heap allocation holding the structure, its strings and a
// copy of the environment. Normalized, the strings' Buffers are pointers;
// denormalized, they are offsets from the block's start, so the block can
// be copied into another process as it is (Environment is a pointer either
// way: RtlCreateUserProcess points it at the copy).
// RtlCreateProcessParameters returns a denormalized block, as NT does.

import {
  NtAllocateVirtualMemory, NtFreeVirtualMemory, NtWriteVirtualMemory, NtCreateThread, NtTerminateThread, NtOpenFile, NtCreateSection, NtCreateProcess, NtQuerySection, NtClose, NtQueryInformationProcess, NtSetInformationProcess, NtQueryInformationThread, NtSetInformationThread, NtOpenProcessToken, NtOpenThreadToken, NtAdjustPrivilegesToken, RtlGetCurrentPeb, RtlpProcessParameters, RtlpProcessHeap, RtlpInitObjectAttributes,
} from "./nt";
import { RtlAllocateHeap, RtlFreeHeap, RtlpAllocateScratch, RtlpFreeScratch } from "./heap";
import { RtlpEnvironmentLength } from "./env";
import { PEB, RTL_USER_PROCESS_PARAMETERS } from "../../../kernel/sdk/peb";
import { CONTEXT } from "../../../kernel/sdk/context";
import {
  NT_SUCCESS, STATUS_NO_MEMORY, STATUS_SUCCESS, STATUS_UNSUCCESSFUL,
} from "../../../kernel/sdk/ntstatus";
import { IO_STATUS_BLOCK, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, NtCurrentProcess, NtCurrentThread, OBJECT_ATTRIBUTES, PAGE_READWRITE, PAGE_SIZE, InitializeCountedString } from "../../../kernel/sdk/ntdef";
import { SECTION_IMAGE_INFORMATION } from "../../../kernel/sdk/pe";
import { CONTEXT_FULL } from "../../../kernel/sdk/context";
import { RTL_USER_PROC_PARAMS_NORMALIZED } from "../../../kernel/sdk/peb";
import {
  ProcessBasicInformation, ProcessBreakOnTermination, ThreadBreakOnTermination, PROCESS_BASIC_INFORMATION, SIZEOF_PROCESS_BASIC_INFORMATION,
} from "../../../kernel/sdk/procinfo";
import {
  RTL_USER_PROCESS_INFORMATION_CLIENT_ID, RTL_USER_PROCESS_INFORMATION_IMAGE, RTL_USER_PROCESS_INFORMATION_PROCESS,
  RTL_USER_PROCESS_INFORMATION_SIZE, RTL_USER_PROCESS_INFORMATION_THREAD, SIZEOF_RTL_USER_PROCESS_INFORMATION,
} from "../../../kernel/sdk/sm";

const SIZEOF_PARAMS: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>();
const P_MAXIMUM: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("MaximumLength");
const P_LENGTH: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("Length");
const P_FLAGS: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("Flags");
const P_CURDIR: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("CurrentDirectory_DosPath_Length");
const P_DLLPATH: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("DllPath_Length");
const P_IMAGE: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("ImagePathName_Length");
const P_COMMANDLINE: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("CommandLine_Length");
const P_ENVIRONMENT: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("Environment");
const P_WINDOWTITLE: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("WindowTitle_Length");
const P_DESKTOP: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("DesktopInfo_Length");
const P_SHELL: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("ShellInfo_Length");
const P_RUNTIME: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("RuntimeData_Length");
const P_ENVSIZE: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("EnvironmentSize");
const MAX_PATH_BYTES: u32 = 520;

// The eight strings of a block, in the order they are laid out.
const STRINGS: usize = memory.data<u32>([P_CURDIR, P_DLLPATH, P_IMAGE, P_COMMANDLINE, P_WINDOWTITLE, P_DESKTOP, P_SHELL, P_RUNTIME]);
@inline function stringField(i: u32): u32 { return load<u32>(STRINGS + (i << 2)); }

/** Turns offsets into pointers (once); returns `params`. */
export function RtlNormalizeProcessParams(params: usize): usize {
  if (params == 0 || (load<u32>(params + P_FLAGS) & RTL_USER_PROC_PARAMS_NORMALIZED) != 0) return params;
  for (let i: u32 = 0; i < 8; i++) {
    const s = params + stringField(i);
    if (load<usize>(s, 4) != 0) store<usize>(s, load<usize>(s, 4) + params, 4);
  }
  store<u32>(params + P_FLAGS, load<u32>(params + P_FLAGS) | RTL_USER_PROC_PARAMS_NORMALIZED);
  return params;
}

/** Turns pointers back into offsets (once); returns `params`. */
export function RtlDeNormalizeProcessParams(params: usize): usize {
  if (params == 0 || (load<u32>(params + P_FLAGS) & RTL_USER_PROC_PARAMS_NORMALIZED) == 0) return params;
  for (let i: u32 = 0; i < 8; i++) {
    const s = params + stringField(i);
    if (load<usize>(s, 4) != 0) store<usize>(s, load<usize>(s, 4) - params, 4);
  }
  store<u32>(params + P_FLAGS, load<u32>(params + P_FLAGS) & ~RTL_USER_PROC_PARAMS_NORMALIZED);
  return params;
}

@inline function align4(n: u32): u32 { return (n + 3) & ~3; }

/**
 * Builds a parameter block on the process heap, as Windows does: the
 * structure, its strings (4-byte aligned, each with its NUL) and then a
 * copy of the environment, which Environment points at (EnvironmentSize
 * its bytes). Omitted strings come from the current process's block
 * (DllPath, CurrentDirectory, the environment) or are empty: WindowTitle,
 * DesktopInfo and ShellInfo "" (MaximumLength 2), DllPath without a
 * current block and RuntimeData none at all (Buffer NULL); CommandLine
 * defaults to ImagePathName. The current directory gets a trailing '\'
 * and room for MAX_PATH characters. The block is returned denormalized.
 */
export function RtlCreateProcessParameters(result: usize, imagePathName: usize, dllPath: usize, currentDirectory: usize,
  commandLine: usize, environment: usize, windowTitle: usize, desktopInfo: usize, shellInfo: usize, runtimeData: usize): u32 {
  const current = RtlpProcessParameters();
  if (dllPath == 0 && current != 0) dllPath = current + P_DLLPATH;
  if (currentDirectory == 0 && current != 0) currentDirectory = current + P_CURDIR;
  if (commandLine == 0) commandLine = imagePathName;
  if (environment == 0 && current != 0) environment = load<usize>(current + P_ENVIRONMENT);
  // The sources, in STRINGS order (0: the default empty string).
  const sources = RtlpAllocateScratch(32);
  if (sources == 0) return STATUS_NO_MEMORY;
  store<usize>(sources, currentDirectory, 0); store<usize>(sources, dllPath, 4); store<usize>(sources, imagePathName, 8);
  store<usize>(sources, commandLine, 12); store<usize>(sources, windowTitle, 16); store<usize>(sources, desktopInfo, 20);
  store<usize>(sources, shellInfo, 24); store<usize>(sources, runtimeData, 28);
  let size = SIZEOF_PARAMS;
  for (let i: u32 = 0; i < 8; i++) size += align4(maximumFor(i, load<usize>(sources + (i << 2))));
  const environmentBytes: u32 = environment != 0 ? RtlpEnvironmentLength(environment) << 1 : 0;
  const p = RtlAllocateHeap(RtlpProcessHeap(), 8 /* HEAP_ZERO_MEMORY */, size + environmentBytes);
  if (p == 0) { RtlpFreeScratch(sources); return STATUS_NO_MEMORY; }
  store<u32>(p + P_MAXIMUM, size);
  store<u32>(p + P_LENGTH, size);
  store<u32>(p + P_FLAGS, RTL_USER_PROC_PARAMS_NORMALIZED);
  let at = p + SIZEOF_PARAMS;
  for (let i: u32 = 0; i < 8; i++) {
    const source = load<usize>(sources + (i << 2));
    const maximum = maximumFor(i, source);
    if (maximum == 0) continue; // no string: all zero
    const length: u32 = source != 0 ? <u32>load<u16>(source) : 0;
    const field = p + stringField(i);
    memory.copy(at, source != 0 ? load<usize>(source, 4) : 0, length);
    let bytes = length;
    if (i == 0 && (bytes == 0 || load<u16>(at + bytes - 2) != 0x5C)) { store<u16>(at + bytes, 0x5C); bytes += 2; }
    store<u16>(at + bytes, 0);
    InitializeCountedString(field, at, bytes, maximum);
    at += align4(maximum);
  }
  if (environment != 0) {
    memory.copy(p + size, environment, environmentBytes);
    store<usize>(p + P_ENVIRONMENT, p + size);
    store<u32>(p + P_ENVSIZE, environmentBytes);
  }
  RtlpFreeScratch(sources);
  store<usize>(result, RtlDeNormalizeProcessParams(p));
  return STATUS_SUCCESS;
}

/**
 * Bytes a string gets in a new block: the source's MaximumLength, at least
 * its text and a NUL; the current directory MAX_PATH or more, with a '\'.
 * Without a source: 2 for WindowTitle, DesktopInfo, ShellInfo, else 0.
 */
function maximumFor(i: u32, source: usize): u32 {
  if (source == 0) return i >= 4 && i <= 6 ? 2 : (i == 0 ? MAX_PATH_BYTES : 0);
  const length = <u32>load<u16>(source);
  if (i == 0) return length + 4 > MAX_PATH_BYTES ? length + 4 : MAX_PATH_BYTES;
  const maximum = <u32>load<u16>(source, 2);
  return maximum > length + 2 ? maximum : length + 2;
}

/** Frees a block RtlCreateProcessParameters made. */
export function RtlDestroyProcessParameters(params: usize): u32 {
  RtlFreeHeap(RtlpProcessHeap(), 0, params);
  return STATUS_SUCCESS;
}

// ---- threads ----

const CONTEXT_SIZE: u32 = <u32>offsetof<CONTEXT>();
const DEFAULT_STACK_RESERVE: u32 = 0x100000;

/**
 * Creates a thread in `process` running start(parameter) on a new stack
 * (`maximumStack` reserved, `committedStack` committed at its top; 0 takes
 * 1 MiB and one page). `*thread` and `*clientId` (if given) get the
 * handle and ids. No guard page yet: the stack check (fs:[8]) catches
 * overflows.
 */
export function RtlCreateUserThread(process: u32, securityDescriptor: usize, createSuspended: bool, zeroBits: u32,
  maximumStack: u32, committedStack: u32, start: usize, parameter: usize, thread: usize, clientId: usize): u32 {
  let reserve = maximumStack != 0 ? (maximumStack + 0xFFFF) & ~0xFFFF : DEFAULT_STACK_RESERVE;
  let commit = committedStack != 0 ? (committedStack + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1) : PAGE_SIZE;
  if (commit > reserve) commit = reserve;
  const heap = RtlpProcessHeap();
  // One scratch block: CONTEXT, INITIAL_TEB (20), two allocation arguments (16), the start frame (8), handle and ids (12),
  // OBJECT_ATTRIBUTES (24).
  const scratch = RtlAllocateHeap(heap, 8, CONTEXT_SIZE + 96);
  if (scratch == 0) return STATUS_NO_MEMORY;
  const context = scratch, teb = scratch + CONTEXT_SIZE, args = teb + 20, frame = args + 16, handle = frame + 8;
  store<usize>(args, 0); store<u32>(args, reserve, 4);
  let status = NtAllocateVirtualMemory(process, args, zeroBits, args + 4, MEM_RESERVE, PAGE_READWRITE);
  if (NT_SUCCESS(status)) {
    const base = load<usize>(args);
    reserve = load<u32>(args, 4);
    const top = base + reserve;
    store<usize>(args, top - commit, 8); store<u32>(args, commit, 12);
    status = NtAllocateVirtualMemory(process, args + 8, 0, args + 12, MEM_COMMIT, PAGE_READWRITE);
    if (NT_SUCCESS(status)) {
      // The start routine sees a return address of 0 and its parameter, as if called.
      store<u32>(frame, 0); store<usize>(frame, parameter, 4);
      status = NtWriteVirtualMemory(process, top - 8, frame, 8, 0);
    }
    if (NT_SUCCESS(status)) {
      store<usize>(teb, 0); store<usize>(teb, 0, 4);
      store<usize>(teb, top, 8); store<usize>(teb, top - commit, 12); store<usize>(teb, base, 16);
      store<u32>(context, CONTEXT_FULL);
      store<u32>(context, 0x3B, 0x90);   // SegFs: the TEB
      store<u32>(context, 0x23, 0x94);   // SegEs
      store<u32>(context, 0x23, 0x98);   // SegDs
      store<usize>(context, start, 0xB8); // Eip
      store<u32>(context, 0x1B, 0xBC);   // SegCs
      store<u32>(context, 0x202, 0xC0);  // EFlags: IF
      store<usize>(context, top - 8, 0xC4); // Esp
      store<u32>(context, 0x23, 0xC8);   // SegSs
      store<usize>(context, parameter, 0xB0); // Eax holds the parameter too
      status = NtCreateThread(handle, 0x1F03FF /* THREAD_ALL_ACCESS */, securityDescriptor != 0 ? RtlpThreadAttributes(handle + 12, securityDescriptor) : 0,
        process, handle + 4, context, teb, createSuspended ? 1 : 0);
    }
    if (!NT_SUCCESS(status)) {
      store<usize>(args, base); store<u32>(args, 0, 4);
      NtFreeVirtualMemory(process, args, args + 4, MEM_RELEASE);
    } else {
      if (thread != 0) store<u32>(thread, load<u32>(handle));
      else NtClose(load<u32>(handle));
      if (clientId != 0) { store<u32>(clientId, load<u32>(handle, 4)); store<u32>(clientId, load<u32>(handle, 8), 4); }
    }
  }
  RtlFreeHeap(heap, 0, scratch);
  return status;
}

/** OBJECT_ATTRIBUTES at `oa` with only a security descriptor. */
function RtlpThreadAttributes(oa: usize, securityDescriptor: usize): usize {
  RtlpInitObjectAttributes(oa, 0, 0, 0);
  changetype<OBJECT_ATTRIBUTES>(oa).SecurityDescriptor = securityDescriptor;
  return oa;
}

/** Ends the calling thread. */
export function RtlExitUserThread(status: u32): void {
  NtTerminateThread(NtCurrentThread, status);
  unreachable();
}

// ---- critical flags and privileges ----

const PEB_NT_GLOBAL_FLAG: u32 = <u32>offsetof<PEB>("NtGlobalFlag");
const FLG_ENABLE_SYSTEM_CRIT_BREAKS: u32 = 0x100000;

function setCritical(isThread: bool, newValue: bool, oldValue: usize, checkFlag: bool): u32 {
  if (checkFlag && (load<u32>(RtlGetCurrentPeb() + PEB_NT_GLOBAL_FLAG) & FLG_ENABLE_SYSTEM_CRIT_BREAKS) == 0) return STATUS_UNSUCCESSFUL;
  const value = RtlpAllocateScratch(4);
  if (value == 0) return STATUS_NO_MEMORY;
  if (oldValue != 0) {
    store<u32>(value, 0);
    if (isThread) NtQueryInformationThread(NtCurrentThread, ThreadBreakOnTermination, value, 4, 0);
    else NtQueryInformationProcess(NtCurrentProcess, ProcessBreakOnTermination, value, 4, 0);
    store<u8>(oldValue, load<u32>(value) != 0 ? 1 : 0);
  }
  store<u32>(value, newValue ? 1 : 0);
  const status = isThread
    ? NtSetInformationThread(NtCurrentThread, ThreadBreakOnTermination, value, 4)
    : NtSetInformationProcess(NtCurrentProcess, ProcessBreakOnTermination, value, 4);
  RtlpFreeScratch(value);
  return status;
}

/** Marks the process critical (its end bug-checks 0xEF) or not; `*oldValue` gets the previous setting. */
export function RtlSetProcessIsCritical(newValue: bool, oldValue: usize, checkFlag: bool): u32 {
  return setCritical(false, newValue, oldValue, checkFlag);
}

/** Marks the calling thread critical or not. */
export function RtlSetThreadIsCritical(newValue: bool, oldValue: usize, checkFlag: bool): u32 {
  return setCritical(true, newValue, oldValue, checkFlag);
}

/**
 * Enables or disables one privilege (a LUID's low part) in the process's
 * token, or the thread's with `currentThread`. `*enabled` gets whether it
 * was enabled before. A privilege the token lacks is
 * STATUS_PRIVILEGE_NOT_HELD.
 */
export function RtlAdjustPrivilege(privilege: u32, enable: bool, currentThread: bool, enabled: usize): u32 {
  const block = RtlpAllocateScratch(48); // token handle, new TOKEN_PRIVILEGES (16), old (16), return length
  if (block == 0) return STATUS_NO_MEMORY;
  const token = block, next = block + 4, previous = block + 20, returned = block + 36;
  const TOKEN_ADJUST_PRIVILEGES_QUERY: u32 = 0x28;
  let status = currentThread
    ? NtOpenThreadToken(NtCurrentThread, TOKEN_ADJUST_PRIVILEGES_QUERY, 0, token)
    : NtOpenProcessToken(NtCurrentProcess, TOKEN_ADJUST_PRIVILEGES_QUERY, token);
  if (!NT_SUCCESS(status)) { RtlpFreeScratch(block); return status; }
  store<u32>(next, 1); store<u32>(next, privilege, 4); store<u32>(next, 0, 8); store<u32>(next, enable ? 2 : 0, 12);
  memory.fill(previous, 0, 16);
  status = NtAdjustPrivilegesToken(load<u32>(token), 0, next, 16, previous, returned);
  NtClose(load<u32>(token));
  if (status == 0x106) status = 0xC0000061; // STATUS_NOT_ALL_ASSIGNED -> STATUS_PRIVILEGE_NOT_HELD
  // No previous state: nothing changed, so it already was as asked.
  else if (NT_SUCCESS(status) && enabled != 0) {
    store<u8>(enabled, load<u32>(previous) == 0 ? (enable ? 1 : 0) : ((load<u32>(previous, 12) & 2) != 0 ? 1 : 0));
  }
  RtlpFreeScratch(block);
  return NT_SUCCESS(status) ? STATUS_SUCCESS : status;
}

// ---- RtlCreateUserProcess ----

/**
 * Starts a process from an image file: NtOpenFile -> NtCreateSection
 * (SEC_IMAGE) -> NtCreateProcess -> the parameter block (and its
 * environment) written into the new process and linked from its PEB ->
 * RtlCreateUserThread at the image's entry point, suspended (the caller
 * resumes it). `info` is RTL_USER_PROCESS_INFORMATION (0x44 bytes: Length,
 * ProcessHandle, ThreadHandle, ClientId, SECTION_IMAGE_INFORMATION).
 */
export function RtlCreateUserProcess(imagePath: usize, attributes: u32, params: usize, processSd: usize, threadSd: usize,
  parent: u32, inheritHandles: bool, debugPort: u32, exceptionPort: u32, info: usize): u32 {
  const heap = RtlpProcessHeap();
  const scratch = RtlAllocateHeap(heap, 8, 128);
  if (scratch == 0) return STATUS_NO_MEMORY;
  const oa = scratch, iosb = oa + offsetof<OBJECT_ATTRIBUTES>(), handles = iosb + offsetof<IO_STATUS_BLOCK>();
  const pbi = scratch + 48, args = scratch + 72, value = scratch + 88;
  // handles: +0 file, +4 section, +8 process
  memory.fill(info, 0, SIZEOF_RTL_USER_PROCESS_INFORMATION);
  store<u32>(info + RTL_USER_PROCESS_INFORMATION_SIZE, SIZEOF_RTL_USER_PROCESS_INFORMATION);
  const image = info + RTL_USER_PROCESS_INFORMATION_IMAGE;
  RtlpInitObjectAttributes(oa, imagePath, attributes, 0);
  // FILE_READ_DATA too (as ReactOS asks): our NtCreateSection(SEC_IMAGE) reads the file through the handle and wants both.
  let status = NtOpenFile(handles, 0x100021 /* SYNCHRONIZE | FILE_EXECUTE | FILE_READ_DATA */, oa, iosb, 5 /* share read, delete */, 0x60 /* synchronous, non-directory */);
  if (NT_SUCCESS(status)) {
    status = NtCreateSection(handles + 4, 0xF001F /* SECTION_ALL_ACCESS */, 0, 0, 0x10 /* PAGE_EXECUTE */, 0x1000000 /* SEC_IMAGE */, load<u32>(handles));
    NtClose(load<u32>(handles));
  }
  if (NT_SUCCESS(status)) {
    RtlpInitObjectAttributes(oa, 0, 0, 0);
    changetype<OBJECT_ATTRIBUTES>(oa).SecurityDescriptor = processSd;
    status = NtCreateProcess(handles + 8, 0x1F0FFF /* PROCESS_ALL_ACCESS */, oa, parent != 0 ? parent : NtCurrentProcess,
      inheritHandles ? 1 : 0, load<u32>(handles, 4), debugPort, exceptionPort);
    if (NT_SUCCESS(status)) {
      const process = load<u32>(handles, 8);
      store<u32>(info + RTL_USER_PROCESS_INFORMATION_PROCESS, process);
      status = NtQuerySection(load<u32>(handles, 4), 1 /* SectionImageInformation */, image, 0x30, 0);
      if (NT_SUCCESS(status)) status = NtQueryInformationProcess(process, ProcessBasicInformation, pbi, SIZEOF_PROCESS_BASIC_INFORMATION, 0);
      const peb = changetype<PROCESS_BASIC_INFORMATION>(pbi).PebBaseAddress;
      if (NT_SUCCESS(status)) status = RtlpCopyParameters(process, params, peb, args, value);
      if (NT_SUCCESS(status)) {
        const i = changetype<SECTION_IMAGE_INFORMATION>(image);
        status = RtlCreateUserThread(process, threadSd, true, i.ZeroBits, i.MaximumStackSize, i.CommittedStackSize,
          i.TransferAddress, peb, info + RTL_USER_PROCESS_INFORMATION_THREAD, info + RTL_USER_PROCESS_INFORMATION_CLIENT_ID);
      }
      if (!NT_SUCCESS(status)) { NtClose(process); store<u32>(info + RTL_USER_PROCESS_INFORMATION_PROCESS, 0); }
    }
    NtClose(load<u32>(handles, 4));
  }
  RtlFreeHeap(heap, 0, scratch);
  return status;
}

/** Writes the environment and the (denormalized) parameter block into `process` and links it from its PEB. */
function RtlpCopyParameters(process: u32, params: usize, peb: usize, args: usize, value: usize): u32 {
  const wasNormalized = (load<u32>(params + P_FLAGS) & RTL_USER_PROC_PARAMS_NORMALIZED) != 0;
  RtlDeNormalizeProcessParams(params);
  const environment = load<usize>(params + P_ENVIRONMENT);
  let remoteEnvironment: usize = 0;
  let status = STATUS_SUCCESS;
  let blockBytes = load<u32>(params + P_MAXIMUM);
  if (blockBytes == 0) blockBytes = load<u32>(params + P_LENGTH);
  // An environment right after the block (RtlCreateProcessParameters puts it there) travels with it.
  const inside = environment != 0 && environment == params + blockBytes;
  if (inside) blockBytes += RtlpEnvironmentLength(environment) << 1;
  if (environment != 0 && !inside) {
    const bytes = RtlpEnvironmentLength(environment) << 1;
    store<usize>(args, 0); store<u32>(args, bytes, 4);
    status = NtAllocateVirtualMemory(process, args, 0, args + 4, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (NT_SUCCESS(status)) {
      remoteEnvironment = load<usize>(args);
      status = NtWriteVirtualMemory(process, remoteEnvironment, environment, bytes, 0);
    }
  }
  if (NT_SUCCESS(status)) {
    const bytes = blockBytes;
    store<usize>(args, 0); store<u32>(args, bytes, 4);
    status = NtAllocateVirtualMemory(process, args, 0, args + 4, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (NT_SUCCESS(status)) {
      const remote = load<usize>(args);
      if (inside) remoteEnvironment = remote + <usize>(environment - params);
      store<usize>(params + P_ENVIRONMENT, remoteEnvironment);
      status = NtWriteVirtualMemory(process, remote, params, bytes, 0);
      store<usize>(params + P_ENVIRONMENT, environment);
      store<usize>(value, remote);
      if (NT_SUCCESS(status)) status = NtWriteVirtualMemory(process, peb + 0x10, value, 4, 0);
    }
  }
  if (wasNormalized) RtlNormalizeProcessParams(params);
  return status;
}
