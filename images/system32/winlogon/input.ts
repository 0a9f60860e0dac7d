// winlogon's input: a line typed on COM1 (headless) or on the session's
// keyboard (console.ts, through win32k's NtUserReadKey). COM1 is session 1's
// terminal (nsh.exe reads it there after the logon): a later session with a
// screen reads only its keyboard, so its logon screen takes no keys meant for
// session 1's shell. COM1 is opened with
// a short read timeout (IOCTL_SERIAL_SET_TIMEOUTS, on winlogon's own open
// only), so one thread polls both: COM1 for up to 100 ms, then the keyboard.
// Nothing typed on COM1 is echoed there (it carries only log lines); keys
// typed on the keyboard are echoed on the screen, the password as '*'.

import { IO_STATUS_BLOCK } from "../../../kernel/sdk/ntdef";
import {
  NtOpenFile, NtReadFile, NtDeviceIoControlFile, GENERIC_READ, SYNCHRONIZE, FILE_SYNCHRONOUS_IO_NONALERT,
  STATUS_SUCCESS, STATUS_TIMEOUT,
} from "../native/nt";
import { Attributes, LogFailure, Slot } from "../native/util";
import { ConsoleReadKey, ConsoleEcho } from "./console";

const IOCTL_SERIAL_SET_TIMEOUTS: u32 = 0x001B001C;
const iosb = memory.data(8, 4);
const byte = memory.data(4, 4);
const timeouts = memory.data<u32>([0xFFFFFFFF, 0xFFFFFFFF, 100, 0, 0]); // wait up to 100 ms for a byte
let Com1: u32 = 0;

/** Opens COM1 for reading with the polling timeout (when `com1`); false when it cannot be read. */
export function InputOpen(com1: bool): bool {
  if (!com1) { Com1 = 0; return true; }
  const h = Slot();
  const status = NtOpenFile(h, GENERIC_READ | SYNCHRONIZE, Attributes("\\??\\COM1", 0, 0), iosb, 3, FILE_SYNCHRONOUS_IO_NONALERT);
  if (status != STATUS_SUCCESS) { LogFailure("NtOpenFile", status, "\\??\\COM1"); return false; }
  Com1 = load<u32>(h);
  const set = NtDeviceIoControlFile(Com1, 0, 0, 0, iosb, IOCTL_SERIAL_SET_TIMEOUTS, timeouts, 20, 0, 0);
  if (set != STATUS_SUCCESS) LogFailure("NtDeviceIoControlFile", set, "IOCTL_SERIAL_SET_TIMEOUTS on COM1");
  return true;
}

/** The next character from COM1 or the keyboard (high bit 0x10000: it came from the keyboard); -1 when COM1 fails. */
function InputChar(): i32 {
  if (Com1 == 0) { // the keyboard only: wait for a key
    while (true) { const key = ConsoleReadKey(true); if (key >= 0) return key | 0x10000; }
  }
  while (true) {
    const status = NtReadFile(Com1, 0, 0, 0, iosb, byte, 1, 0, 0);
    if (status == STATUS_SUCCESS && changetype<IO_STATUS_BLOCK>(iosb).Information != 0) return <i32>load<u8>(byte);
    if (status != STATUS_SUCCESS && status != STATUS_TIMEOUT) return -1;
    const key = ConsoleReadKey();
    if (key >= 0) return key | 0x10000;
  }
}

/**
 * A line, up to CR or LF (a lone LF after CR is skipped), at most `max`
 * characters; backspace removes one. `secret`: the keyboard echo shows '*'.
 * null when COM1 fails.
 */
export function InputLine(max: i32, secret: bool): string | null {
  let s = "";
  while (true) {
    const got = InputChar();
    if (got < 0) return null;
    const fromKeyboard = (got & 0x10000) != 0;
    const c = got & 0xFFFF;
    if (c == 0x0D || c == 0x0A) {
      if (s.length == 0 && c == 0x0A) continue; // the LF of a CR LF
      if (fromKeyboard) ConsoleEcho("\r\n");
      return s;
    }
    if (c == 0x08 || c == 0x7F) {
      if (s.length != 0) { s = s.substring(0, s.length - 1); if (fromKeyboard) ConsoleEcho("\b \b"); }
      continue;
    }
    if (c < 0x20 || s.length >= max) continue;
    s += String.fromCharCode(c, -1);
    if (fromKeyboard) ConsoleEcho(secret ? "*" : String.fromCharCode(c, -1));
  }
}
