// The system DLL: \SystemRoot\System32\ntdll.dll, mapped into every process
// made from an image, as NT does. Its LdrInitializeThunk is where every
// user thread of such a process starts: the kernel puts a copy of the
// thread's CONTEXT on its stack and enters LdrInitializeThunk(Context,
// NtdllBase) (NT's first user-mode APC, without the APC), which loads what
// the process needs and then continues into the context with NtContinue.
//
// The DLL is read once, at boot (PsInitializeSystemDll), into an image
// section that every process shares; its export table is searched for
// LdrInitializeThunk with every table access checked against the image.
// Without the file (or without that export) processes still run, their
// threads starting at their own addresses; the log says which.

import { ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../ex/pool";
import { KeAllocateScratch, KeFreeScratch } from "../ke/thread";
import { KeBenchmarkMark } from "../ke/loader";
import { KeLogBegin, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "../ke/log";
import { RtlInitUnicodeString } from "../rtl/unicode";
import { InitializeObjectAttributes, SYNCHRONIZE } from "../ob/obp";
import { ObCloseHandle, ObReferenceObjectByHandle } from "../ob/obhandle";
import { NtOpenFile } from "../io/create";
import { IoSystemVolumeMounted } from "../io/iosys";
import { MmSectionObjectType, NtCreateSection } from "../mm/section";
import { MmImageInformation, MmMapImageView, MmReadImage, SIZEOF_SECTION_IMAGE_INFORMATION } from "../mm/image";
import { MmCopyToUser } from "../mm/procmm";
import { EPROCESS, EPROCESS_VAD_LIST } from "./psmain";
import { KeStackAttachProcess, KeUnstackDetachProcess } from "../ke/attach";
import { CONTEXT } from "../sdk/context";
import { IMAGE_DATA_DIRECTORY, IMAGE_DOS_HEADER, IMAGE_EXPORT_DIRECTORY, IMAGE_NT_HEADERS32, IMAGE_OPTIONAL_HEADER32 } from "../sdk/pe";
import { NT_SUCCESS, STATUS_IMAGE_NOT_AT_BASE, STATUS_SUCCESS } from "../sdk/ntstatus";
import { OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE } from "../sdk/ntdef";

/** The image section of ntdll.dll (referenced for good), or 0. */
export let PspSystemDllSection: usize = 0;
/** Where LdrInitializeThunk is when ntdll.dll is at its base, or 0. */
export let PspLdrInitializeThunk: usize = 0;
/** Where KiUserExceptionDispatcher is when ntdll.dll is at its base (NT's KeUserExceptionDispatcher), or 0. */
let PspUserExceptionDispatcher: usize = 0;
let PspSystemDllBase: usize = 0;

const SYSTEM_DLL: string = "\\SystemRoot\\System32\\ntdll.dll";
const THUNK_NAME: string = "LdrInitializeThunk";
const DISPATCHER_NAME: string = "KiUserExceptionDispatcher";

/** The RVA of the export `name` (ASCII) of an image section, or 0; every read checked against the image. */
function PspFindExport(section: usize, name: string): u32 {
  const block = memory.data(64, 4); // phase 1 only (PsInitializeSystemDll), before any user process

  if (!MmReadImage(section, <u32>offsetof<IMAGE_DOS_HEADER>("e_lfanew"), block, 4)) return 0;
  const nt = load<u32>(block);
  // NumberOfRvaAndSizes and DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT] of the optional header.
  const optional = nt + <u32>offsetof<IMAGE_NT_HEADERS32>("OptionalHeader_Magic");
  if (!MmReadImage(section, optional + <u32>offsetof<IMAGE_OPTIONAL_HEADER32>("NumberOfRvaAndSizes"), block, 12)) return 0;
  if (load<u32>(block) == 0) return 0; // no directories
  const directory = changetype<IMAGE_DATA_DIRECTORY>(block + 4).VirtualAddress;
  if (directory == 0 || !MmReadImage(section, directory, block, <u32>offsetof<IMAGE_EXPORT_DIRECTORY>())) return 0;
  const exports = changetype<IMAGE_EXPORT_DIRECTORY>(block);
  const functions = exports.NumberOfFunctions, names = exports.NumberOfNames;
  const functionTable = exports.AddressOfFunctions, nameTable = exports.AddressOfNames, ordinalTable = exports.AddressOfNameOrdinals;
  const wanted = <u32>name.length;
  const text = memory.data(64, 4);
  // The name table is sorted by byte value (the loader's binary search, as NT's): a binary search here too.
  let low: i32 = 0, high: i32 = <i32>names - 1;
  while (low <= high) {
    const i = <u32>(low + high) >>> 1;
    if (!MmReadImage(section, nameTable + (i << 2), block, 4)) return 0;
    if (!MmReadImage(section, load<u32>(block), text, wanted + 1)) return 0; // a name at the image's very end: not ours
    let c: i32 = 0;
    for (let k: u32 = 0; c == 0 && k <= wanted; k++) {
      const want = k < wanted ? <i32>name.charCodeAt(k) : 0;
      c = <i32>load<u8>(text + k) - want;
    }
    if (c < 0) { low = <i32>i + 1; continue; }
    if (c > 0) { high = <i32>i - 1; continue; }
    if (!MmReadImage(section, ordinalTable + (i << 1), block, 2)) return 0;
    const index = <u32>load<u16>(block);
    if (index >= functions || !MmReadImage(section, functionTable + (index << 2), block, 4)) return 0;
    return load<u32>(block);
  }
  return 0;
}

/** Phase 1, after the registry: reads ntdll.dll into its image section and finds LdrInitializeThunk. */
export function PsInitializeSystemDll(): void {
  if (!IoSystemVolumeMounted) return;
  // Phase 1's thread only, before any user process exists: a module buffer is safe.
  const block = memory.data(64, 4); // +0 UNICODE_STRING, +8 OBJECT_ATTRIBUTES, +32 file, +36 section, +40 IO_STATUS_BLOCK
  RtlInitUnicodeString(block, SYSTEM_DLL);
  InitializeObjectAttributes(block + 8, block, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, 0, 0);
  let status = NtOpenFile(block + 32, 0x80000000 | 0x20000000 | SYNCHRONIZE, block + 8, block + 40, 1, 0x20 | 0x40);
  if (!NT_SUCCESS(status)) {
    KeLogFormat2("ps", "no %s (status %x): threads of image processes start at their own addresses", changetype<usize>(SYSTEM_DLL), status);
    return;
  }
  InitializeObjectAttributes(block + 8, 0, OBJ_KERNEL_HANDLE, 0, 0);
  status = NtCreateSection(block + 36, 0xF001F, block + 8, 0, 0x10, 0x1000000, load<u32>(block, 32));
  ObCloseHandle(load<u32>(block, 32));
  if (!NT_SUCCESS(status)) {
    KeLogFormat2("ps", "%s is not a usable image, status %x", changetype<usize>(SYSTEM_DLL), status);
    return;
  }
  status = ObReferenceObjectByHandle(load<u32>(block, 36), 0, MmSectionObjectType, block + 48, 0);
  ObCloseHandle(load<u32>(block, 36));
  if (!NT_SUCCESS(status)) return;
  const section = load<usize>(block, 48);
  const info = MmImageInformation(section);
  const base = <usize>load<u32>(info + SIZEOF_SECTION_IMAGE_INFORMATION);
  const thunk = PspFindExport(section, THUNK_NAME);
  PspSystemDllSection = section;
  PspSystemDllBase = base;
  PspLdrInitializeThunk = thunk != 0 ? base + thunk : 0;
  const dispatcher = PspFindExport(section, DISPATCHER_NAME);
  PspUserExceptionDispatcher = dispatcher != 0 ? base + dispatcher : 0;
  KeLogBegin("ps");
  KeLogString(SYSTEM_DLL);
  KeLogString(": mapped into every image process at ");
  KeLogHex(<u32>base);
  if (thunk != 0) { KeLogString(", threads start at LdrInitializeThunk "); KeLogHex(<u32>(base + thunk)); }
  else KeLogString("; it exports no LdrInitializeThunk: threads start at their own addresses");
  KeLogEnd();
  KeLogBegin("ps");
  if (dispatcher != 0) { KeLogString("user-mode exceptions go to KiUserExceptionDispatcher "); KeLogHex(<u32>(base + dispatcher)); }
  else KeLogString("ntdll.dll exports no KiUserExceptionDispatcher: a user-mode exception ends its process");
  KeLogEnd();
}

let PspMappedOnce = false; // npm run bench marks the first process's mapping (0x16 to 0x17)
/** Maps ntdll.dll into a new process at its base (NT: the same address in every process). */
export function PspMapSystemDll(process: usize): u32 {
  if (PspSystemDllSection == 0) return STATUS_SUCCESS;
  const first = !PspMappedOnce;
  PspMappedOnce = true;
  if (first) KeBenchmarkMark(0x16);
  const view = KeAllocateScratch(8); // base, size: this call's own (processes are made by several threads at once)
  KeStackAttachProcess(process);
  let status = MmMapImageView(PspSystemDllSection, process + EPROCESS_VAD_LIST, PspSystemDllBase, 0, 0, view, view + 4, 0);
  KeUnstackDetachProcess();
  if (status == STATUS_IMAGE_NOT_AT_BASE) status = STATUS_SUCCESS; // asked at the base: only the base is given
  if (NT_SUCCESS(status)) changetype<EPROCESS>(process).SystemDllBase = load<usize>(view);
  KeFreeScratch(view);
  if (first) KeBenchmarkMark(0x17);
  return status;
}

const CONTEXT_SIZE: u32 = <u32>offsetof<CONTEXT>();

/** Where `process`'s exceptions go in user mode: its ntdll's KiUserExceptionDispatcher, or 0 (no ntdll, or no such export). */
export function PsUserExceptionDispatcher(process: usize): usize {
  const p = changetype<EPROCESS>(process);
  if (p.SystemDllBase == 0 || PspUserExceptionDispatcher == 0) return 0;
  return PspUserExceptionDispatcher + (p.SystemDllBase - PspSystemDllBase);
}

/**
 * Where a new thread of `process` starts: for a process with ntdll.dll,
 * LdrInitializeThunk, with a copy of `context` (kernel memory) and the
 * arguments (Context, NtdllBase) pushed on the thread's stack below `esp`;
 * the new stack pointer goes to `espOut`. Returns 0 when the thread starts
 * at its own address (no ntdll, or the stack cannot be written).
 */
export function PspSystemDllStart(process: usize, context: usize, esp: usize, espOut: usize): usize {
  const p = changetype<EPROCESS>(process);
  if (p.SystemDllBase == 0 || PspLdrInitializeThunk == 0) return 0;
  const record = (esp - CONTEXT_SIZE) & ~15;
  const frame = ExAllocatePoolWithTag(NonPagedPool, 12, 0x6B6E6854); // 'Thnk'
  if (frame == 0) return 0;
  store<u32>(frame, 0);                    // return address: LdrInitializeThunk never returns
  store<u32>(frame + 4, <u32>record);      // Context
  store<u32>(frame + 8, <u32>p.SystemDllBase); // SystemArgument1: where ntdll is
  const ok = MmCopyToUser(p.DirectoryTableBase, record, context, CONTEXT_SIZE)
          && MmCopyToUser(p.DirectoryTableBase, record - 12, frame, 12);
  ExFreePoolWithTag(frame, 0x6B6E6854);
  if (!ok) return 0;
  store<usize>(espOut, record - 12);
  return PspLdrInitializeThunk + (p.SystemDllBase - PspSystemDllBase);
}
