// NtSetSystemInformation until the kernel's own lands (the sessions and
// win32k helpers write it: SystemSessionCreate, SystemExtendServiceTableInformation).
// smss imports it from ntdll; until then every class is STATUS_INVALID_INFO_CLASS,
// which smss logs and goes on without. Whoever lands the real one deletes this
// file and points scripts/services.ts at theirs.
import { STATUS_INVALID_INFO_CLASS } from "../sdk/ntstatus";

/** NtSetSystemInformation(SystemInformationClass, SystemInformation, SystemInformationLength). */
export function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32 {
  return STATUS_INVALID_INFO_CLASS;
}
