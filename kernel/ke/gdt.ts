// The kernel's own GDT and the task state segment, with NT's selectors:
//
//   0x08 KGDT_R0_CODE   0x10 KGDT_R0_DATA   0x18 KGDT_R3_CODE (0x1B from ring 3)
//   0x20 KGDT_R3_DATA (0x23)   0x28 KGDT_TSS   0x30 KGDT_R0_PCR   0x38 KGDT_R3_TEB (0x3B)
//
// The entry stub's GDT has the first five; this one adds the TSS (ring 3 ->
// ring 0 transitions load esp0 from it), the PCR segment and the TEB segment
// whose base is the running thread's TEB (fs:[0x18] = TEB in user mode). The
// TSS's I/O bitmap offset lies past its limit, so ring 3 has no port access.

import { lgdt, ltr } from "../sdk/intrinsics";

export const KGDT_R0_CODE: u32 = 0x08;
export const KGDT_R0_DATA: u32 = 0x10;
export const KGDT_R3_CODE: u32 = 0x18;
export const KGDT_R3_DATA: u32 = 0x20;
export const KGDT_TSS: u32 = 0x28;
export const KGDT_R0_PCR: u32 = 0x30;
export const KGDT_R3_TEB: u32 = 0x38;
/** Requested privilege level 3 in a selector. */
export const RPL_USER: u32 = 3;

const GDT_ENTRIES: u32 = 8;
const KiGdt: usize = memory.data(<i32>(GDT_ENTRIES * 8), 8);
const KiGdtr: usize = memory.data(8, 4) + 2;
/** KTSS: 104 bytes; esp0 at +4, ss0 at +8, I/O map base at +102. */
const TSS_SIZE: u32 = 104;
export const KiTss: usize = memory.data(<i32>TSS_SIZE, 8);
/** The processor control region the PCR segment points at (a placeholder for now). */
const KiPcr: usize = memory.data(64, 8);

/** Writes descriptor `selector`: base, limit (bytes - 1, or pages when `pages`), access byte, flags nibble. */
function KiSetDescriptor(selector: u32, base: u32, limit: u32, access: u32, flags: u32): void {
  const d = KiGdt + selector;
  store<u16>(d, <u16>(limit & 0xFFFF));
  store<u16>(d, <u16>(base & 0xFFFF), 2);
  store<u8>(d, <u8>((base >>> 16) & 0xFF), 4);
  store<u8>(d, <u8>access, 5);
  store<u8>(d, <u8>(((limit >>> 16) & 0x0F) | (flags << 4)), 6);
  store<u8>(d, <u8>(base >>> 24), 7);
}

/** Builds the GDT and TSS, loads them (lgdt, ltr). The segment registers keep their values (same selectors). */
export function KiInitializeGdt(): void {
  memory.fill(KiGdt, 0, GDT_ENTRIES * 8);
  KiSetDescriptor(KGDT_R0_CODE, 0, 0xFFFFF, 0x9A, 0xC);
  KiSetDescriptor(KGDT_R0_DATA, 0, 0xFFFFF, 0x92, 0xC);
  KiSetDescriptor(KGDT_R3_CODE, 0, 0xFFFFF, 0xFA, 0xC);
  KiSetDescriptor(KGDT_R3_DATA, 0, 0xFFFFF, 0xF2, 0xC);
  memory.fill(KiTss, 0, TSS_SIZE);
  store<u32>(KiTss, KGDT_R0_DATA, 8);        // ss0
  store<u16>(KiTss, <u16>TSS_SIZE, 102);     // I/O map base past the limit: no ports for ring 3
  KiSetDescriptor(KGDT_TSS, <u32>KiTss, TSS_SIZE - 1, 0x89, 0x0); // 32-bit TSS, available
  KiSetDescriptor(KGDT_R0_PCR, <u32>KiPcr, 63, 0x92, 0x4);
  KiSetDescriptor(KGDT_R3_TEB, 0, 0xFFF, 0xF2, 0x4);               // base set per thread
  store<u16>(KiGdtr, <u16>(GDT_ENTRIES * 8 - 1));
  store<u32>(KiGdtr, <u32>KiGdt, 2);
  lgdt(KiGdtr);
  ltr(KGDT_TSS);
}

/** The kernel stack ring 3 traps land on: the running thread's (set at every switch). */
@inline export function KiSetKernelStack(esp0: usize): void { store<u32>(KiTss, <u32>esp0, 4); }

/** Points the TEB segment (fs in user mode) at `teb` (inline: every switch to a user thread does it). */
@inline export function KiSetTebSegment(teb: usize): void {
  const d = KiGdt + KGDT_R3_TEB;
  store<u16>(d, <u16>(teb & 0xFFFF), 2);
  store<u8>(d, <u8>((teb >>> 16) & 0xFF), 4);
  store<u8>(d, <u8>(teb >>> 24), 7);
}
