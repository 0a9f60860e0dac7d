// The i8042 PS/2 keyboard: IRQ 1, scan code set 1, a US layout.
//
// v86 (src/ps2.js) emulates the controller at ports 0x60/0x64 and hands the
// guest the bytes its keyboard adapter sends: set 1 codes (make = the key's
// code, break = code | 0x80, 0xE0 before the extended keys). Without a BIOS
// its keyboard starts with scanning off: the driver sends "enable scanning"
// (0xF4) and ignores the ACK (0xFA). Each make or break becomes a
// KEY_EVENT_RECORD (kernel/sdk/ntuser.ts) queued for the active session
// (io/kbdqueue.ts); Shift, Ctrl, Alt and Caps Lock are tracked here.

import { inb, outb } from "../sdk/intrinsics";
import { KeConnectInterrupt } from "../ke/interrupt";
import { KeLog } from "../ke/log";
import { KeGetActiveSession } from "../ke/shadow";
import { IoInitializeKeyQueues, IoQueueKeyEvent } from "../io/kbdqueue";
import {
  CAPSLOCK_ON, ENHANCED_KEY, KEY_EVENT_RECORD, LEFT_ALT_PRESSED, LEFT_CTRL_PRESSED, RIGHT_ALT_PRESSED, RIGHT_CTRL_PRESSED, SHIFT_PRESSED,
  VK_CAPITAL, VK_CONTROL, VK_MENU, VK_SHIFT,
} from "../sdk/ntuser";

const I8042_DATA: u32 = 0x60;          // data port: scan codes in, keyboard commands out
const I8042_STATUS: u32 = 0x64;        // status register (read)
const I8042_STATUS_OUTPUT_FULL: u32 = 0x01;  // a byte waits at the data port
const I8042_STATUS_INPUT_FULL: u32 = 0x02;   // the controller has not taken our last byte yet
const I8042_STATUS_AUX_DATA: u32 = 0x20;     // the waiting byte is the mouse's
const KBD_ENABLE_SCANNING: u32 = 0xF4; // keyboard command: start sending scan codes
const KBD_ACK: u32 = 0xFA;             // the keyboard's answer to a command
const KBD_RESEND: u32 = 0xFE;
const SCAN_EXTENDED: u32 = 0xE0;       // prefix of the extended keys (set 1)
const SCAN_BREAK: u32 = 0x80;          // set on a key's release
const KEYBOARD_IRQ: u32 = 1;

// Set 1 codes of the modifier keys.
const SC_LEFT_CTRL: u32 = 0x1D;   // E0 1D: right Ctrl
const SC_LEFT_SHIFT: u32 = 0x2A;
const SC_RIGHT_SHIFT: u32 = 0x36;
const SC_LEFT_ALT: u32 = 0x38;    // E0 38: right Alt
const SC_CAPS_LOCK: u32 = 0x3A;

// Characters of codes 0x00-0x39, without and with Shift (0: none).
const NORMAL = "\0\x1B1234567890-=\b\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
const SHIFTED = "\0\x1B!@#$%^&*()_+\b\tQWERTYUIOP{}\r\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

let I8042Extended: bool = false;
let I8042Shift: u32 = 0;     // bit 0 left, bit 1 right
let I8042State: u32 = 0;     // the dwControlKeyState bits other than Shift
/** Scan code bytes taken from the controller (ACKs included). */
export let I8042Bytes: u32 = 0;

const I8042Record: usize = memory.data(16, 4); // the interrupt routine's (interrupts off: one at a time)

/** The virtual-key code of set 1 code `code` (0x01-0x58), `extended` after 0xE0. */
function I8042VirtualKey(code: u32, extended: bool): u32 {
  if (extended) {
    switch (code) {
      case 0x1C: return 0x0D; // keypad Enter
      case SC_LEFT_CTRL: return VK_CONTROL;
      case SC_LEFT_ALT: return VK_MENU;
      case 0x35: return 0x6F; // keypad /
      case 0x47: return 0x24; // Home
      case 0x48: return 0x26; // Up
      case 0x49: return 0x21; // Page Up
      case 0x4B: return 0x25; // Left
      case 0x4D: return 0x27; // Right
      case 0x4F: return 0x23; // End
      case 0x50: return 0x28; // Down
      case 0x51: return 0x22; // Page Down
      case 0x52: return 0x2D; // Insert
      case 0x53: return 0x2E; // Delete
    }
    return 0;
  }
  if (code < <u32>NORMAL.length) {
    const c = <u32>NORMAL.charCodeAt(code);
    if (c >= 0x61 && c <= 0x7A) return c - 0x20;        // letters: 'A'-'Z'
    if (c >= 0x30 && c <= 0x39) return c;               // digits
    switch (c) {
      case 0x1B: case 0x08: case 0x09: case 0x0D: case 0x20: return c;
      case 0x3B: return 0xBA; // VK_OEM_1 ;
      case 0x3D: return 0xBB; // VK_OEM_PLUS =
      case 0x2C: return 0xBC; // VK_OEM_COMMA
      case 0x2D: return 0xBD; // VK_OEM_MINUS
      case 0x2E: return 0xBE; // VK_OEM_PERIOD
      case 0x2F: return 0xBF; // VK_OEM_2 /
      case 0x60: return 0xC0; // VK_OEM_3 `
      case 0x5B: return 0xDB; // VK_OEM_4 [
      case 0x5C: return 0xDC; // VK_OEM_5 backslash
      case 0x5D: return 0xDD; // VK_OEM_6 ]
      case 0x27: return 0xDE; // VK_OEM_7 '
      case 0x2A: return 0x6A; // VK_MULTIPLY (keypad *)
    }
  }
  switch (code) {
    case SC_LEFT_CTRL: return VK_CONTROL;
    case SC_LEFT_SHIFT: case SC_RIGHT_SHIFT: return VK_SHIFT;
    case SC_LEFT_ALT: return VK_MENU;
    case SC_CAPS_LOCK: return VK_CAPITAL;
    case 0x45: return 0x90; // VK_NUMLOCK
    case 0x46: return 0x91; // VK_SCROLL
    case 0x4A: return 0x6D; // VK_SUBTRACT
    case 0x4E: return 0x6B; // VK_ADD
    case 0x53: return 0x6E; // VK_DECIMAL
    case 0x57: return 0x7A; // F11
    case 0x58: return 0x7B; // F12
  }
  if (code >= 0x3B && code <= 0x44) return 0x70 + code - 0x3B; // F1-F10
  if (code >= 0x47 && code <= 0x52) {                          // keypad digits: VK_NUMPAD0-9
    const digits = "789-456+1230";
    const d = <u32>digits.charCodeAt(code - 0x47);
    if (d >= 0x30 && d <= 0x39) return 0x60 + d - 0x30;
  }
  return 0;
}

/** The character of a key (0 for none) given the modifiers. */
function I8042Character(code: u32, extended: bool): u32 {
  if (extended) return code == 0x1C ? 0x0D : code == 0x35 ? 0x2F : 0;
  if (code >= <u32>NORMAL.length) {
    if (code >= 0x47 && code <= 0x53) return <u32>"789-456+1230.".charCodeAt(code - 0x47);
    return 0;
  }
  let c = <u32>(I8042Shift != 0 ? SHIFTED : NORMAL).charCodeAt(code);
  const letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A;
  if (letter && (I8042State & CAPSLOCK_ON) != 0) c ^= 0x20;
  if (letter && (I8042State & (LEFT_CTRL_PRESSED | RIGHT_CTRL_PRESSED)) != 0) c &= 0x1F; // Ctrl+A = 1, as the console gives
  return c;
}

/** One scan code byte from the controller. */
function I8042Byte(byte: u32): void {
  I8042Bytes++;
  if (byte == KBD_ACK || byte == KBD_RESEND) return;
  if (byte == SCAN_EXTENDED) { I8042Extended = true; return; }
  const extended = I8042Extended;
  I8042Extended = false;
  const down = (byte & SCAN_BREAK) == 0;
  const code = byte & 0x7F;
  // The modifiers change before the event so that it reports the new state (as Windows does).
  if (code == SC_LEFT_SHIFT && !extended) I8042Shift = down ? I8042Shift | 1 : I8042Shift & ~1;
  else if (code == SC_RIGHT_SHIFT && !extended) I8042Shift = down ? I8042Shift | 2 : I8042Shift & ~2;
  else if (code == SC_LEFT_CTRL) {
    const bit = extended ? RIGHT_CTRL_PRESSED : LEFT_CTRL_PRESSED;
    I8042State = down ? I8042State | bit : I8042State & ~bit;
  } else if (code == SC_LEFT_ALT) {
    const bit = extended ? RIGHT_ALT_PRESSED : LEFT_ALT_PRESSED;
    I8042State = down ? I8042State | bit : I8042State & ~bit;
  } else if (code == SC_CAPS_LOCK && down && !extended) I8042State ^= CAPSLOCK_ON;
  const vk = I8042VirtualKey(code, extended);
  if (vk == 0) return; // a key we do not know
  const r = changetype<KEY_EVENT_RECORD>(I8042Record);
  r.bKeyDown = down ? 1 : 0;
  r.wRepeatCount = 1;
  r.wVirtualKeyCode = <u16>vk;
  r.wVirtualScanCode = <u16>code;
  r.UnicodeChar = <u16>I8042Character(code, extended);
  r.dwControlKeyState = I8042State | (I8042Shift != 0 ? SHIFT_PRESSED : 0) | (extended ? ENHANCED_KEY : 0);
  IoQueueKeyEvent(KeGetActiveSession(), I8042Record);
}

/** IRQ 1: every byte waiting at the controller. */
function I8042Interrupt(frame: usize): void {
  for (let n = 0; n < 16; n++) {
    const status = inb(I8042_STATUS);
    if ((status & I8042_STATUS_OUTPUT_FULL) == 0) break;
    const byte = inb(I8042_DATA);
    if ((status & I8042_STATUS_AUX_DATA) == 0) I8042Byte(byte);
  }
}

/** Phase 1: the key queues, IRQ 1, and the keyboard told to scan. */
export function I8042Initialize(): void {
  IoInitializeKeyQueues();
  for (let n = 0; n < 64 && (inb(I8042_STATUS) & I8042_STATUS_OUTPUT_FULL) != 0; n++) inb(I8042_DATA); // stale bytes
  KeConnectInterrupt(KEYBOARD_IRQ, I8042Interrupt);
  for (let n = 0; n < 100000 && (inb(I8042_STATUS) & I8042_STATUS_INPUT_FULL) != 0; n++);
  outb(I8042_DATA, KBD_ENABLE_SCANNING);
  KeLog("io", "i8042: keyboard on IRQ 1, scan code set 1");
}
