// defshell.exe, the default shell: what winlogon starts for a user who
// logged on when SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon
// `Shell` names it (and the fallback when the Shell named cannot start).
// It says who logged on (USERNAME, USERDOMAIN and the session, from the
// environment winlogon gave it) and waits for a key on COM1; that key ends
// it, and its end is the log-off.

import {
  NtOpenFile, NtReadFile, NtClose, RtlQueryEnvironmentVariable_U, GENERIC_READ, SYNCHRONIZE, FILE_SYNCHRONOUS_IO_NONALERT,
  STATUS_SUCCESS,
} from "../native/nt";
import { Attributes, CurrentProcessId, CurrentSessionId, Decimal, Log, LogFailure, Slot, Unicode } from "../native/util";

const iosb = memory.data(8, 4);
const key = memory.data(4, 4);

function Variable(name: string): string {
  const value = heap.alloc(8 + 256);
  store<u16>(value, 0); store<u16>(value, 256, 2); store<usize>(value, value + 8, 4);
  if (RtlQueryEnvironmentVariable_U(0, Unicode(name), value) != STATUS_SUCCESS) return "";
  return String.UTF16.decodeUnsafe(value + 8, load<u16>(value));
}

export function main(): void {
  const user = Variable("USERNAME"), domain = Variable("USERDOMAIN");
  Log((domain.length != 0 ? domain + "\\" : "") + (user.length != 0 ? user : "(nobody)") + " is logged on in session "
    + Decimal(CurrentSessionId()) + " (process " + Decimal(CurrentProcessId()) + "); press a key to log off");
  const h = Slot();
  const status = NtOpenFile(h, GENERIC_READ | SYNCHRONIZE, Attributes("\\??\\COM1", 0, 0), iosb, 3, FILE_SYNCHRONOUS_IO_NONALERT);
  if (status != STATUS_SUCCESS) { LogFailure("NtOpenFile", status, "\\??\\COM1"); return; }
  while (true) {
    if (NtReadFile(load<u32>(h), 0, 0, 0, iosb, key, 1, 0, 0) != STATUS_SUCCESS) break;
    if (load<u32>(iosb, 4) != 0) break;
  }
  NtClose(load<u32>(h));
  Log(user + " logs off");
}
