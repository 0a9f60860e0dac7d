// TEMPORARY stand-in (smss2 branch only, never landed): NtSetSystemInformation
// comes from the sessions and win32k helpers.
import { STATUS_INVALID_INFO_CLASS } from "../sdk/ntstatus";
export function NtSetSystemInformation(infoClass: u32, buffer: usize, length: u32): u32 {
  return STATUS_INVALID_INFO_CLASS;
}
