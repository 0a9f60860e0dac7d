// defshell.exe, the default shell: what winlogon starts for a user who
// logged on when SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon
// `Shell` names it (and the fallback when the Shell named cannot start).
// It says who logged on (USERNAME, USERDOMAIN and the session, from the
// environment winlogon gave it), on COM1 and on the session's screen, and
// waits for a key on COM1 or on the session's keyboard (win32k's
// NtUserReadKey, when win32k is loaded in the session); that key ends it, and
// its end is the log-off.

import { InitializeCountedString, IO_STATUS_BLOCK } from "../../../kernel/sdk/ntdef";
import {
  NtOpenFile, NtReadFile, NtClose, NtDeviceIoControlFile, RtlQueryEnvironmentVariable_U, GENERIC_READ, SYNCHRONIZE,
  FILE_SYNCHRONOUS_IO_NONALERT, STATUS_SUCCESS, STATUS_TIMEOUT,
} from "../native/nt";
import { NtUserConsoleWrite, NtUserReadKey } from "../../../kernel/sdk/ntuser";
import { Attributes, CurrentProcessId, CurrentSessionId, Decimal, Log, LogFailure, Slot, Unicode } from "../native/util";

const iosb = memory.data(8, 4);
const key = memory.data(4, 4);
const keyEvent = memory.data(16, 4);
const poll = memory.data<u64>([0]);
const timeouts = memory.data<u32>([0xFFFFFFFF, 0xFFFFFFFF, 100, 0, 0]); // COM1: wait up to 100 ms for a byte

function Variable(name: string): string {
  const value = heap.alloc(8 + 256);
  InitializeCountedString(value, value + 8, 0, 256);
  if (RtlQueryEnvironmentVariable_U(0, Unicode(name), value) != STATUS_SUCCESS) return "";
  return String.UTF16.decodeUnsafe(value + 8, load<u16>(value));
}

export function main(): void {
  const user = Variable("USERNAME"), domain = Variable("USERDOMAIN");
  const text = (domain.length != 0 ? domain + "\\" : "") + (user.length != 0 ? user : "(nobody)") + " is logged on in session "
    + Decimal(CurrentSessionId()) + " (process " + Decimal(CurrentProcessId()) + "); press a key to log off";
  Log(text);
  const screen = "\r\n" + text + "\r\n";
  const keyboard = NtUserConsoleWrite(changetype<usize>(screen), <u32>screen.length << 1) == STATUS_SUCCESS;
  const h = Slot();
  const status = NtOpenFile(h, GENERIC_READ | SYNCHRONIZE, Attributes("\\??\\COM1", 0, 0), iosb, 3, FILE_SYNCHRONOUS_IO_NONALERT);
  if (status != STATUS_SUCCESS) { LogFailure("NtOpenFile", status, "\\??\\COM1"); return; }
  // With a keyboard, COM1 is polled (a read timeout on this open) between looks at the key queue.
  if (keyboard) NtDeviceIoControlFile(load<u32>(h), 0, 0, 0, iosb, 0x001B001C /* IOCTL_SERIAL_SET_TIMEOUTS */, timeouts, 20, 0, 0);
  let from = "COM1";
  while (true) {
    const read = NtReadFile(load<u32>(h), 0, 0, 0, iosb, key, 1, 0, 0);
    if (read == STATUS_SUCCESS && changetype<IO_STATUS_BLOCK>(iosb).Information != 0) break;
    if (read != STATUS_SUCCESS && read != STATUS_TIMEOUT) break;
    if (keyboard && NtUserReadKey(keyEvent, poll) == STATUS_SUCCESS && load<u32>(keyEvent) != 0) { from = "the keyboard"; break; }
  }
  NtClose(load<u32>(h));
  Log(user + " logs off (a key on " + from + ")");
}
