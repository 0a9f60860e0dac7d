// The kernel's own hive checks, compiled with the kernel's flags and run as
// WebAssembly on the host (as wasm-host.test.ts runs phase 0): a power-cut
// test hands it each state's SYSTEM and SYSTEM.ALT bytes and it answers what
// the kernel would make of them -- the header and bin checks
// (CmpRegfCheckHeader) and the full cell walk that checks every cell and
// makes the root key (CmpRegfRead), then reads Select\Counter and counts
// ControlSet001\Control's subkeys from the tree the kernel builds from it.
//
// Pool pages come from this module's own memory at the kernel's addresses
// (KSEG0_BASE + physical): a bump allocator from physical 8 MiB that grows
// the memory as it goes; single pages freed are reused.

import { ExRegisterPoolPages, ExAllocatePoolWithTag, ExFreePoolWithTag, NonPagedPool } from "../../../kernel/ex/pool";
import { CmpRegfCheckHeader, REGF_OK } from "../../../kernel/cm/regf";
import { CmpRegfRead, CmpFreeSecurity } from "../../../kernel/cm/regfread";
import { CmpExpand, CmpFindSubKey, CmpFindValue, CmpFreeTree, CmKey, CmValueData, CM_VALUE } from "../../../kernel/cm/cmp";
import { KSEG0_BASE } from "../../../kernel/ke/loader";
// The `--use abort=` target must be part of the program.
export { KiAbort } from "../../../kernel/ke/bugcheck";

const FIRST_PAGE: u32 = 0x800; // physical 8 MiB
let nextPage: u32 = FIRST_PAGE;
const FREE_MAX: u32 = 4096;
const freePages = memory.data(<i32>(FREE_MAX * 4), 4);
let freeCount: u32 = 0;

function allocatePages(count: u32): u32 {
  if (count == 1 && freeCount != 0) {
    const page = load<u32>(freePages + (--freeCount << 2));
    memory.fill(KSEG0_BASE + (<usize>page << 12), 0, 4096);
    return page;
  }
  const page = nextPage;
  nextPage += count;
  const end = KSEG0_BASE + (<usize>nextPage << 12);
  const have = <usize>memory.size() << 16;
  if (end > have && memory.grow(<i32>((end - have + 0xFFFF) >> 16)) < 0) return 0;
  memory.fill(KSEG0_BASE + (<usize>page << 12), 0, count << 12);
  return page;
}
function freePage(page: u32): void {
  if (freeCount < FREE_MAX) store<u32>(freePages + (freeCount++ << 2), page);
}

let ready = false;
const IMAGE_TAG: u32 = 0x6B636843; // 'Chck'
const out = memory.data(16, 4);   // root, then security (pointer, length)
let root: usize = 0;

/** A buffer of `bytes` (pool) for the host to copy a hive file into. */
export function buffer(bytes: u32): usize {
  if (!ready) { ExRegisterPoolPages(allocatePages, freePage); ready = true; }
  return ExAllocatePoolWithTag(NonPagedPool, bytes != 0 ? bytes : 1, IMAGE_TAG);
}
export function freeBuffer(p: usize): void { ExFreePoolWithTag(p, IMAGE_TAG); }

/** The kernel's verdict on a hive file of `length` bytes at `image`: REGF_OK (0) or the REGF_* error. The tree stays until release(). */
export function check(image: usize, length: u32): u32 {
  release();
  let result = CmpRegfCheckHeader(image, length);
  if (result == REGF_OK) result = CmpRegfRead(image, 1, out, out + 4);
  if (result == REGF_OK) root = load<usize>(out);
  return result;
}

/** Frees the tree the last successful check built. */
export function release(): void {
  if (root == 0) return;
  CmpFreeTree(root);
  CmpFreeSecurity(out + 4);
  root = 0;
}

function subKey(key: usize, name: string): usize {
  return key == 0 ? 0 : CmpFindSubKey(key, changetype<usize>(name), <u32>name.length << 1);
}

/** Select\Counter (REG_DWORD) in the last tree, or 0xFFFFFFFF when it is not there. */
export function counter(): u32 {
  const select = subKey(root, "Select");
  const value = select != 0 ? CmpFindValue(select, changetype<usize>("Counter"), 14) : 0;
  if (value == 0 || changetype<CM_VALUE>(value).DataLength != 4) return 0xFFFFFFFF;
  return load<u32>(CmValueData(value));
}

/** How many subkeys ControlSet001\Control has in the last tree (0xFFFFFFFF: no such key). */
export function controlSubKeys(): u32 {
  const control = subKey(subKey(root, "ControlSet001"), "Control");
  if (control != 0) CmpExpand(control); // a key of the file is built on first use
  return control != 0 ? CmKey(control).SubKeyCount : 0xFFFFFFFF;
}
