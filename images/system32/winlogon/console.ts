// winlogon's screen and keyboard: the session's 80x25 text screen and key
// queue, through win32k's shadow services (kernel/sdk/ntuser.ts, CONTRACTS.md
// section 2). Before win32k.sys is loaded in the session every call answers
// STATUS_INVALID_SYSTEM_SERVICE: then the logon screen is only the COM1 log
// lines and keys come only from COM1.

import {
  NtUserConsoleWrite, NtUserConsoleClear, NtUserConsoleSetCursor, NtUserConsoleSetAttribute, NtUserReadKey, NtUserSwitchSession,
} from "../../../kernel/sdk/ntuser";
import { Decimal } from "../native/util";

/** Whether the session has a screen (win32k loaded in it). */
export let ConsoleAvailable = false;
const key = memory.data(16, 4);
const poll = memory.data<u64>([0]);

/** Makes this session the active one and clears its screen; false without win32k. */
export function ConsoleOpen(session: u32): bool {
  ConsoleAvailable = NtUserConsoleClear() == 0;
  if (ConsoleAvailable) NtUserSwitchSession(session);
  return ConsoleAvailable;
}

/** Text on the session's screen (nothing without win32k). */
export function ConsoleWrite(text: string): void {
  if (ConsoleAvailable && text.length != 0) NtUserConsoleWrite(changetype<usize>(text), <u32>text.length << 1);
}

/** Echo of a typed key on the screen. */
export function ConsoleEcho(text: string): void { ConsoleWrite(text); }

function line(y: u32, text: string, attribute: u32): void {
  NtUserConsoleSetCursor(0, y);
  NtUserConsoleSetAttribute(attribute);
  let s = text;
  while (s.length < 80) s += " ";
  NtUserConsoleWrite(changetype<usize>(s), 80 << 1);
}

/** The logon screen: a title bar, the computer, the message of the last attempt, then the prompts. */
export function ConsoleLogonScreen(session: u32, message: string): void {
  if (!ConsoleAvailable) return;
  NtUserConsoleClear();
  line(0, "  nt-smss-wasm86 - Log On to Windows", 0x1F);
  line(2, "  Computer: NTWASM86            Session: " + Decimal(session), 0x07);
  line(3, "  Type a user name and password, then press Enter.", 0x07);
  line(5, message.length != 0 ? "  " + message : "", 0x0C);
  line(24, "  User name \"shutdown\" shuts the computer down.", 0x08);
  NtUserConsoleSetAttribute(0x0F);
  NtUserConsoleSetCursor(2, 7);
}

/** A key's character from the session's queue (key-down events only), or -1 when there is none now. */
export function ConsoleReadKey(wait: bool = false): i32 {
  if (!ConsoleAvailable) return -1;
  while (NtUserReadKey(key, wait ? 0 : poll) == 0) { // no timeout pointer: until a key comes
    if (load<u32>(key) == 0) continue; // key up
    const c = <i32>load<u16>(key, 10);
    if (c != 0) return c;
  }
  return -1;
}
