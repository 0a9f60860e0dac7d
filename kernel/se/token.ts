// Access tokens (Se): NtOpenProcessToken, NtOpenThreadToken,
// NtAdjustPrivilegesToken. Placeholders until tokens land: each answers
// STATUS_NOT_IMPLEMENTED.

import { STATUS_NOT_IMPLEMENTED } from "../rtl/ntstatus";

/** NtOpenProcessToken(ProcessHandle, DesiredAccess, *TokenHandle). */
export function NtOpenProcessToken(process: u32, access: u32, token: usize): u32 { return STATUS_NOT_IMPLEMENTED; }

/** NtOpenThreadToken(ThreadHandle, DesiredAccess, OpenAsSelf, *TokenHandle). */
export function NtOpenThreadToken(thread: u32, access: u32, openAsSelf: u32, token: usize): u32 { return STATUS_NOT_IMPLEMENTED; }

/** NtAdjustPrivilegesToken(TokenHandle, DisableAllPrivileges, NewState, BufferLength, PreviousState, ReturnLength). */
export function NtAdjustPrivilegesToken(token: u32, disableAll: u32, newState: usize, length: u32, previous: usize, returnLength: usize): u32 {
  return STATUS_NOT_IMPLEMENTED;
}
