// Step 3, the system environment, and step 4g, its dynamic variables.
//
// The block starts as a copy of what the kernel gave smss (SystemRoot,
// Path); the Environment key's REG_SZ values are set first, then its
// REG_EXPAND_SZ values expanded in the key's order against the block being
// built (so %SystemRoot% and earlier variables resolve). The block becomes
// smss's own environment (ProcessParameters->Environment), which every
// process smss starts inherits.
//
// Step 4g writes what NT computes at boot into both the block and the
// Environment key: OS, PROCESSOR_ARCHITECTURE, PROCESSOR_LEVEL,
// PROCESSOR_IDENTIFIER, PROCESSOR_REVISION, NUMBER_OF_PROCESSORS. The
// processor's identity comes from what the kernel learnt by cpuid:
// HARDWARE\DESCRIPTION\System\CentralProcessor\0 (Identifier,
// VendorIdentifier) and SystemProcessorInformation, as NT's smss reads it.

import {
  NtClose, NtSetValueKey, NtQuerySystemInformation, RtlCreateEnvironment, RtlSetEnvironmentVariable, RtlQueryEnvironmentVariable_U,
  RtlExpandEnvironmentStrings_U, RtlGetCurrentPeb, REG_SZ, REG_EXPAND_SZ, STATUS_SUCCESS, STATUS_BUFFER_TOO_SMALL, KEY_ALL_ACCESS, KEY_READ,
} from "./ntapi";
import { SmpEnvironmentValues, SmpSessionManagerKey } from "./sminit";
import { SmpIsText, SmpOpenKey, SmpReadString, SmpTypeName } from "./smreg";
import { SmpDecimal, SmpHex4, SmpJoin, SmpLog, SmpLogFailure, SmpSlot, SmpString, SmpUnicode } from "./smutil";
import {
  SIZEOF_SYSTEM_PROCESSOR_INFORMATION, SYSTEM_BASIC_INFORMATION, SYSTEM_PROCESSOR_INFORMATION, SystemBasicInformation, SystemProcessorInformation,
} from "../kernel/sdk/sysinfo";
import { InitializeCountedString } from "../kernel/sdk/ntdef";

const PEB_PROCESS_PARAMETERS: u32 = 0x10;
const PARAMS_ENVIRONMENT: u32 = 0x48;

/** The environment block smss builds (a pointer to it, as the Rtl routines take it). */
export const SmpEnvironment = SmpSlot();

/** Sets `name` = `value` in smss's block. */
export function SmpSetVariable(name: string, value: string): u32 {
  return RtlSetEnvironmentVariable(SmpEnvironment, SmpUnicode(name), SmpUnicode(value));
}

// The buffers below are the main thread's, made once and reused: smss's
// allocator never gives memory back (smutil.ts), and these run for every
// image smss looks for and every value it expands, in every session.
const variableValue = SmpSlot();
let variableBuffer: usize = 0;
const VARIABLE_BYTES: u32 = 2048;

/** The value of `name` in smss's block, or "". */
export function SmpQueryVariable(name: string): string {
  if (variableBuffer == 0) variableBuffer = heap.alloc(VARIABLE_BYTES);
  InitializeCountedString(variableValue, variableBuffer, 0, VARIABLE_BYTES - 2);
  const status = RtlQueryEnvironmentVariable_U(load<usize>(SmpEnvironment), SmpUnicode(name), variableValue);
  return status == STATUS_SUCCESS ? SmpString(variableValue) : "";
}

const expandDest = SmpSlot(), expandNeeded = SmpSlot();
let expandBuffer: usize = 0;
let expandBytes: u32 = 0;

/** `text` with %VARIABLES% replaced from smss's block. */
export function SmpExpand(text: string): string {
  let size: u32 = 1024;
  const source = SmpUnicode(text);
  while (true) {
    if (size > expandBytes) { expandBuffer = heap.alloc(size); expandBytes = size; }
    InitializeCountedString(expandDest, expandBuffer, 0, size);
    store<u32>(expandNeeded, 0);
    const status = RtlExpandEnvironmentStrings_U(load<usize>(SmpEnvironment), source, expandDest, expandNeeded);
    const needed = load<u32>(expandNeeded);
    // The length comes back from ntdll: used only within the buffer it describes.
    if (status == STATUS_SUCCESS) return String.UTF16.decodeUnsafe(expandBuffer, <usize>(needed >= 2 && needed <= size ? needed - 2 : 0));
    if (status != STATUS_BUFFER_TOO_SMALL || size >= 0xFFFE || needed <= size) return text;
    size = needed > 0xFFFE ? 0xFFFE : needed;
  }
}

/** Makes the block smss's own environment (the one RtlCreateProcessParameters gives children). */
function install(): void {
  const params = load<usize>(RtlGetCurrentPeb() + PEB_PROCESS_PARAMETERS);
  if (params != 0) store<usize>(params + PARAMS_ENVIRONMENT, load<usize>(SmpEnvironment));
}

/** Step 3: the system environment from the Environment key. */
export function SmpCreateEnvironment(): void {
  const status = RtlCreateEnvironment(true, SmpEnvironment);
  if (status != STATUS_SUCCESS) { SmpLogFailure("RtlCreateEnvironment", status, ""); return; }
  const names = new Array<string>();
  // Plain strings first, then the expandable ones (which may use them).
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < SmpEnvironmentValues.length; i++) {
      const v = SmpEnvironmentValues[i];
      if (!SmpIsText(v)) {
        if (pass == 0) SmpLog("environment", v.name + " is " + SmpTypeName(v.type) + " of " + SmpDecimal(v.length) + " bytes, not a string - skipped");
        continue;
      }
      if ((v.type == REG_EXPAND_SZ) != (pass == 1)) continue;
      const value = pass == 1 ? SmpExpand(v.text()) : v.text();
      const set = SmpSetVariable(v.name, value);
      if (set != STATUS_SUCCESS) SmpLogFailure("RtlSetEnvironmentVariable", set, v.name);
      else names.push(v.name);
    }
  }
  install();
  SmpLog("environment", SmpDecimal(names.length) + " variables from the registry (" + SmpJoin(names, ", ") + "); Path=" + SmpQueryVariable("Path"));
}

/** Step 4g: the variables NT computes at boot, in the block and in the Environment key. */
export function SmpCreateDynamicEnvironmentVariables(): void {
  const cpu = SmpOpenKey("\\Registry\\Machine\\Hardware\\Description\\System\\CentralProcessor\\0", 0, KEY_READ);
  let identifier = SmpReadString(cpu, "Identifier", "");
  const vendor = SmpReadString(cpu, "VendorIdentifier", "");
  if (cpu != 0) NtClose(cpu);
  if (vendor.length != 0) identifier += ", " + vendor;

  const spi = heap.alloc(SIZEOF_SYSTEM_PROCESSOR_INFORMATION);
  memory.fill(spi, 0, SIZEOF_SYSTEM_PROCESSOR_INFORMATION);
  let status = NtQuerySystemInformation(SystemProcessorInformation, spi, SIZEOF_SYSTEM_PROCESSOR_INFORMATION, 0);
  if (status != STATUS_SUCCESS) SmpLogFailure("NtQuerySystemInformation", status, "SystemProcessorInformation");
  const processor = changetype<SYSTEM_PROCESSOR_INFORMATION>(spi);
  const basicSize = <u32>offsetof<SYSTEM_BASIC_INFORMATION>();
  const sbi = heap.alloc(basicSize);
  status = NtQuerySystemInformation(SystemBasicInformation, sbi, basicSize, 0);
  const processors: u32 = status == STATUS_SUCCESS ? <u32>changetype<SYSTEM_BASIC_INFORMATION>(sbi).NumberOfProcessors : 1;

  const names = ["OS", "PROCESSOR_ARCHITECTURE", "PROCESSOR_LEVEL", "PROCESSOR_IDENTIFIER", "PROCESSOR_REVISION", "NUMBER_OF_PROCESSORS"];
  const values = ["Windows_NT", "x86", SmpDecimal(processor.ProcessorLevel), identifier, SmpHex4(processor.ProcessorRevision), SmpDecimal(processors)];
  const key = SmpOpenKey("Environment", SmpSessionManagerKey, KEY_ALL_ACCESS);
  const shown = new Array<string>();
  for (let i = 0; i < names.length; i++) {
    SmpSetVariable(names[i], values[i]);
    if (key != 0) {
      const data = SmpUnicode(values[i]);
      status = NtSetValueKey(key, SmpUnicode(names[i]), 0, REG_SZ, load<usize>(data, 4), <u32>load<u16>(data) + 2);
      if (status != STATUS_SUCCESS) SmpLogFailure("NtSetValueKey", status, names[i]);
    }
    shown.push(names[i] + "=" + values[i]);
  }
  if (key != 0) NtClose(key);
  install();
  SmpLog("dynamic environment", SmpJoin(shown, " "));
}

/** A session's copy of smss: the block it inherited from the first smss (already built and expanded) is its own. */
export function SmpInheritEnvironment(): void {
  const status = RtlCreateEnvironment(true, SmpEnvironment);
  if (status != STATUS_SUCCESS) SmpLogFailure("RtlCreateEnvironment", status, "");
}
