// The interrupt descriptor table: 256 gates, all to generated entry stubs.
//
// Every vector gets a 32-bit interrupt gate (interrupts off on entry) to the
// toolchain's entry stub for that vector (`trap_entry`), which saves the
// registers, calls KiTrapDispatch with the frame and returns with `iretd`.
// All gates are DPL 0 except int 3 and int 0x2E (system services), which
// ring 3 may raise.
//
//   gate (8 bytes):  +0 offset 15:0   +2 selector   +4 0   +5 type/attributes   +6 offset 31:16
//   IDTR (6 bytes):  +0 limit (bytes - 1)   +2 base

import { lidt, trap_entry } from "../sdk/intrinsics";
import { KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "./log";

/** Vectors in the IDT. */
export const IDT_VECTORS: u32 = 256;
/** Bytes per gate. */
const IDT_GATE_SIZE: u32 = 8;
/** The ring-0 code selector of the boot GDT. */
export const KGDT_R0_CODE: u32 = 0x08;
/** Present, DPL 0, 32-bit interrupt gate. */
export const IDT_INTERRUPT_GATE: u32 = 0x8E;
/** Present, DPL 3, 32-bit interrupt gate (callable with `int` from ring 3). */
export const IDT_INTERRUPT_GATE_USER: u32 = 0xEE;

/** The table itself: 2 KiB in the kernel's static data. */
export const KiIdt: usize = memory.data(IDT_VECTORS * IDT_GATE_SIZE, 8);
/** The pseudo-descriptor for `lidt`, at offset 2 so the base is dword-aligned. */
const KiIdtr: usize = memory.data(8, 4) + 2;

/** Points gate `vector` at `handler` with `access` (type and DPL). */
export function KeSetIdtGate(vector: u32, handler: usize, access: u32): void {
  const gate = KiIdt + (<usize>(vector & 0xFF) << 3);
  store<u16>(gate, <u16>(handler & 0xFFFF));
  store<u16>(gate, <u16>KGDT_R0_CODE, 2);
  store<u8>(gate, 0, 4);
  store<u8>(gate, <u8>access, 5);
  store<u16>(gate, <u16>(handler >>> 16), 6);
}

/** Fills all 256 gates and loads the IDT. */
export function KiInitializeIdt(): void {
  for (let vector: u32 = 0; vector < IDT_VECTORS; vector++) {
    // int 3 (breakpoint) and int 0x2e (system services) may come from ring 3.
    const user = vector == 3 || vector == 0x2E;
    KeSetIdtGate(vector, trap_entry(vector), user ? IDT_INTERRUPT_GATE_USER : IDT_INTERRUPT_GATE);
  }
  store<u16>(KiIdtr, <u16>(IDT_VECTORS * IDT_GATE_SIZE - 1));
  store<u32>(KiIdtr, <u32>KiIdt, 2);
  lidt(KiIdtr);
  KeLogFormat2("ke", "IDT loaded (%u vectors) at %x", IDT_VECTORS, <u32>KiIdt);
}
