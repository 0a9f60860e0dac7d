// win32k.sys's side of the boundary: the key event its NtUserReadKey returns
// (wincon.h's KEY_EVENT_RECORD), the virtual-key codes and control-key flags
// it uses, and the shadow services as user programs import them from
// ntdll.dll (numbers from 0x1000, scripts/services.ts SHADOW_SERVICES).
//
//   KEY_EVENT_RECORD (16 bytes)
//   +0  BOOL  bKeyDown           1 for a press (and each typematic repeat), 0 for a release
//   +4  WORD  wRepeatCount       always 1
//   +6  WORD  wVirtualKeyCode    VK_*
//   +8  WORD  wVirtualScanCode   the scan code set 1 make code (without 0xE0)
//   +10 WCHAR UnicodeChar        the character, 0 for keys without one
//   +12 DWORD dwControlKeyState  *_PRESSED, CAPSLOCK_ON, ENHANCED_KEY
//
// Before win32k.sys is loaded in the caller's session each service answers
// STATUS_INVALID_SYSTEM_SERVICE (0xC000001C).

@unmanaged export class KEY_EVENT_RECORD {
  bKeyDown: u32;
  wRepeatCount: u16;
  wVirtualKeyCode: u16;
  wVirtualScanCode: u16;
  UnicodeChar: u16;
  dwControlKeyState: u32;
}
export const KEY_EVENT_RECORD_SIZE: u32 = 16;

// dwControlKeyState bits (wincon.h).
export const RIGHT_ALT_PRESSED: u32 = 0x0001;
export const LEFT_ALT_PRESSED: u32 = 0x0002;
export const RIGHT_CTRL_PRESSED: u32 = 0x0004;
export const LEFT_CTRL_PRESSED: u32 = 0x0008;
export const SHIFT_PRESSED: u32 = 0x0010;
export const NUMLOCK_ON: u32 = 0x0020;
export const SCROLLLOCK_ON: u32 = 0x0040;
export const CAPSLOCK_ON: u32 = 0x0080;
export const ENHANCED_KEY: u32 = 0x0100;

// Virtual-key codes (winuser.h); letters and digits are their ASCII capitals.
export const VK_BACK: u32 = 0x08;
export const VK_TAB: u32 = 0x09;
export const VK_RETURN: u32 = 0x0D;
export const VK_SHIFT: u32 = 0x10;
export const VK_CONTROL: u32 = 0x11;
export const VK_MENU: u32 = 0x12;
export const VK_CAPITAL: u32 = 0x14;
export const VK_ESCAPE: u32 = 0x1B;
export const VK_SPACE: u32 = 0x20;
export const VK_PRIOR: u32 = 0x21;
export const VK_NEXT: u32 = 0x22;
export const VK_END: u32 = 0x23;
export const VK_HOME: u32 = 0x24;
export const VK_LEFT: u32 = 0x25;
export const VK_UP: u32 = 0x26;
export const VK_RIGHT: u32 = 0x27;
export const VK_DOWN: u32 = 0x28;
export const VK_INSERT: u32 = 0x2D;
export const VK_DELETE: u32 = 0x2E;
export const VK_F1: u32 = 0x70;

/** The screen win32k keeps per session. */
export const NTUSER_COLUMNS: u32 = 80;
export const NTUSER_ROWS: u32 = 25;

// ---- The shadow services (ntdll.dll exports the stubs; NTSTATUS, stdcall) ----

/** 0x1000: writes UTF-16 `text` (lengthBytes even, at most 64 KiB) at the session's cursor; \n \r \b \t. */
@external("ntdll", "NtUserConsoleWrite") export declare function NtUserConsoleWrite(text: usize, lengthBytes: u32): u32;
/** 0x1001: blanks the session's screen, cursor to (0,0). */
@external("ntdll", "NtUserConsoleClear") export declare function NtUserConsoleClear(): u32;
/** 0x1002: cursor to column x (< 80), row y (< 25). */
@external("ntdll", "NtUserConsoleSetCursor") export declare function NtUserConsoleSetCursor(x: u32, y: u32): u32;
/** 0x1003: the next KEY_EVENT_RECORD of the caller's session; timeout as NtWaitForSingleObject (0 = forever). STATUS_TIMEOUT (0x102) when none came. */
@external("ntdll", "NtUserReadKey") export declare function NtUserReadKey(key: usize, timeout: usize): u32;
/** 0x1004: makes `sessionId` the active session (the VGA screen shows it, keys go to it). */
@external("ntdll", "NtUserSwitchSession") export declare function NtUserSwitchSession(sessionId: u32): u32;
/** 0x1005: the active session's id at `sessionId`. */
@external("ntdll", "NtUserGetActiveSession") export declare function NtUserGetActiveSession(sessionId: usize): u32;
/** 0x1006: the VGA attribute (foreground | background << 4) of later writes. */
@external("ntdll", "NtUserConsoleSetAttribute") export declare function NtUserConsoleSetAttribute(attribute: u32): u32;
