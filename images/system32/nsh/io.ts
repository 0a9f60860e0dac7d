// nsh's terminal: where the shell writes and where its keys come from.
//
// Output goes to the session's screen (win32k's NtUserConsoleWrite, when
// win32k.sys is loaded in the session) and, in session 1, to COM1 as well.
// COM1 carries the kernel log: the serial driver makes every line written to
// it a log line `[time] nsh: text` (kernel/drivers/serial.ts), and ends a line
// at the end of each write. So COM1 output is gathered here until its "\n"
// and written a whole line at a time; ShFlush writes an unfinished line (the
// prompt) as a line of its own.
//
// Input: a character or a key from COM1 (session 1; polled with a 100 ms
// read timeout set on this open, IOCTL_SERIAL_SET_TIMEOUTS) or from the
// session's keyboard (win32k's NtUserReadKey, polled). ShReadKey returns
// characters as they are, and the arrow keys as KEY_UP / KEY_DOWN from
// either side (ESC [ A / ESC [ B, or ESC O A / ESC O B, on COM1; VK_UP /
// VK_DOWN on the keyboard).
//
// Nothing here keeps an AssemblyScript heap object across commands: nsh.ts
// gives the heap back after each command (heap.ts).

import { IO_STATUS_BLOCK } from "../../../kernel/sdk/ntdef";
import {
  NtOpenFile, NtReadFile, NtWriteFile, NtDeviceIoControlFile, GENERIC_READ, GENERIC_WRITE, SYNCHRONIZE,
  FILE_SYNCHRONOUS_IO_NONALERT, STATUS_SUCCESS, STATUS_TIMEOUT,
} from "../native/nt";
import { Attributes, Hex, LogFailure, Slot } from "../native/util";
import { StatusName } from "../native/status";
import { NtUserConsoleWrite, NtUserReadKey, VK_UP, VK_DOWN, VK_LEFT, VK_RIGHT, VK_DELETE } from "../../../kernel/sdk/ntuser";

/** ShReadKey's answers besides characters. */
export const KEY_UP: i32 = 0x10001;
export const KEY_DOWN: i32 = 0x10002;
/** ShReadKey: COM1 failed (nothing more can be read from it). */
export const KEY_NONE: i32 = -1;
/** Set on a key that came from the session's keyboard (its echo goes to the screen). */
export const FROM_KEYBOARD: i32 = 0x100000;

const IOCTL_SERIAL_SET_TIMEOUTS: u32 = 0x001B001C;
const iosb = memory.data(8, 4);
const byte = memory.data(4, 4);
const keyEvent = memory.data(16, 4);
const poll = memory.data<u64>([0]);
const timeouts = memory.data<u32>([0xFFFFFFFF, 0xFFFFFFFF, 100, 0, 0]); // wait up to 100 ms for a byte
/** COM1's unfinished line: bytes (Latin-1), at most LINE_MAX. */
const LINE_MAX: u32 = 240;
const pending = memory.data(<i32>LINE_MAX + 4, 4);
let pendingBytes: u32 = 0;

let Com1: u32 = 0;
let ScreenOn = false;

/** Opens the terminal: COM1 in session 1 (read and write), the screen if win32k answers. */
export function ShOpen(session: u32): void {
  ScreenOn = NtUserConsoleWrite(changetype<usize>(""), 0) == STATUS_SUCCESS;
  if (session != 1) return;
  const h = Slot();
  const status = NtOpenFile(h, GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE, Attributes("\\??\\COM1", 0, 0), iosb, 3, FILE_SYNCHRONOUS_IO_NONALERT);
  if (status != STATUS_SUCCESS) { LogFailure("NtOpenFile", status, "\\??\\COM1"); return; }
  Com1 = load<u32>(h);
  const set = NtDeviceIoControlFile(Com1, 0, 0, 0, iosb, IOCTL_SERIAL_SET_TIMEOUTS, timeouts, 20, 0, 0);
  if (set != STATUS_SUCCESS) LogFailure("NtDeviceIoControlFile", set, "IOCTL_SERIAL_SET_TIMEOUTS on COM1");
}

/** Whether the shell has somewhere to read from. */
export function ShHasInput(): bool { return Com1 != 0 || ScreenOn; }

/** Whether the session has a screen (win32k loaded in it). */
export function ShHasScreen(): bool { return ScreenOn; }

function Com1Line(): void {
  NtWriteFile(Com1, 0, 0, 0, iosb, pending, pendingBytes, 0, 0);
  pendingBytes = 0;
}

/** Text to COM1 only (whole lines; see the top of the file). */
export function ShWriteCom1(text: string): void {
  if (Com1 == 0) return;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x0D) continue;
    if (c == 0x0A) { store<u8>(pending + pendingBytes++, 0x0A); Com1Line(); continue; }
    if (pendingBytes >= LINE_MAX) { store<u8>(pending + pendingBytes++, 0x0A); Com1Line(); }
    store<u8>(pending + pendingBytes++, <u8>(c < 0x100 ? c : 0x3F));
  }
}

/** Text to the screen only. */
export function ShWriteScreen(text: string): void {
  if (ScreenOn && text.length != 0) NtUserConsoleWrite(changetype<usize>(text), <u32>text.length << 1);
}

/** Writes `text` to the session's screen and, in session 1, to COM1. */
export function ShWrite(text: string): void {
  ShWriteScreen(text);
  ShWriteCom1(text);
}

/** ShWrite plus "\r\n". */
export function ShWriteLine(text: string): void {
  ShWrite(text);
  ShWrite("\r\n");
}

/** COM1's unfinished line (the prompt) goes out as a line of its own. */
export function ShFlush(): void {
  if (Com1 != 0 && pendingBytes != 0) { store<u8>(pending + pendingBytes++, 0x0A); Com1Line(); }
}

/** `0xC0000034 STATUS_OBJECT_NAME_NOT_FOUND` (the code alone when it has no name here). */
export function ShStatusText(status: i32): string {
  const name = StatusName(status);
  return Hex(<u32>status) + (name.length != 0 ? " " + name : "");
}

/** A failure: `what: 0xC0000034 STATUS_OBJECT_NAME_NOT_FOUND`. */
export function ShStatus(what: string, status: i32): void {
  ShWriteLine(what + ": " + ShStatusText(status));
}

// ---- input ----

/** COM1's escape sequence state: 0 none, 1 after ESC, 2 after ESC [ or ESC O. */
let EscapeState = 0;

/** A byte from COM1: 0-255, -2 when none came within the poll, -1 when COM1 failed. */
function Com1Byte(): i32 {
  if (Com1 == 0) return -2;
  const status = NtReadFile(Com1, 0, 0, 0, iosb, byte, 1, 0, 0);
  if (status == STATUS_SUCCESS && changetype<IO_STATUS_BLOCK>(iosb).Information != 0) return <i32>load<u8>(byte);
  if (status != STATUS_SUCCESS && status != STATUS_TIMEOUT) { LogFailure("NtReadFile", status, "COM1"); return -1; }
  return -2;
}

/** A key from the keyboard: a character, KEY_UP / KEY_DOWN, or -2 when there is none now. */
function KeyboardKey(): i32 {
  if (!ScreenOn) return -2;
  while (NtUserReadKey(keyEvent, Com1 != 0 ? poll : 0) == STATUS_SUCCESS) {
    if (load<u32>(keyEvent) == 0) continue; // a release
    const vk = <u32>load<u16>(keyEvent, 6);
    if (vk == VK_UP) return KEY_UP;
    if (vk == VK_DOWN) return KEY_DOWN;
    if (vk == VK_LEFT || vk == VK_RIGHT || vk == VK_DELETE) continue;
    const c = <i32>load<u16>(keyEvent, 10);
    if (c != 0) return c;
  }
  return -2;
}

/**
 * The next character or arrow key (with FROM_KEYBOARD when it came from the
 * keyboard); KEY_NONE when COM1 fails and there is no keyboard.
 */
export function ShReadKey(): i32 {
  while (true) {
    const b = Com1Byte();
    if (b == -1) {
      Com1 = 0;
      if (!ScreenOn) return KEY_NONE;
    } else if (b >= 0) {
      // ESC [ A / ESC [ B (and ESC O A / ESC O B, the application-cursor form); other sequences are dropped.
      if (EscapeState == 1) { EscapeState = b == 0x5B || b == 0x4F ? 2 : 0; continue; }
      if (EscapeState == 2) {
        if (b >= 0x30 && b <= 0x3F) continue; // parameters
        EscapeState = 0;
        if (b == 0x41) return KEY_UP;
        if (b == 0x42) return KEY_DOWN;
        continue;
      }
      if (b == 0x1B) { EscapeState = 1; continue; }
      return b;
    }
    const k = KeyboardKey();
    if (k >= 0) return k | FROM_KEYBOARD;
    if (Com1 == 0 && !ScreenOn) return KEY_NONE;
  }
}
