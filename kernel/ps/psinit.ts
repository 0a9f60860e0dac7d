// The first user process: \SystemRoot\System32\smss.exe, started at the end
// of phase 1 as NT does (ExpLoadInitialProcess, then the wait at the end of
// Phase1InitializationDiscard).
//
// Every step is one of the kernel's own system services called in kernel
// mode (previous mode KernelMode: no probes, kernel handles):
//   1. NtOpenFile (FILE_EXECUTE | SYNCHRONIZE) and NtCreateSection
//      (SEC_IMAGE); NtQuerySection's SECTION_IMAGE_INFORMATION must say
//      subsystem NATIVE (1), else STATUS_INVALID_IMAGE_FORMAT.
//   2. NtCreateProcess from the section, its parent the System process.
//   3. The process parameters, written into the new process with
//      NtAllocateVirtualMemory and NtWriteVirtualMemory and linked from its
//      PEB (+0x10), denormalized (string Buffers are offsets from the
//      block; Flags without RTL_USER_PROC_PARAMS_NORMALIZED), as NT hands
//      them to smss: ImagePathName and CommandLine
//      \SystemRoot\System32\smss.exe, CurrentDirectory C:\Windows\ (room for
//      MAX_PATH characters), DllPath C:\Windows\System32, no standard
//      handles, and an environment of its own (a pointer in the new
//      process): Path=C:\Windows\System32, SystemRoot=C:\Windows.
//         RTL_USER_PROCESS_PARAMETERS (x86, NT 5.2: 0x290 bytes), the
//         fields written: +0x00 MaximumLength  +0x04 Length  +0x08 Flags
//         +0x24 CurrentDirectory.DosPath  +0x30 DllPath  +0x38 ImagePathName
//         +0x40 CommandLine  +0x48 Environment; the strings follow the
//         structure, each NUL-terminated and 4-byte aligned.
//   4. A stack sized from the image (MaximumStackSize reserved,
//      CommittedStackSize committed at its top: there is no PAGE_GUARD, so
//      no guard page), a CONTEXT at the entry point with the PEB as
//      NtProcessStartup's argument (laid out as ntdll's RtlCreateUserThread
//      does: [esp] a zero return address, [esp+4] the PEB, eax the PEB too),
//      an INITIAL_TEB, and NtCreateThread, not suspended.
// Each failure is logged (what failed and its status) and stops the system
// with SESSION1_INITIALIZATION_FAILED (0x6D, the status first). Then phase 1
// waits on the process for five seconds: a session manager that has ended
// by then stops the system with SESSION5_INITIALIZATION_FAILED (0x71, its
// exit status first); one still running keeps going (the kernel keeps its
// process handle) and phase 1 ends in the idle loop.
//
// Two departures from NT, both for the tests' sake:
//   - Boot modules (flat programs the kernel image carries: the test
//     harness's way to run programs) take smss's place: a kernel with any
//     runs them and waits for them (PsRunBootModules), and starts no smss.
//   - Without a system volume (no disk, or none the kernel can mount) there
//     is no smss to start: a line says so and phase 1 goes on to the idle
//     loop (NT would have stopped with INACCESSIBLE_BOOT_DEVICE earlier).

import { PsShutdownInProgress } from "./psshutdown";
import { KeBugCheckEx, SESSION1_INITIALIZATION_FAILED, SESSION5_INITIALIZATION_FAILED } from "../ke/bugcheck";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat1, KeLogFormat2, KeLogFormat3 } from "../ke/log";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { InitializeObjectAttributes, SYNCHRONIZE } from "../ob/obp";
import { ObCloseHandle } from "../ob/obhandle";
import { NtOpenFile } from "../io/create";
import { IoSystemVolumeMounted } from "../io/iosys";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { NtCreateSection, NtQuerySection } from "../mm/section";
import { NtAllocateVirtualMemory } from "../mm/vmsvc";
import { NtWriteVirtualMemory } from "../mm/vmcopy";
import { NtWaitForSingleObject } from "../ob/obwait";
import { NtCreateProcess } from "./pscreate";
import { NtCreateThread, THREAD_ALL_ACCESS } from "./psthread";
import { NtQueryInformationProcess } from "./psquery";
import { PROCESS_ALL_ACCESS } from "./psprocess";
import { PsBootModuleCount, PsRunBootModules } from "./psmain";
import { INITIAL_TEB, PEB, RTL_USER_PROCESS_PARAMETERS } from "../sdk/peb";
import { CONTEXT } from "../sdk/context";
import { SECTION_IMAGE_INFORMATION } from "../sdk/pe";
import { NT_SUCCESS, STATUS_INVALID_IMAGE_FORMAT, STATUS_TIMEOUT } from "../sdk/ntstatus";
import {
  MEM_COMMIT, MEM_RESERVE, NtCurrentProcess, OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, PAGE_EXECUTE, PAGE_READWRITE, PAGE_SIZE, SEC_IMAGE, InitializeCountedString
} from "../sdk/ntdef";
import { CONTEXT_FULL } from "../sdk/context";
import { RTL_USER_PROCESS_PARAMETERS_XP_SIZE } from "../sdk/peb";
import { IMAGE_SUBSYSTEM_NATIVE } from "../sdk/pe";
import { PROCESS_BASIC_INFORMATION, ProcessBasicInformation, SIZEOF_PROCESS_BASIC_INFORMATION } from "../sdk/procinfo";

const SMSS_PATH: string = "\\SystemRoot\\System32\\smss.exe";
const CURRENT_DIRECTORY: string = "C:\\Windows\\";
const DLL_PATH: string = "C:\\Windows\\System32";
const ENVIRONMENT_PATH: string = "Path=C:\\Windows\\System32";
const ENVIRONMENT_SYSTEM_ROOT: string = "SystemRoot=C:\\Windows";

const FILE_EXECUTE: u32 = 0x0020;
const FILE_SHARE_READ: u32 = 0x1, FILE_SHARE_DELETE: u32 = 0x4;
const FILE_SYNCHRONOUS_IO_NONALERT: u32 = 0x20, FILE_NON_DIRECTORY_FILE: u32 = 0x40;
const SECTION_ALL_ACCESS: u32 = 0xF001F;
const SectionImageInformation: u32 = 1;
const MAX_PATH_BYTES: u32 = 260 * 2;
const DEFAULT_STACK_RESERVE: u32 = 0x100000;
const PEB_PROCESS_PARAMETERS: u32 = <u32>offsetof<PEB>("ProcessParameters");
const SMSS_WAIT_SECONDS: i64 = 5;

// RTL_USER_PROCESS_PARAMETERS (NT 5.2).
const SIZEOF_PARAMS: u32 = RTL_USER_PROCESS_PARAMETERS_XP_SIZE;
const P_MAXIMUM: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("MaximumLength");
const P_LENGTH: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("Length");
const P_FLAGS: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("Flags");
const P_CURDIR: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("CurrentDirectory_DosPath_Length");
const P_DLLPATH: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("DllPath_Length");
const P_IMAGE: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("ImagePathName_Length");
const P_COMMANDLINE: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("CommandLine_Length");
const P_ENVIRONMENT: u32 = <u32>offsetof<RTL_USER_PROCESS_PARAMETERS>("Environment");

const CONTEXT_SIZE: u32 = <u32>offsetof<CONTEXT>();
const KGDT_R3_CODE_RPL3: u32 = 0x1B, KGDT_R3_DATA_RPL3: u32 = 0x23, KGDT_R3_TEB_RPL3: u32 = 0x3B;
const INITIAL_TEB_SIZE: u32 = <u32>offsetof<INITIAL_TEB>();

const PARAMS_TAG: u32 = 0x73736D53; // 'Smss'

/** The session manager's process handle (kernel table), kept for as long as the system runs. */
export let PsSessionManagerProcess: u32 = 0;

// Kernel-memory arguments of the services. Module buffers are safe here: only phase 1's thread runs
// this file, once; no other thread ever touches them.
const Name = memory.data(8, 4);              // UNICODE_STRING
const Attributes = memory.data(24, 4);       // OBJECT_ATTRIBUTES
const IoStatus = memory.data(8, 4);          // IO_STATUS_BLOCK
const Handles = memory.data(16, 4);          // +0 file, +4 section, +8 process, +12 thread
const ClientId = memory.data(8, 4);
const ImageInfo = memory.data(<i32>offsetof<SECTION_IMAGE_INFORMATION>(), 4);
const BasicInfo = memory.data(<i32>offsetof<PROCESS_BASIC_INFORMATION>(), 4);
const Region = memory.data(8, 4);            // base, size (NtAllocateVirtualMemory in and out)
const Cell = memory.data(8, 8);              // one pointer to write; a timeout
const Frame = memory.data(8, 4);             // the first thread's return address and argument
const Context = memory.data(CONTEXT_SIZE, 16);
const InitialTeb = memory.data(INITIAL_TEB_SIZE, 4);

/** Logs `ps: cannot start \SystemRoot\System32\smss.exe: WHAT failed, status S` and stops with 0x6D. Never returns. */
function PspSessionManagerFailed(what: string, status: u32): void {
  KeLogFormat3("ps", "cannot start %s: %s failed, status %x", changetype<usize>(SMSS_PATH), changetype<usize>(what), status);
  KeBugCheckEx(SESSION1_INITIALIZATION_FAILED, status, 0, 0, 0);
}

/** Stops the system unless `status` is a success. */
function PspCheck(status: u32, what: string): void {
  if (!NT_SUCCESS(status)) PspSessionManagerFailed(what, status);
}

@inline function align4(n: u32): u32 { return (n + 3) & ~3; }

/** Copies `text` (UTF-16, with a NUL after it) to `at`; returns the bytes of the text. */
function PspCopyString(at: usize, text: string): u32 {
  const bytes = <u32>text.length << 1;
  memory.copy(at, changetype<usize>(text), bytes);
  store<u16>(at + bytes, 0);
  return bytes;
}

/** Places `text` at `*offset` of `block` and points the UNICODE_STRING at `field` to it (an offset); returns the next offset. */
function PspPlaceString(block: usize, field: u32, offset: u32, text: string, maximum: u32): u32 {
  const bytes = PspCopyString(block + offset, text);
  InitializeCountedString(block + field, offset, bytes, maximum); // denormalized: an offset from the block
  return offset + align4(maximum);
}

/** Allocates `bytes` of committed read-write memory in `process`; returns its address. */
function PspAllocateIn(process: u32, bytes: u32, what: string): usize {
  store<usize>(Region, 0);
  store<u32>(Region, bytes, 4);
  PspCheck(NtAllocateVirtualMemory(process, Region, 0, Region + 4, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), what);
  return load<usize>(Region);
}

/**
 * The environment (its own allocation) and the denormalized parameter block,
 * written into `process` and linked from its PEB at `peb`.
 */
function PspWriteProcessParameters(process: u32, peb: usize): void {
  // The environment: "Path=...\0SystemRoot=...\0\0".
  const environmentBytes = ((<u32>ENVIRONMENT_PATH.length + 1) + (<u32>ENVIRONMENT_SYSTEM_ROOT.length + 1) + 1) << 1;
  const environment = ExAllocatePoolWithTag(NonPagedPool, environmentBytes, PARAMS_TAG);
  if (environment == 0) PspSessionManagerFailed("the environment's pool", 0xC000009A);
  let at = PspCopyString(environment, ENVIRONMENT_PATH) + 2;
  at += PspCopyString(environment + at, ENVIRONMENT_SYSTEM_ROOT) + 2;
  store<u16>(environment + at, 0);
  const remoteEnvironment = PspAllocateIn(process, environmentBytes, "NtAllocateVirtualMemory (environment)");
  PspCheck(NtWriteVirtualMemory(process, remoteEnvironment, environment, environmentBytes, 0), "NtWriteVirtualMemory (environment)");
  ExFreePoolWithTag(environment, PARAMS_TAG);

  // The block: the structure, then its strings.
  const imageBytes = (<u32>SMSS_PATH.length + 1) << 1;
  const dllPathBytes = (<u32>DLL_PATH.length + 1) << 1;
  const size = SIZEOF_PARAMS + align4(MAX_PATH_BYTES) + align4(dllPathBytes) + 2 * align4(imageBytes);
  const block = ExAllocatePoolWithTag(NonPagedPool, size, PARAMS_TAG);
  if (block == 0) PspSessionManagerFailed("the parameter block's pool", 0xC000009A);
  memory.fill(block, 0, size);
  store<u32>(block + P_MAXIMUM, size);
  store<u32>(block + P_LENGTH, size);
  store<u32>(block + P_FLAGS, 0); // denormalized; no standard handles, no console
  let offset = SIZEOF_PARAMS;
  offset = PspPlaceString(block, P_CURDIR, offset, CURRENT_DIRECTORY, MAX_PATH_BYTES);
  offset = PspPlaceString(block, P_DLLPATH, offset, DLL_PATH, dllPathBytes);
  offset = PspPlaceString(block, P_IMAGE, offset, SMSS_PATH, imageBytes);
  offset = PspPlaceString(block, P_COMMANDLINE, offset, SMSS_PATH, imageBytes);
  store<u32>(block + P_ENVIRONMENT, <u32>remoteEnvironment); // a pointer in the new process
  const remote = PspAllocateIn(process, size, "NtAllocateVirtualMemory (process parameters)");
  const status = NtWriteVirtualMemory(process, remote, block, size, 0);
  ExFreePoolWithTag(block, PARAMS_TAG);
  PspCheck(status, "NtWriteVirtualMemory (process parameters)");
  store<u32>(Cell, <u32>remote);
  PspCheck(NtWriteVirtualMemory(process, peb + PEB_PROCESS_PARAMETERS, Cell, 4, 0), "NtWriteVirtualMemory (PEB ProcessParameters)");
}

/**
 * The first thread: a stack sized from the image, a CONTEXT at its entry
 * with the PEB as the argument, running at once. Returns the thread handle.
 */
function PspCreateInitialThread(process: u32, peb: usize): u32 {
  const info = changetype<SECTION_IMAGE_INFORMATION>(ImageInfo);
  const maximum = info.MaximumStackSize, committed = info.CommittedStackSize;
  let reserve = maximum != 0 ? (maximum + 0xFFFF) & ~0xFFFF : DEFAULT_STACK_RESERVE;
  let commit = committed != 0 ? (committed + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1) : PAGE_SIZE;
  if (commit > reserve) commit = reserve;
  store<usize>(Region, 0);
  store<u32>(Region, reserve, 4);
  PspCheck(NtAllocateVirtualMemory(process, Region, info.ZeroBits, Region + 4, MEM_RESERVE, PAGE_READWRITE), "NtAllocateVirtualMemory (stack reserve)");
  const base = load<usize>(Region);
  const top = base + load<u32>(Region, 4);
  // No PAGE_GUARD in this kernel: the committed top is all the stack has (its limit is the TEB's StackLimit).
  store<usize>(Region, top - commit);
  store<u32>(Region, commit, 4);
  PspCheck(NtAllocateVirtualMemory(process, Region, 0, Region + 4, MEM_COMMIT, PAGE_READWRITE), "NtAllocateVirtualMemory (stack commit)");
  // NtProcessStartup(Peb): a zero return address and the argument, as if called.
  store<u32>(Frame, 0);
  store<u32>(Frame, <u32>peb, 4);
  PspCheck(NtWriteVirtualMemory(process, top - 8, Frame, 8, 0), "NtWriteVirtualMemory (stack)");
  const stack = changetype<INITIAL_TEB>(InitialTeb);
  stack.OldStackBase = 0;
  stack.OldStackLimit = 0;
  stack.StackBase = top;
  stack.StackLimit = top - commit;
  stack.AllocatedStackBase = base;
  memory.fill(Context, 0, CONTEXT_SIZE);
  const context = changetype<CONTEXT>(Context);
  context.ContextFlags = CONTEXT_FULL;
  context.SegFs = KGDT_R3_TEB_RPL3;
  context.SegEs = KGDT_R3_DATA_RPL3;
  context.SegDs = KGDT_R3_DATA_RPL3;
  context.Eax = <u32>peb;
  context.Eip = info.TransferAddress;
  context.SegCs = KGDT_R3_CODE_RPL3;
  context.EFlags = 0x202; // IF
  context.Esp = <u32>(top - 8);
  context.SegSs = KGDT_R3_DATA_RPL3;
  PspCheck(NtCreateThread(Handles + 12, THREAD_ALL_ACCESS, 0, process, ClientId, Context, InitialTeb, 0), "NtCreateThread");
  return load<u32>(Handles, 12);
}

/**
 * Phase 1's last step: the boot modules when the kernel image carries any,
 * else \SystemRoot\System32\smss.exe as the first user process, waited on
 * for five seconds (see the header).
 */
export function PsStartSessionManager(): void {
  if (PsBootModuleCount() > 0) { PsRunBootModules(); return; } // the harness's programs take smss's place
  if (!IoSystemVolumeMounted) {
    KeLogFormat1("ps", "no system volume: no %s to start", changetype<usize>(SMSS_PATH));
    return;
  }
  // The image file and its section.
  RtlInitUnicodeString(Name, SMSS_PATH);
  InitializeObjectAttributes(Attributes, Name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, 0, 0);
  PspCheck(NtOpenFile(Handles, FILE_EXECUTE | SYNCHRONIZE, Attributes, IoStatus, FILE_SHARE_READ | FILE_SHARE_DELETE,
    FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE), "NtOpenFile");
  InitializeObjectAttributes(Attributes, 0, OBJ_KERNEL_HANDLE, 0, 0);
  let status = NtCreateSection(Handles + 4, SECTION_ALL_ACCESS, Attributes, 0, PAGE_EXECUTE, SEC_IMAGE, load<u32>(Handles));
  ObCloseHandle(load<u32>(Handles));
  PspCheck(status, "NtCreateSection (SEC_IMAGE)");
  const section = load<u32>(Handles, 4);
  PspCheck(NtQuerySection(section, SectionImageInformation, ImageInfo, <u32>offsetof<SECTION_IMAGE_INFORMATION>(), 0), "NtQuerySection");
  const subsystem = changetype<SECTION_IMAGE_INFORMATION>(ImageInfo).SubSystemType;
  if (subsystem != IMAGE_SUBSYSTEM_NATIVE) {
    KeLogFormat3("ps", "cannot start %s: image subsystem %u is not native (1), status %x", changetype<usize>(SMSS_PATH), subsystem, STATUS_INVALID_IMAGE_FORMAT);
    KeBugCheckEx(SESSION1_INITIALIZATION_FAILED, STATUS_INVALID_IMAGE_FORMAT, 0, 0, 0);
  }
  // The process, a child of the System process (the caller here).
  InitializeObjectAttributes(Attributes, 0, OBJ_KERNEL_HANDLE, 0, 0);
  status = NtCreateProcess(Handles + 8, PROCESS_ALL_ACCESS, Attributes, NtCurrentProcess, 0, section, 0, 0);
  ObCloseHandle(section);
  PspCheck(status, "NtCreateProcess");
  const process = load<u32>(Handles, 8);
  PspCheck(NtQueryInformationProcess(process, ProcessBasicInformation, <u32>BasicInfo, SIZEOF_PROCESS_BASIC_INFORMATION, 0), "NtQueryInformationProcess");
  const peb = changetype<PROCESS_BASIC_INFORMATION>(BasicInfo).PebBaseAddress;
  const pid = changetype<PROCESS_BASIC_INFORMATION>(BasicInfo).UniqueProcessId;
  PspWriteProcessParameters(process, peb);
  const thread = PspCreateInitialThread(process, peb);
  ObCloseHandle(thread);
  PsSessionManagerProcess = process;
  KeLogFormat2("ps", "session manager started: process %u (%s)", pid, changetype<usize>(SMSS_PATH));
  // Five seconds for it to settle: ending within them is a failed boot.
  store<i64>(Cell, -SMSS_WAIT_SECONDS * 10000000);
  status = NtWaitForSingleObject(process, 0, Cell);
  if (status == STATUS_TIMEOUT) return; // running: phase 1 goes on; the handle keeps it
  // A shutdown asked for within the five seconds (a quick logon and reboot) ends smss: not a failed boot.
  if (status == 0 /* STATUS_WAIT_0: it ended */ && PsShutdownInProgress()) return;
  PspCheck(status, "NtWaitForSingleObject");
  PspCheck(NtQueryInformationProcess(process, ProcessBasicInformation, <u32>BasicInfo, SIZEOF_PROCESS_BASIC_INFORMATION, 0), "NtQueryInformationProcess");
  const exitStatus = changetype<PROCESS_BASIC_INFORMATION>(BasicInfo).ExitStatus;
  KeLogFormat3("ps", "session manager (process %u) ended within %u s, status %x", pid, <u32>SMSS_WAIT_SECONDS, exitStatus);
  KeBugCheckEx(SESSION5_INITIALIZATION_FAILED, exitStatus, 0, 0, 0);
}
