// autochk's floor: the native services it calls from ntdll.dll, memory
// from NtAllocateVirtualMemory, sector reads and writes on an open volume
// handle, and its output: one line at a time through NtDisplayString,
// which the kernel turns into `autochk: ...` log lines on COM1 (the
// process's name), as Windows shows autochk's text on the boot screen.
//
// Everything is raw memory (no managed objects): the volume's FAT copies
// and the per-cluster owner table live in pages of their own.

@external("ntdll", "NtDisplayString") declare function NtDisplayString(text: usize): u32;
@external("ntdll", "NtAllocateVirtualMemory") declare function NtAllocateVirtualMemory(process: u32, base: usize, zeroBits: u32, size: usize, type: u32, protect: u32): u32;
@external("ntdll", "NtFreeVirtualMemory") declare function NtFreeVirtualMemory(process: u32, base: usize, size: usize, type: u32): u32;
@external("ntdll", "NtReadFile") declare function NtReadFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtWriteFile") declare function NtWriteFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize, buffer: usize, length: u32, offset: usize, key: usize): u32;
@external("ntdll", "NtOpenFile") export declare function NtOpenFile(file: usize, access: u32, oa: usize, iosb: usize, share: u32, options: u32): u32;
@external("ntdll", "NtFsControlFile") export declare function NtFsControlFile(file: u32, event: u32, apc: usize, context: usize, iosb: usize, code: u32, input: usize, inputLength: u32, output: usize, outputLength: u32): u32;
@external("ntdll", "NtFlushBuffersFile") export declare function NtFlushBuffersFile(file: u32, iosb: usize): u32;
@external("ntdll", "NtClose") export declare function NtClose(handle: u32): u32;
@external("ntdll", "RtlGetCurrentPeb") export declare function RtlGetCurrentPeb(): usize;

import { NT_SUCCESS, STATUS_SUCCESS } from "../../../kernel/sdk/ntstatus";
import { InitializeCountedString, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_READWRITE } from "../../../kernel/sdk/ntdef";

// ---- memory ----

const vmBase = memory.data(4, 4), vmSize = memory.data(4, 4);

/** `bytes` of zeroed memory (whole pages), or 0. */
export function AcAllocate(bytes: u32): usize {
  store<usize>(vmBase, 0);
  store<u32>(vmSize, bytes != 0 ? bytes : 1);
  if (!NT_SUCCESS(NtAllocateVirtualMemory(0xFFFFFFFF, vmBase, 0, vmSize, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE))) return 0;
  return load<usize>(vmBase);
}

export function AcFree(p: usize): void {
  if (p == 0) return;
  store<usize>(vmBase, p);
  store<u32>(vmSize, 0);
  NtFreeVirtualMemory(0xFFFFFFFF, vmBase, vmSize, MEM_RELEASE);
}

// ---- the volume's sectors ----

/** The open volume (a raw open of the partition) and its sector size. */
export let AcVolume: u32 = 0;
export let AcSectorSize: u32 = 512;
export let AcIoErrors: u32 = 0;
const iosb = memory.data(8, 4), offset = memory.data(8, 8);
/** The largest single transfer the I/O manager takes. */
const MAX_TRANSFER: u32 = 65536;

export function AcSetVolume(handle: u32, sectorSize: u32): void { AcVolume = handle; AcSectorSize = sectorSize; }

function AcTransfer(write: bool, sector: u32, count: u32, buffer: usize): u32 {
  let done: u32 = 0;
  const total = count * AcSectorSize;
  while (done < total) {
    let n = total - done;
    if (n > MAX_TRANSFER) n = MAX_TRANSFER;
    store<u64>(offset, <u64>sector * <u64>AcSectorSize + <u64>done);
    const status = write ? NtWriteFile(AcVolume, 0, 0, 0, iosb, buffer + done, n, offset, 0)
                         : NtReadFile(AcVolume, 0, 0, 0, iosb, buffer + done, n, offset, 0);
    if (!NT_SUCCESS(status)) { AcIoErrors++; return status; }
    done += n;
  }
  return STATUS_SUCCESS;
}

export function AcRead(sector: u32, count: u32, buffer: usize): u32 { return AcTransfer(false, sector, count, buffer); }
export function AcWrite(sector: u32, count: u32, buffer: usize): u32 { return AcTransfer(true, sector, count, buffer); }

// ---- output ----

const line = memory.data(1024, 4), ustr = memory.data(8, 4);
/** While set, lines are dropped (work whose findings were already reported). */
export let AcQuiet: bool = false;
export function AcSetQuiet(quiet: bool): void { AcQuiet = quiet; }
let length: u32 = 0;
const LINE_MAX: u32 = 500;

export function put(s: string): void {
  for (let i = 0; i < s.length && length < LINE_MAX; i++) { store<u16>(line + (length << 1), <u16>s.charCodeAt(i)); length++; }
}
export function putChar(c: u32): void {
  if (length < LINE_MAX) { store<u16>(line + (length << 1), <u16>c); length++; }
}
/** Appends `bytes` of WCHARs from `p`. */
export function putWide(p: usize, bytes: u32): void {
  for (let i: u32 = 0; i < bytes; i += 2) putChar(<u32>load<u16>(p + i));
}
export function putDec(v: u64): void {
  if (v >= 10) putDec(v / 10);
  putChar(48 + <u32>(v % 10));
}
/** A number as Windows prints byte counts: groups of three digits with commas, right-aligned in `width`. */
export function putCount(v: u64, width: u32): void {
  const digits = memory.data(32, 4);
  let n: u32 = 0, x = v;
  do {
    if (n % 4 == 3) store<u8>(digits + n++, 0x2C);
    store<u8>(digits + n++, 48 + <u32>(x % 10));
    x /= 10;
  } while (x != 0);
  for (let pad = n; pad < width; pad++) putChar(0x20);
  while (n > 0) putChar(<u32>load<u8>(digits + --n));
}
export function putHex(v: u32, digits: u32): void {
  for (let i = <i32>digits - 1; i >= 0; i--) { const d = (v >>> (<u32>i << 2)) & 15; putChar(d < 10 ? 48 + d : 55 + d); }
}
/** Shows the line (an empty one is not shown: the log has no blank lines) and starts a new one. */
export function flush(): void {
  if (length == 0) return;
  if (AcQuiet) { length = 0; return; }
  InitializeCountedString(ustr, line, length << 1, length << 1);
  NtDisplayString(ustr);
  length = 0;
}
/** One whole line. */
export function say(s: string): void { put(s); flush(); }

// ---- the path of the entry being checked, for the messages ----

const path = memory.data(2 * 1024, 4);
let pathLength: u32 = 0; // WCHARs

/** The current path's length, to restore with AcPathTruncate. */
export function AcPathLength(): u32 { return pathLength; }
export function AcPathTruncate(n: u32): void { pathLength = n; }
/** Appends "\" and a component of `count` WCHARs at `p`. */
export function AcPathPush(p: usize, count: u32): void {
  if (pathLength < 1000) { store<u16>(path + (pathLength << 1), 0x5C); pathLength++; }
  for (let i: u32 = 0; i < count && pathLength < 1000; i++) { store<u16>(path + (pathLength << 1), load<u16>(p + (i << 1))); pathLength++; }
}
export function putPath(): void {
  if (pathLength == 0) putChar(0x5C);
  else putWide(path, pathLength << 1);
}
