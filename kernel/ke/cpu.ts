// Processor identification with `cpuid`.
//
// Logs the vendor string, the family/model/stepping from leaf 1 (with the
// extended family and model folded in the way Intel and AMD define them),
// the feature flags, and the brand string when the processor has one. The
// feature flags are kept in KeFeatureBits for the rest of the kernel.
//
//   cpuid out buffer:  +0 eax  +4 ebx  +8 ecx  +12 edx

import { cpuid } from "../sdk/intrinsics";
import { KeLogAsciiz, KeLogBegin, KeLogDecimal, KeLogEnd, KeLogHex, KeLogString, KeLogFormat2 } from "./log";

const CPUID_VENDOR: u32 = 0;              // max basic leaf, vendor string
const CPUID_SIGNATURE: u32 = 1;           // family/model/stepping, feature flags
const CPUID_EXTENDED_MAX: u32 = 0x80000000; // max extended leaf
const CPUID_BRAND_FIRST: u32 = 0x80000002;  // brand string, 16 bytes per leaf, 3 leaves

const CPUID_EAX: u32 = 0;  // offsets in the out buffer
const CPUID_EBX: u32 = 4;
const CPUID_ECX: u32 = 8;
const CPUID_EDX: u32 = 12;

/** Base family value that says "add the extended family". */
const FAMILY_EXTENDED: u32 = 0xF;
/** Base family that also uses the extended model (besides 0xF). */
const FAMILY_P6: u32 = 6;
/** Bytes of the brand string. */
const BRAND_LENGTH: u32 = 48;

/** The four registers of the last cpuid. */
const KiCpuidRegisters: usize = memory.data(16, 4);
/** Vendor string (12 bytes) and brand string (48 bytes), each NUL-terminated. */
export const KeVendorString: usize = memory.data(16, 4);
export const KeBrandString: usize = memory.data(BRAND_LENGTH + 4, 4);

/** cpuid leaf 1 edx: FPU, TSC, PSE, PGE, ... */
export let KeFeatureBits: u32 = 0;
/** cpuid leaf 1 ecx: SSE3, ... */
export let KeFeatureBitsEcx: u32 = 0;
export let KeProcessorFamily: u32 = 0;
export let KeProcessorModel: u32 = 0;
export let KeProcessorStepping: u32 = 0;

@inline function KiCpuid(leaf: u32): void {
  cpuid(leaf, 0, KiCpuidRegisters);
}

@inline function KiCpuidRegister(offset: u32): u32 {
  return load<u32>(KiCpuidRegisters + offset);
}

/** Reads and logs what the processor says about itself. */
export function KiIdentifyProcessor(): void {
  KiCpuid(CPUID_VENDOR);
  const maxLeaf = KiCpuidRegister(CPUID_EAX);
  store<u32>(KeVendorString, KiCpuidRegister(CPUID_EBX));
  store<u32>(KeVendorString, KiCpuidRegister(CPUID_EDX), 4);
  store<u32>(KeVendorString, KiCpuidRegister(CPUID_ECX), 8);
  store<u32>(KeVendorString, 0, 12);

  if (maxLeaf >= CPUID_SIGNATURE) {
    KiCpuid(CPUID_SIGNATURE);
    const signature = KiCpuidRegister(CPUID_EAX);
    let family = (signature >> 8) & 0xF;
    let model = (signature >> 4) & 0xF;
    if (family == FAMILY_EXTENDED || family == FAMILY_P6) model += ((signature >> 16) & 0xF) << 4;
    if (family == FAMILY_EXTENDED) family += (signature >> 20) & 0xFF;
    KeProcessorFamily = family;
    KeProcessorModel = model;
    KeProcessorStepping = signature & 0xF;
    KeFeatureBits = KiCpuidRegister(CPUID_EDX);
    KeFeatureBitsEcx = KiCpuidRegister(CPUID_ECX);
  }

  KeLogBegin("ke");
  KeLogString("CPU ");
  KeLogAsciiz(KeVendorString, 12);
  KeLogString(" family ");
  KeLogDecimal(KeProcessorFamily);
  KeLogString(" model ");
  KeLogDecimal(KeProcessorModel);
  KeLogString(" stepping ");
  KeLogDecimal(KeProcessorStepping);
  KeLogEnd();
  KeLogFormat2("ke", "CPU features edx %x ecx %x", KeFeatureBits, KeFeatureBitsEcx);

  KiCpuid(CPUID_EXTENDED_MAX);
  const maxExtended = KiCpuidRegister(CPUID_EAX);
  if (maxExtended >= CPUID_BRAND_FIRST + 2 && maxExtended < CPUID_EXTENDED_MAX + 0x100) {
    for (let i: u32 = 0; i < 3; i++) {
      KiCpuid(CPUID_BRAND_FIRST + i);
      memory.copy(KeBrandString + i * 16, KiCpuidRegisters, 16);
    }
    store<u8>(KeBrandString + BRAND_LENGTH, 0);
    // Brand strings are often right-aligned with leading spaces.
    let start: u32 = 0;
    while (start < BRAND_LENGTH && load<u8>(KeBrandString + start) == 0x20) start++;
    KeLogBegin("ke");
    KeLogString("CPU \"");
    KeLogAsciiz(KeBrandString + start, BRAND_LENGTH - start);
    KeLogString("\"");
    KeLogEnd();
  }
}
