// The loader block: what the boot loader tells the kernel, read once.
//
// The kernel is booted as a multiboot v1 image (by v86, QEMU or GRUB). The
// loader leaves EAX = MULTIBOOT_BOOTLOADER_MAGIC and EBX = the physical
// address of its information block; the entry stub passes both on to
// KiSystemStartup. KiInitializeLoaderBlock checks the magic and keeps
// kernel-virtual pointers to the parts later phases use: the command line
// and the memory map (read by mm/mminit.ts).
//
//   multiboot info:  +0 flags  +4 mem_lower (KiB)  +8 mem_upper (KiB)
//                    +16 cmdline (physical, C string)      flags bit 2
//                    +44 mmap_length  +48 mmap_addr (phys)  flags bit 6
//
// Physical memory is visible at KSEG0_BASE + physical address: the entry
// stub maps virtual 0x80000000-0x8FFFFFFF to physical 0-256 MiB.

import { KeBugCheckEx, PHASE0_INITIALIZATION_FAILED } from "./bugcheck";
import { KeLogAsciiz, KeLogBegin, KeLogCharacter, KeLogEnd, KeLogHex, KeLogString, KeLogFormat1, KeLogFormat2 } from "./log";
import { RTL_ASCIIZ_MAX, RtlAsciizHasWord, RtlAsciizLength } from "../rtl/ascii";
import { outb } from "../sdk/intrinsics";

/** Virtual address of physical address 0 (the entry stub's kernel window). */
export const KSEG0_BASE: usize = 0x80000000;
/** Bytes of physical memory the kernel window covers. */
export const KSEG0_SIZE: u32 = 0x10000000;

/** EAX from a multiboot v1 loader. */
export const MULTIBOOT_BOOTLOADER_MAGIC: u32 = 0x2BADB002;

const MB_INFO_FLAGS: u32 = 0;        // which fields below are valid
const MB_INFO_MEM_LOWER: u32 = 4;    // KiB of memory from 0 (flags bit 0)
const MB_INFO_MEM_UPPER: u32 = 8;    // KiB of memory from 1 MiB (flags bit 0)
const MB_INFO_CMDLINE: u32 = 16;     // physical address of the command line (flags bit 2)
const MB_INFO_MMAP_LENGTH: u32 = 44; // bytes of memory map (flags bit 6)
const MB_INFO_MMAP_ADDR: u32 = 48;   // physical address of the memory map (flags bit 6)

const MB_FLAG_MEMORY: u32 = 1 << 0;  // mem_lower and mem_upper are valid
const MB_FLAG_CMDLINE: u32 = 1 << 2; // cmdline is valid
const MB_FLAG_MMAP: u32 = 1 << 6;    // mmap_length and mmap_addr are valid

/** Phase 0 step reported in p1 when the loader is not multiboot. */
const PHASE0_STEP_LOADER: u32 = 1;

/** The loader block, filled by KiInitializeLoaderBlock. */
@unmanaged export class LOADER_PARAMETER_BLOCK {
  /** Multiboot flags. */
  Flags: u32;
  /** KiB of conventional and of extended memory (0 when not given). */
  MemoryLowerKiB: u32;
  MemoryUpperKiB: u32;
  /** Virtual address of the command line, 0 when none. */
  CommandLine: usize;
  /** Virtual address and length in bytes of the multiboot memory map, 0 when none. */
  MemoryMap: usize;
  MemoryMapLength: u32;
}

/** The one loader block. */
export const KeLoaderBlock: usize = memory.data(offsetof<LOADER_PARAMETER_BLOCK>(), 4);

/** The kernel-virtual address of physical address `physical`. */
@inline export function KiPhysicalToVirtual(physical: u32): usize {
  return KSEG0_BASE + <usize>physical;
}

/** Checks the loader's magic and records the multiboot information. */
export function KiInitializeLoaderBlock(magic: u32, multibootInfo: u32): void {
  const block = changetype<LOADER_PARAMETER_BLOCK>(KeLoaderBlock);
  if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
    KeLogFormat1("ke", "not started by a multiboot loader: magic %x", magic);
    KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, PHASE0_STEP_LOADER, magic, multibootInfo, 0);
  }
  const info = KiPhysicalToVirtual(multibootInfo);
  const flags = load<u32>(info + MB_INFO_FLAGS);
  block.Flags = flags;
  if ((flags & MB_FLAG_MEMORY) != 0) {
    block.MemoryLowerKiB = load<u32>(info + MB_INFO_MEM_LOWER);
    block.MemoryUpperKiB = load<u32>(info + MB_INFO_MEM_UPPER);
  }
  if ((flags & MB_FLAG_CMDLINE) != 0) block.CommandLine = KiPhysicalToVirtual(load<u32>(info + MB_INFO_CMDLINE));
  if ((flags & MB_FLAG_MMAP) != 0) {
    block.MemoryMap = KiPhysicalToVirtual(load<u32>(info + MB_INFO_MMAP_ADDR));
    block.MemoryMapLength = load<u32>(info + MB_INFO_MMAP_LENGTH);
  }
  KeLogFormat2("ke", "multiboot information at %x, flags %x", multibootInfo, flags);
  KeLogBegin("ke");
  KeLogString("command line \"");
  if (block.CommandLine != 0) KeLogAsciiz(block.CommandLine, RTL_ASCIIZ_MAX);
  KeLogCharacter(0x22); // '"'
  KeLogEnd();
}

/** True when the command line holds `option` as a whole word (e.g. "poweroff"). */
export function KeCommandLineHasOption(option: string): bool {
  const block = changetype<LOADER_PARAMETER_BLOCK>(KeLoaderBlock);
  return block.CommandLine != 0 && RtlAsciizHasWord(block.CommandLine, option);
}

// ---- benchmark marks ----
//
// With the command-line word "benchmarks", KeBenchmarkMark writes its value
// to port 0xF5, where the harness records the guest instruction counter
// (emulator/node/boot.ts, marks): npm run bench brackets kernel work with
// them. Without the word nothing is written (QEMU's isa-debug-exit device
// covers 0xF4-0xF7).

let KiBenchmarkMarks: i32 = -1;

export function KeBenchmarkMark(value: u32): void {
  if (KiBenchmarkMarks < 0) KiBenchmarkMarks = KeCommandLineHasOption("benchmarks") ? 1 : 0;
  if (KiBenchmarkMarks != 0) outb(0xF5, value);
}

// ---- boot self-tests ----
//
// The product kernel carries no self-tests: kernel/main.ts calls
// KeRunBootSelfTests at three points of the boot, and the hook does nothing
// until the self-test kernel's entry (kernel/selftest.ts, built as
// build/ntoskrnl-selftest.bin) installs the tests with KeSetBootSelfTests.

/** The memory manager's tests (phase 0, after the address spaces). */
export const SELFTEST_MM: u32 = 0;
/** The object manager's tests (phase 0, after ObInitSystem). */
export const SELFTEST_OB: u32 = 1;
/** The dispatcher's tests (phase 1, first on the system thread). */
export const SELFTEST_KE: u32 = 2;
/** Session space's tests (phase 1, after the System process and session 0). */
export const SELFTEST_SESSION: u32 = 3;

function KiNoBootSelfTests(stage: u32): void {}
let KiBootSelfTests: (stage: u32) => void = KiNoBootSelfTests;

/** Installs the boot self-tests (the self-test kernel's entry does, before the boot). */
export function KeSetBootSelfTests(tests: (stage: u32) => void): void { KiBootSelfTests = tests; }

/** Runs the self-tests of `stage` (SELFTEST_*) when they are installed. */
export function KeRunBootSelfTests(stage: u32): void { KiBootSelfTests(stage); }

/**
 * The number in `name=NUMBER` on the command line (decimal, or hexadecimal
 * after 0x), or `fallback` when there is no such word or its number is bad.
 */
export function KeCommandLineOptionValue(name: string, fallback: u32): u32 {
  const block = changetype<LOADER_PARAMETER_BLOCK>(KeLoaderBlock);
  if (block.CommandLine == 0) return fallback;
  const line = block.CommandLine;
  const length = RtlAsciizLength(line, RTL_ASCIIZ_MAX);
  const nameLength = <u32>name.length;
  let start: u32 = 0;
  while (start < length) {
    while (start < length && <u32>load<u8>(line + start) <= 0x20) start++;
    let end = start;
    while (end < length && <u32>load<u8>(line + end) > 0x20) end++;
    if (end - start > nameLength + 1 && <u32>load<u8>(line + start + nameLength) == 0x3D) { // '='
      let same = true;
      for (let i: u32 = 0; i < nameLength; i++) {
        if (<u32>load<u8>(line + start + i) != <u32>name.charCodeAt(i)) { same = false; break; }
      }
      if (same) return KiParseNumber(line + start + nameLength + 1, end - start - nameLength - 1, fallback);
    }
    start = end;
  }
  return fallback;
}

function KiParseNumber(text: usize, length: u32, fallback: u32): u32 {
  let value: u32 = 0;
  let i: u32 = 0;
  const hex = length > 2 && load<u8>(text) == 0x30 && (load<u8>(text + 1) | 0x20) == 0x78; // "0x"
  if (hex) i = 2;
  for (; i < length; i++) {
    const c = <u32>load<u8>(text + i);
    let digit: u32;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (hex && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) digit = (c | 0x20) - 0x61 + 10;
    else return fallback;
    value = hex ? (value << 4) | digit : value * 10 + digit;
  }
  return value;
}
