// Processes and user threads.
//
// An EPROCESS owns an address space (mm/procmm.ts) and its threads; it is a
// dispatcher object, signalled when its last thread ends. The System process
// (pid 4) owns the kernel threads. User processes come from PE32 images
// (pscreate.ts; the first, smss.exe, started by psinit.ts) or, for the
// tests, from "boot modules" the linker carries in the kernel image (flat
// images built by scripts/userprog.ts, header below), which take smss's place. A user thread starts
// in ring 3 through the interrupt exit path: its kernel stack begins with a
// KTRAP_FRAME that "returns" to the image's entry point.
//
// User image (UIMG) header, at the image base:
//   +0 magic 'UIMG'  +4 image base  +8 entry  +12 image bytes
//   +16 first byte of the static data region  +20 its end (committed, zeroed)
//   +24 stack bytes
//
// User layout: image at its base (0x00400000), the wasm data region at
// 0x01000000, the stack below 0x00300000, the PEB at 0x7FFDF000 and the
// first thread's TEB at 0x7FFDE000 (NT's classic addresses).

import { MmSetProcessRoutines } from "../mm/mmproc";
import { KeSetProcessLogRoutine } from "../ke/log";
import { ExSetProcessInformationRoutine } from "../ex/sysinfo";
import { PsQuerySystemProcessInformation } from "./pssysinfo";
import { PsDereferenceProcess, PsReferenceProcessByHandle } from "./psprocess";
import { ExCopyFromUser, ProbeUserRange } from "../ke/probe";
import { boot_modules, trap_exit } from "../sdk/intrinsics";
import { KeLogAsciiz, KeLogBegin, KeLogBeginAsciiz, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLog, KeLogFormat2, KeLogFormat3 } from "../ke/log";
import {
  KTHREAD, KeAllocateScratch, KeFreeScratch, KeCreateThread, KeReadyThread, KeDereferenceThread, KeSetThreadFreeHook,
  KeCurrentThread, KeEnableProcessSwitch, KeYieldExecution, ProcessObject, KTHREAD_THREAD_LINKS, KeAcquireDispatcherLock,
  KeReleaseDispatcherLock,
} from "../ke/thread";
import { KeInitializeDispatcherHeader, KeDelayExecution, KeWaitForSingleObject, KeQuerySystemTime } from "../ke/wait";
import { KGDT_R3_CODE, KGDT_R3_DATA, KGDT_R3_TEB, RPL_USER } from "../ke/gdt";
import {
  MmCommitUserPages, MmCopyToUser, MmCreateProcessAddressSpace, MmDeleteProcessAddressSpace, MmKernelDirectory, MmSwitchAddressSpace,
} from "../mm/procmm";
import { ExAllocatePoolWithTag, ExFreePoolWithTag, ExPoolBytesInUse, NonPagedPool } from "../ex/pool";
import {
  ExChargePoolQuota, ExCreateQuotaBlock, ExDereferenceQuotaBlock, ExReferenceQuotaBlock, ExReturnPoolQuota, ExSetQuotaBlockRoutine,
  QUOTA_DEFAULT_NONPAGED_LIMIT, QUOTA_DEFAULT_PAGED_LIMIT, QUOTA_UNLIMITED,
} from "../ex/quota";
import { MmAvailablePages } from "../mm/pfn";
import { ObCreateHandleTable, ObCurrentHandleTableCell, ObDestroyHandleTable, ObSwitchHandleTable } from "../ob/obhandle";
import { MmInsertVad, MmDeleteVads, MmSetProcessLookup, MmSetVadQuotaRoutine } from "../mm/virtual";
import { InitializeListHead, InsertTailList, RemoveEntryList } from "../sdk/list";
import { SeCopyPrimaryToken, SeDereferenceToken } from "../se/tokenobj";
import { SeDefaultSecurityDescriptor } from "../se/access";
import { ExFreeSecurityDescriptor } from "../ex/security";
import { ObDereferenceDeviceMap, ObInheritDeviceMap, ObSetCurrentDeviceMapRoutine } from "../ob/obdevmap";
import { MmSessionSetDirectory } from "../mm/session";
import { PsInitializeSessionZero, PspSessionAddProcess, PspSessionRemoveProcess } from "./pssession";
import { TOKEN } from "../se/tokenobj";
import { KTRAP_FRAME } from "../sdk/context";
import {
  STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_IMAGE_FORMAT, STATUS_NO_YIELD_PERFORMED, STATUS_SUCCESS,
} from "../sdk/ntstatus";
import { MEM_IMAGE, MEM_PRIVATE, NtCurrentProcess, PAGE_EXECUTE_READWRITE, PAGE_READWRITE } from "../sdk/ntdef";

const UIMG_MAGIC: u32 = 0x474D4955; // 'UIMG'
const USER_STACK_TOP: usize = 0x00300000;
const USER_STACK_GUARD: u32 = 8192;
export const PEB_ADDRESS: usize = 0x7FFDF000;
export const TEB_ADDRESS: usize = 0x7FFDE000;

/**
 * EPROCESS (ours): the dispatcher header first (a process is waitable), then
 * the page directory: these first fields are Ke's KPROCESS (ke/attach.ts).
 */
@unmanaged export class EPROCESS {
  Type: u32;
  SignalState: i32;
  WaitListFlink: usize;
  WaitListBlink: usize;
  // +16
  DirectoryTableBase: u32;
  ThreadListFlink: usize;
  ThreadListBlink: usize;
  ActiveThreads: u32;
  // +32
  ExitStatus: u32;
  UniqueProcessId: u32;
  Peb: usize;
  Flags: u32;          // PS_PROCESS_FLAGS_*
  // +48
  SessionId: u32;
  BasePriority: u32;
  References: u32;
  // +60: the address space's regions (mm/virtual.ts)
  VadListFlink: usize;
  VadListBlink: usize;
  // +68: 16 bytes of NUL-padded ASCII, as EPROCESS.ImageFileName
  ImageFileName0: u32;
  ImageFileName1: u32;
  ImageFileName2: u32;
  ImageFileName3: u32;
  // +84: on PsActiveProcessHead while the process runs
  ActiveProcessFlink: usize;
  ActiveProcessBlink: usize;
  CreateTimeLow: u32;  // LARGE_INTEGER as two dwords (a u64 field would be 8-aligned)
  CreateTimeHigh: u32;
  // +100: the process's handle table (ob/obhandle.ts)
  ObjectTable: usize;
  /** TEB slots in use (bit k: the page at TEB_ADDRESS - k * 4096; slot 0 is the first thread's). */
  TebSlots0: u32;
  TebSlots1: u32;
  /** The object manager's Process object for it (psprocess.ts), uncounted. */
  ObjectWrapper: usize;
  /** Where ntdll.dll is mapped in it (psdll.ts), 0 when it is not: its threads then start at their own address. */
  SystemDllBase: usize;
  /** Its primary token (se/tokenobj.ts), one reference, dropped with the EPROCESS; 0 only before tokens exist (se/token.ts). */
  Token: usize;
  /** The id of the process it was created from (NT's InheritedFromUniqueProcessId): 4 for smss and the boot's processes. */
  InheritedFromUniqueProcessId: u32;
  /** Its session's space (mm/session.ts, ps/pssession.ts): the creator's session; 0 once it has left. */
  Session: usize;
  /** Its DEVICE_MAP (ob/obdevmap.ts): what "\??" names for it; its parent's, one reference. */
  DeviceMap: usize;
  /**
   * The full NT name of its image file (pool 'PsIp': a u32 byte count, then UTF-16), what
   * ProcessImageFileName reports; 0 for the System process and boot modules.
   */
  ImageFilePath: usize;
  /**
   * Its security descriptor (self-relative, 'SeSd' pool): what NtOpenProcess and NtOpenThread check
   * (se/access.ts). The creator's token's defaults, or the one NtCreateProcess's OBJECT_ATTRIBUTES gave.
   */
  SecurityDescriptor: usize;
  /** Its pool quota (ex/quota.ts): what its calls make the kernel allocate is charged here; one reference. */
  QuotaBlock: usize;
  /** The block its creator was charged for this EPROCESS (and its first handle table), and how much: returned when it goes. */
  CreatorQuotaBlock: usize;
  CreatorQuotaCharge: u32;
}
const EPROCESS_SIZE: u32 = offsetof<EPROCESS>();
/** What creating a process charges its creator: the EPROCESS, its quota block and its first handle table, with pool headers. */
const PROCESS_QUOTA_CHARGE: u32 = EPROCESS_SIZE + 8 + 40 + 40 + 64 * 8 + 8;
export const EPROCESS_ACTIVE_LINKS: u32 = offsetof<EPROCESS>("ActiveProcessFlink");
/** The processes that have not ended, System first. */
export const PsActiveProcessHead: usize = memory.data(8, 4);
export const EPROCESS_THREAD_LIST: u32 = offsetof<EPROCESS>("ThreadListFlink");
export const EPROCESS_VAD_LIST: u32 = offsetof<EPROCESS>("VadListFlink");
export const EPROCESS_DEVICE_MAP: u32 = offsetof<EPROCESS>("DeviceMap");
const EPROCESS_IMAGE_NAME: u32 = offsetof<EPROCESS>("ImageFileName0");
export const PS_PROCESS_FLAGS_CRITICAL: u32 = 1;
/** EPROCESS.Flags bit: the process has ended (its teardown, ps/psexit.ts, ran or is running). */
export const PSP_PROCESS_EXITED: u32 = 0x40000000;

/**
 * Has the process ended? The flag is set before its teardown takes the
 * address-space lock (mm/aslock.ts): a holder of that lock that sees it
 * clear has the process's address space until it lets go.
 */
export function PsProcessHasEnded(process: usize): bool { return (changetype<EPROCESS>(process).Flags & PSP_PROCESS_EXITED) != 0; }
const PROCESS_TAG: u32 = 0x636F7250; // 'Proc'
const IMAGE_PATH_TAG: u32 = 0x70497350; // 'PsIp'

/** The System process: owner of the kernel threads. */
export let PsInitialSystemProcess: usize = 0;
/** The kernel's handle table (the System process's). */
let PspKernelHandleTable: usize = 0;
let PspNextProcessId: u32 = 8;
/** The next process id (taken with interrupts off: two creators at once get two ids). */
function PspNewProcessId(): u32 {
  const f = KeAcquireDispatcherLock();
  const id = PspNextProcessId;
  PspNextProcessId = id + 4;
  KeReleaseDispatcherLock(f);
  return id;
}
/** The process with id `pid` on the active list, referenced (found and referenced before it can end and go), or 0. */
export function PspReferenceProcessById(pid: u32): usize {
  let process: usize = 0;
  const f = KeAcquireDispatcherLock();
  for (let e = load<usize>(PsActiveProcessHead); e != PsActiveProcessHead; e = load<usize>(e)) {
    if (changetype<EPROCESS>(e - EPROCESS_ACTIVE_LINKS).UniqueProcessId == pid) { process = e - EPROCESS_ACTIVE_LINKS; break; }
  }
  if (process != 0) PspReferenceProcess(process);
  KeReleaseDispatcherLock(f);
  return process;
}
/** Takes a process that never ran off the active list. */
export function PspRemoveActiveProcess(process: usize): void {
  const f = KeAcquireDispatcherLock();
  RemoveEntryList(process + EPROCESS_ACTIVE_LINKS);
  KeReleaseDispatcherLock(f);
}

/** A user thread's memory goes: it no longer needs its process. */
function PspThreadFreed(thread: usize): void {
  const process = changetype<KTHREAD>(thread).Process;
  if (process != 0 && process != PsInitialSystemProcess) PspDereferenceProcess(process);
}

/** Gives `thread` a reference on its process (every user thread holds one until its memory goes). */
export function PspAttachThreadToProcess(thread: usize, process: usize): void { PspReferenceProcess(process); }

/**
 * References on an EPROCESS: one while it is alive (dropped when its last
 * thread has ended), one per thread (until the thread's memory goes), one per
 * Process object: the memory goes with the last.
 */
export function PspReferenceProcess(process: usize): void {
  const f = KeAcquireDispatcherLock(); // a read-modify-write another thread may interrupt
  changetype<EPROCESS>(process).References++;
  KeReleaseDispatcherLock(f);
}
export function PspDereferenceProcess(process: usize): void {
  const p = changetype<EPROCESS>(process);
  const f = KeAcquireDispatcherLock();
  const left = --p.References;
  KeReleaseDispatcherLock(f);
  if (left != 0) return;
  if (p.Token != 0) { SeDereferenceToken(p.Token); p.Token = 0; }
  ObDereferenceDeviceMap(process + EPROCESS_DEVICE_MAP);
  if (p.Session != 0) PspSessionRemoveProcess(process, 0); // never ran: its session loses it now
  if (p.ImageFilePath != 0) ExFreePoolWithTag(p.ImageFilePath, IMAGE_PATH_TAG);
  if (p.SecurityDescriptor != 0) ExFreeSecurityDescriptor(p.SecurityDescriptor);
  const creatorBlock = p.CreatorQuotaBlock, creatorCharge = p.CreatorQuotaCharge;
  if (p.QuotaBlock != 0) ExDereferenceQuotaBlock(p.QuotaBlock);
  ExFreePoolWithTag(process, PROCESS_TAG);
  ExReturnPoolQuota(creatorBlock, 0, creatorCharge);
}

/** The running thread's process (the System process for kernel threads). */
export function PsGetCurrentProcess(): usize {
  const t = changetype<KTHREAD>(KeCurrentThread);
  const p = t.AttachedProcess != 0 ? t.AttachedProcess : t.Process; // NT: the process whose address space is current
  return p != 0 ? p : PsInitialSystemProcess;
}

/**
 * A new EPROCESS (one reference) on the active list. Its primary token is a
 * copy of `parent`'s, by default of the creating thread's process (the
 * System process for the boot's own processes); none before tokens exist.
 */
function PspAllocateProcess(name: usize, nameLength: u32, parent: usize = 0): usize {
  if (parent == 0) parent = PspCreatorProcess();
  const parentToken = parent != 0 ? changetype<EPROCESS>(parent).Token : 0;
  let token: usize = 0;
  if (parentToken != 0) {
    token = SeCopyPrimaryToken(parentToken);
    if (token == 0) return 0;
  }
  // Its descriptor: the creating process's token's defaults (NT: the creator's, not the parent's).
  const creatorProcess = PspCreatorProcess();
  const sd = creatorProcess != 0 ? SeDefaultSecurityDescriptor(changetype<EPROCESS>(creatorProcess).Token) : 0;
  // The creator pays for the EPROCESS (the System process and the boot's own are the System's, unlimited).
  const creatorBlock = PsInitialSystemProcess != 0 ? changetype<EPROCESS>(creatorProcess).QuotaBlock : 0;
  if (ExChargePoolQuota(creatorBlock, 0, PROCESS_QUOTA_CHARGE) != STATUS_SUCCESS) { if (token != 0) SeDereferenceToken(token); if (sd != 0) ExFreeSecurityDescriptor(sd); return 0; }
  const quota = PspQuotaBlockForNewProcess(creatorProcess);
  const process = quota != 0 ? ExAllocatePoolWithTag(NonPagedPool, EPROCESS_SIZE, PROCESS_TAG) : 0;
  if (process == 0) {
    if (quota != 0) ExDereferenceQuotaBlock(quota);
    ExReturnPoolQuota(creatorBlock, 0, PROCESS_QUOTA_CHARGE);
    if (token != 0) SeDereferenceToken(token);
    if (sd != 0) ExFreeSecurityDescriptor(sd);
    return 0;
  }
  KeInitializeDispatcherHeader(process, ProcessObject);
  InitializeListHead(process + EPROCESS_THREAD_LIST);
  InitializeListHead(process + EPROCESS_VAD_LIST);
  const p = changetype<EPROCESS>(process);
  p.BasePriority = 8;
  p.References = 1;
  p.Token = token;
  p.SecurityDescriptor = sd;
  p.QuotaBlock = quota;
  p.CreatorQuotaBlock = creatorBlock;
  p.CreatorQuotaCharge = creatorBlock != 0 ? PROCESS_QUOTA_CHARGE : 0;
  p.InheritedFromUniqueProcessId = parent != 0 ? changetype<EPROCESS>(parent).UniqueProcessId : 0;
  ObInheritDeviceMap(process + EPROCESS_DEVICE_MAP, parent != 0 ? changetype<EPROCESS>(parent).DeviceMap : 0);
  // The session is the creating process's (NT: MiSessionAddProcess), whoever the parent is.
  const creator = PspCreatorProcess();
  PspSessionAddProcess(process, creator != 0 ? changetype<EPROCESS>(creator).Session : 0);
  if (token != 0) changetype<TOKEN>(token).SessionId = p.SessionId;
  const now = KeQuerySystemTime();
  p.CreateTimeLow = <u32>now;
  p.CreateTimeHigh = <u32>(now >>> 32);
  const f = KeAcquireDispatcherLock(); // the list every process creation and end changes
  if (load<usize>(PsActiveProcessHead) == 0) InitializeListHead(PsActiveProcessHead);
  InsertTailList(PsActiveProcessHead, process + EPROCESS_ACTIVE_LINKS);
  KeReleaseDispatcherLock(f);
  for (let i: u32 = 0; i < nameLength && i < 15; i++) store<u8>(process + EPROCESS_IMAGE_NAME + i, load<u8>(name + i));
  return process;
}

/**
 * The quota block a new process uses (NT's EPROCESS->QuotaBlock), one
 * reference: its creator's, so a process cannot escape its limits by
 * making more processes (every process a program starts, and theirs, draw
 * on one block). The System process has an unlimited block of its own, as
 * NT's PspDefaultQuotaBlock is the system's; each process the System makes
 * (smss, the boot's own modules: the roots of the process trees) gets a new
 * block at the default limits. 0 without pool.
 */
function PspQuotaBlockForNewProcess(creator: usize): usize {
  if (PsInitialSystemProcess == 0) return ExCreateQuotaBlock(QUOTA_UNLIMITED, QUOTA_UNLIMITED);
  const shared = creator != PsInitialSystemProcess ? changetype<EPROCESS>(creator).QuotaBlock : 0;
  if (shared == 0) return ExCreateQuotaBlock(QUOTA_DEFAULT_PAGED_LIMIT, QUOTA_DEFAULT_NONPAGED_LIMIT);
  ExReferenceQuotaBlock(shared);
  return shared;
}

/** A new address space for `process`: the kernel half with its session's PDEs. 0 when out of memory. */
export function PspCreateAddressSpace(process: usize): u32 {
  const pd = MmCreateProcessAddressSpace();
  const session = changetype<EPROCESS>(process).Session;
  if (pd != 0 && session != 0) MmSessionSetDirectory(pd, session);
  return pd;
}

/** The process a new process inherits from when none is named: the current thread's own (not one it is attached to). */
function PspCreatorProcess(): usize {
  const own = KeCurrentThread != 0 ? changetype<KTHREAD>(KeCurrentThread).Process : 0;
  return own != 0 ? own : PsInitialSystemProcess;
}

/** A new process named like `parent` (its image file's name too), with the next process id and a copy of its token (no address space, threads or handles yet). */
export function PspAllocateProcessLike(parent: usize): usize {
  const process = PspAllocateProcessNamed(parent + EPROCESS_IMAGE_NAME, parent);
  const path = changetype<EPROCESS>(parent).ImageFilePath;
  if (process != 0 && path != 0) PsSetProcessImageFilePath(process, path + 4, load<u32>(path));
  return process;
}

/**
 * Gives `process` a pool copy of its image file's full NT name (`bytes` of
 * UTF-16 at `text`); without pool it has none (ProcessImageFileName is empty).
 */
export function PsSetProcessImageFilePath(process: usize, text: usize, bytes: u32): void {
  const p = changetype<EPROCESS>(process);
  if (p.ImageFilePath != 0) { ExFreePoolWithTag(p.ImageFilePath, IMAGE_PATH_TAG); p.ImageFilePath = 0; }
  const copy = ExAllocatePoolWithTag(NonPagedPool, 4 + bytes, IMAGE_PATH_TAG);
  if (copy == 0) return;
  store<u32>(copy, bytes);
  memory.copy(copy + 4, text, bytes);
  p.ImageFilePath = copy;
}

/**
 * A new process named by the NUL-terminated ASCII name at `name` (15
 * characters at most), with the next id and a copy of `parent`'s token
 * (0: the creating process's).
 */
export function PspAllocateProcessNamed(name: usize, parent: usize = 0): usize {
  let length: u32 = 0;
  while (length < 15 && load<u8>(name + length) != 0) length++;
  const process = PspAllocateProcess(name, length, parent);
  if (process == 0) return 0;
  changetype<EPROCESS>(process).UniqueProcessId = PspNewProcessId();
  return process;
}

/** The region list of the process a handle names (the current one, -1, for now); 0 for a bad handle or the System process. */
function PspVadListFromHandle(handle: u32): usize {
  if (handle != NtCurrentProcess) return 0;
  const process = PsGetCurrentProcess();
  return process == PsInitialSystemProcess ? 0 : process + EPROCESS_VAD_LIST;
}

/** The current process's device map for Ob's "\??" (0: the system one). */
function PspCurrentDeviceMap(): usize {
  const process = PsGetCurrentProcess();
  return process != 0 ? changetype<EPROCESS>(process).DeviceMap : 0;
}

/**
 * The quota block the running thread's pool charges go to: its own
 * process's (not one it is attached to; NT charges PsGetCurrentProcess, the
 * same for a thread that is not attached), the System's for kernel threads.
 */
function PspCurrentQuotaBlock(): usize {
  return changetype<EPROCESS>(PspCreatorProcess()).QuotaBlock;
}
/** The quota block of the process whose region list is at `head` (every list is an EPROCESS's). */
function PspVadListQuotaBlock(head: usize): usize {
  return changetype<EPROCESS>(head - EPROCESS_VAD_LIST).QuotaBlock;
}

/**
 * Phase 1: the System process (pid 4) and the switch hook. (What Ke calls on
 * a user-mode exception is registered by PsInitializeExceptionRoutines, ps/psexit.ts.)
 */
export function PsInitializeSystem(): void {
  const name = memory.data<u8>([0x53, 0x79, 0x73, 0x74, 0x65, 0x6D]); // "System"
  PsInitialSystemProcess = PspAllocateProcess(name, 6);
  const p = changetype<EPROCESS>(PsInitialSystemProcess);
  p.UniqueProcessId = 4;
  p.DirectoryTableBase = MmKernelDirectory;
  PsInitializeSessionZero(PsInitialSystemProcess, MmKernelDirectory); // "ps: session 0: ..."
  // The System process's handles are the kernel's (the table current since ObInitSystem).
  PspKernelHandleTable = ObSwitchHandleTable(0);
  ObSwitchHandleTable(PspKernelHandleTable);
  p.ObjectTable = PspKernelHandleTable;
  // The thread running phase 1 is the System process's first thread.
  changetype<KTHREAD>(KeCurrentThread).Process = PsInitialSystemProcess;
  InsertTailList(PsInitialSystemProcess + EPROCESS_THREAD_LIST, KeCurrentThread + KTHREAD_THREAD_LINKS);
  p.ActiveThreads = 1;
  // Every switch from now on loads the new thread's address space, handle table, kernel stack and TEB (ke/thread.ts).
  KeEnableProcessSwitch(MmKernelDirectory, offsetof<EPROCESS>("ObjectTable"), PspKernelHandleTable, ObCurrentHandleTableCell);
  KeSetThreadFreeHook(PspThreadFreed);
  MmSetProcessLookup(PspVadListFromHandle);
  ExSetProcessInformationRoutine(PsQuerySystemProcessInformation); // NtQuerySystemInformation(SystemProcessInformation) (ps/pssysinfo.ts)
  KeSetProcessLogRoutine(PsLogBeginForCurrentProcess); // NtDisplayString's and the serial device's lines (ke/log.ts)
  MmSetProcessRoutines(PsReferenceProcessByHandle, PsDereferenceProcess, PsGetCurrentProcess, PsProcessHasEnded); // Mm's services on another process (mm/mmproc.ts)
  ExSetQuotaBlockRoutine(PspCurrentQuotaBlock); // ex/quota.ts: who pays for pool a call allocates
  MmSetVadQuotaRoutine(PspVadListQuotaBlock);   // and for a process's regions: the process
  ObSetCurrentDeviceMapRoutine(PspCurrentDeviceMap);
  KeLog("ps", "System process (pid 4)");
}

// ---- boot modules ----

/** Boot modules the linker put in the image. */
export function PsBootModuleCount(): u32 { return load<u32>(boot_modules()); }

/**
 * Creates a user process from the boot module at table `entry` with one
 * thread, ready to run. Returns the process, or 0 (logged) on failure.
 */
function PspCreateFromEntry(entry: usize, nameAddress: usize): usize {
  const priority: u32 = 8;
  const name = nameAddress;
  const image = <usize>load<u32>(entry, 4);
  const size = load<u32>(entry, 8);
  if (size < 28 || load<u32>(image) != UIMG_MAGIC || load<u32>(image, 12) != size) { PspLogFailure(name, STATUS_INVALID_IMAGE_FORMAT); return 0; }
  const base = <usize>load<u32>(image, 4), start = <usize>load<u32>(image, 8);
  const dataFirst = <usize>load<u32>(image, 16), dataEnd = <usize>load<u32>(image, 20);
  let stackBytes = load<u32>(image, 24);
  if (stackBytes < 65536) stackBytes = 65536;
  let nameLength: u32 = 0;
  while (nameLength < 15 && load<u8>(nameAddress + nameLength) != 0) nameLength++;
  const process = PspAllocateProcess(nameAddress, nameLength);
  if (process == 0) { PspLogFailure(name, STATUS_INSUFFICIENT_RESOURCES); return 0; }
  const p = changetype<EPROCESS>(process);
  p.UniqueProcessId = PspNewProcessId();
  const pd = PspCreateAddressSpace(process);
  p.DirectoryTableBase = pd;
  p.ObjectTable = ObCreateHandleTable(p.QuotaBlock);
  const stackBottom = USER_STACK_TOP - stackBytes;
  let ok = pd != 0 && p.ObjectTable != 0
    && MmCommitUserPages(pd, base, size, true) && MmCopyToUser(pd, base, image, size)
    && (dataEnd <= dataFirst || MmCommitUserPages(pd, dataFirst, <u32>(dataEnd - dataFirst), true))
    && MmCommitUserPages(pd, stackBottom, stackBytes, true)
    && MmCommitUserPages(pd, PEB_ADDRESS, 4096, true)
    && MmCommitUserPages(pd, TEB_ADDRESS, 4096, true);
  const vads = process + EPROCESS_VAD_LIST;
  ok = ok && MmInsertVad(vads, base, (base + size + 4095) & ~4095, PAGE_EXECUTE_READWRITE, MEM_IMAGE)
    && (dataEnd <= dataFirst || MmInsertVad(vads, dataFirst, dataEnd, PAGE_READWRITE, MEM_PRIVATE))
    && MmInsertVad(vads, stackBottom, USER_STACK_TOP, PAGE_READWRITE, MEM_PRIVATE)
    && MmInsertVad(vads, TEB_ADDRESS, TEB_ADDRESS + 4096, PAGE_READWRITE, MEM_PRIVATE)
    && MmInsertVad(vads, PEB_ADDRESS, PEB_ADDRESS + 4096, PAGE_READWRITE, MEM_PRIVATE);
  if (!ok) {
    if (p.ObjectTable != 0) ObDestroyHandleTable(p.ObjectTable);
    MmDeleteVads(vads);
    if (pd != 0) MmDeleteProcessAddressSpace(pd);
    PspRemoveActiveProcess(process);
    PspDereferenceProcess(process); // never alive: gone, with its token
    PspLogFailure(name, STATUS_INSUFFICIENT_RESOURCES);
    return 0;
  }
  // PEB: +0x08 ImageBaseAddress. TEB: NT_TIB (ExceptionList, StackBase, StackLimit), Self, ClientId, PEB.
  const block = KeAllocateScratch(64); // zeroed
  store<u32>(block, <u32>base, 0x08);
  MmCopyToUser(pd, PEB_ADDRESS, block, 16);
  p.Peb = PEB_ADDRESS;
  const thread = KeCreateThread(process, changetype<(c: usize) => void>(0), 0, priority);
  if (thread != 0) PspAttachThreadToProcess(thread, process);
  if (thread == 0) { KeFreeScratch(block); MmDeleteProcessAddressSpace(pd); PspRemoveActiveProcess(process); PspDereferenceProcess(process); PspLogFailure(name, STATUS_INSUFFICIENT_RESOURCES); return 0; }
  const t = changetype<KTHREAD>(thread);
  memory.fill(block, 0, 64);
  store<u32>(block, 0xFFFFFFFF, 0x00);                     // ExceptionList: none
  store<u32>(block, <u32>USER_STACK_TOP, 0x04);            // StackBase
  store<u32>(block, <u32>(stackBottom + USER_STACK_GUARD), 0x08); // StackLimit (the wasm prologues' check)
  store<u32>(block, <u32>TEB_ADDRESS, 0x18);               // Self
  store<u32>(block, p.UniqueProcessId, 0x20);              // ClientId.UniqueProcess
  store<u32>(block, t.UniqueThread, 0x24);                 // ClientId.UniqueThread
  store<u32>(block, <u32>PEB_ADDRESS, 0x30);               // ProcessEnvironmentBlock
  MmCopyToUser(pd, TEB_ADDRESS, block, 0x34);
  KeFreeScratch(block);
  t.Teb = TEB_ADDRESS;
  p.TebSlots0 = 1;
  PspStartUserThread(thread, start, USER_STACK_TOP - 16);
  InsertTailList(process + EPROCESS_THREAD_LIST, thread + KTHREAD_THREAD_LINKS);
  p.ActiveThreads = 1;
  KeLogBegin("ps");
  KeLogString("process ");
  KeLogDecimal(p.UniqueProcessId);
  KeLogString(" (");
  PspLogShortName(process);
  KeLogString(") created: image at ");
  KeLogHex(<u32>base);
  KeLogString(", entry ");
  KeLogHex(<u32>start);
  KeLogEnd();
  KeReadyThread(thread);
  KeDereferenceThread(thread); // the process's thread list keeps it; its end frees it
  return process;
}

/** The length of the image name without its extension ("smss" for smss.exe): the process's log component. */
function PspShortNameLength(process: usize): u32 {
  let i: u32 = 0;
  for (; i < 15; i++) {
    const c = load<u8>(process + EPROCESS_IMAGE_NAME + i);
    if (c == 0 || c == 0x2E) break;
  }
  return i;
}
/** Logs the process's short image name ("smss"). */
export function PspLogShortName(process: usize): void { KeLogAsciiz(process + EPROCESS_IMAGE_NAME, PspShortNameLength(process)); }
/** The full image name (NUL-terminated ASCII, at most 15 characters). */
export function PsImageFileName(process: usize): usize { return process + EPROCESS_IMAGE_NAME; }

function PspLogFailure(name: usize, status: u32): void {
  KeLogBegin("ps");
  KeLogString("cannot start ");
  KeLogAsciiz(name, 32);
  KeLogString(": status ");
  KeLogHex(status);
  KeLogEnd();
}

/**
 * Builds a user thread's first kernel stack: a KTRAP_FRAME for ring 3 at the
 * top, and swap_context's frame below it returning into the interrupt exit.
 */
export function PspStartUserThread(thread: usize, entry: usize, userStack: usize): void {
  const t = changetype<KTHREAD>(thread);
  const size = <usize>offsetof<KTRAP_FRAME>();
  const frame = t.InitialStack - size;
  memory.fill(frame, 0, size);
  const f = changetype<KTRAP_FRAME>(frame);
  f.SegGs = 0;
  f.SegFs = KGDT_R3_TEB | RPL_USER;   // the TEB
  f.SegEs = KGDT_R3_DATA | RPL_USER;
  f.SegDs = KGDT_R3_DATA | RPL_USER;
  f.Eip = <u32>entry;
  f.SegCs = KGDT_R3_CODE | RPL_USER;
  f.EFlags = 0x202;                   // IF
  f.HardwareEsp = <u32>userStack;
  f.HardwareSegSs = KGDT_R3_DATA | RPL_USER;
  t.TrapFrame = frame;
  const sp = frame - 32;
  memory.fill(sp, 0, 32);
  store<usize>(sp, trap_exit(), 16);
  t.SavedEsp = sp;
}

// ---- TEBs ----

/** TEB pages: at most 64 per process, reused as threads come and go. */
export const PSP_MAX_TEBS: u32 = 64;

/** Takes a free TEB slot; returns its address, or 0 when all 64 are in use. */
export function PspAllocateTeb(process: usize): usize {
  const p = changetype<EPROCESS>(process);
  const f = KeAcquireDispatcherLock(); // two threads of the process may create threads at once: one slot each
  for (let k: u32 = 1; k < PSP_MAX_TEBS; k++) {
    const used = k < 32 ? (p.TebSlots0 >>> k) & 1 : (p.TebSlots1 >>> (k - 32)) & 1;
    if (used != 0) continue;
    if (k < 32) p.TebSlots0 |= 1 << k; else p.TebSlots1 |= 1 << (k - 32);
    KeReleaseDispatcherLock(f);
    return TEB_ADDRESS - k * 4096;
  }
  KeReleaseDispatcherLock(f);
  return 0;
}

/** Gives a thread's TEB slot back (the page stays committed for the next thread). */
export function PspFreeTeb(process: usize, teb: usize): void {
  if (teb == 0 || teb > TEB_ADDRESS) return;
  const k = <u32>((TEB_ADDRESS - teb) >>> 12);
  const p = changetype<EPROCESS>(process);
  const f = KeAcquireDispatcherLock();
  if (k < 32) p.TebSlots0 &= ~(1 << k); else if (k < PSP_MAX_TEBS) p.TebSlots1 &= ~(1 << (k - 32));
  KeReleaseDispatcherLock(f);
}

/** KTHREAD.CrossThreadFlags: the thread is critical (ThreadBreakOnTermination): its end stops the system. */
export const PS_CROSS_THREAD_FLAGS_BREAK_ON_TERMINATION: u32 = 0x00000400;
// ---- services ----

/** NtDelayExecution(Alertable, DelayInterval): sleeps; the interval is captured from user memory. */
export function NtDelayExecution(alertable: u32, interval: u32): u32 {
  const cell = KeAllocateScratch(8); // the interval, read once
  const ok = ProbeUserRange(interval, 8, 4) && ExCopyFromUser(cell, interval, 8);
  const due = load<i64>(cell);
  KeFreeScratch(cell);
  return ok ? KeDelayExecution(due, true) : STATUS_ACCESS_VIOLATION;
}

/** NtYieldExecution(): STATUS_NO_YIELD_PERFORMED when no other thread was ready. */
export function NtYieldExecution(): u32 {
  return KeYieldExecution() ? STATUS_SUCCESS : STATUS_NO_YIELD_PERFORMED;
}

/**
 * Starts every boot module as a user process (they take smss's place: see
 * psinit.ts) and waits for all of them to end.
 */
export function PsRunBootModules(): void {
  const count = PsBootModuleCount();
  if (count == 0) return;
  const table = boot_modules();
  const processes = memory.data(64 * 4, 4); // phase 1's own thread only, once: no other thread runs this
  const poolBefore = ExPoolBytesInUse;
  const pagesBefore = MmAvailablePages;
  let started: u32 = 0;
  for (let i: u32 = 0; i < count && started < 64; i++) {
    const name = <usize>load<u32>(table + 4 + i * 12);
    const process = PspCreateFromEntry(table + 4 + i * 12, name);
    if (process != 0) { PspReferenceProcess(process); store<usize>(processes + started * 4, process); started++; }
  }
  for (let i: u32 = 0; i < started; i++) KeWaitForSingleObject(load<usize>(processes + i * 4), 0);
  // Ended and waited for: drop the references phase 1 took.
  for (let i: u32 = 0; i < started; i++) PspDereferenceProcess(load<usize>(processes + i * 4));
  KeLogFormat3("ps", "boot processes ended: %u; pool in use %u bytes before them, %u after", started, poolBefore, ExPoolBytesInUse);
  // Own line, so the line above keeps its form: every page (shared ones too) must have come back.
  KeLogFormat2("ps", "free pages %u before them, %u after", pagesBefore, MmAvailablePages);
}

/** The current process's image name as a log component (for NtDisplayString). */
export function PsLogBeginForCurrentProcess(): void {
  const process = PsGetCurrentProcess();
  const name = KeAllocateScratch(16); // zeroed: the short name stays NUL-terminated
  memory.copy(name, process + EPROCESS_IMAGE_NAME, PspShortNameLength(process));
  KeLogBeginAsciiz(name);
  KeFreeScratch(name);
}
