// The kernel log: one event per line on COM1, echoed on the VGA console.
//
//   [    0.012345] component: message
//
// seconds of uptime (at least 5 digits wide, right-aligned), 6 decimals,
// a short lowercase component name, the message. A line is built in a static
// buffer with the KeLog* helpers and sent whole by KeLogEnd, so lines from an
// interrupt routine never interleave with a line being built: KeLogBegin
// turns interrupts off until KeLogEnd. Nothing here allocates.
//
//   KeLogBegin("mm");
//   KeLogHex(base); KeLogString(" usable, "); KeLogDecimal(kib);
//   KeLogEnd();
//
// The bug check builds its STOP block with the same helpers after
// KeLogBeginBare (no timestamp, no component).

import { HalDisplayCharacter, HalDisplayNewLine } from "../hal/vga";
import { HalSerialNewLine, HalSerialWriteByte } from "../hal/serial";
import { HalQueryUptime, KUPTIME } from "../hal/pit";
import { cli, read_eflags, sti } from "../sdk/intrinsics";

/** Longest line in bytes (a whole DbgPrint text, 512 bytes, with its timestamp and component); longer text is cut. */
const LOG_LINE_MAX: u32 = 640;
/** Width of the seconds field before the decimal point. */
const LOG_SECONDS_WIDTH: u32 = 5;
/** EFLAGS.IF */
const EFLAGS_IF: u32 = 0x200;

const ASCII_SPACE: u32 = 0x20;
const ASCII_ZERO: u32 = 0x30;
const ASCII_UPPER_A: u32 = 0x41;
const ASCII_QUESTION: u32 = 0x3F;

// One line buffer for every thread: safe because a line is built and sent
// with interrupts off (KeLogBegin to KeLogEnd) and nothing in between waits
// (COM1 output polls when its ring is full), so no other thread can run and
// start a line of its own until this one is out.
const KiLogLine: usize = memory.data(LOG_LINE_MAX, 4);
const KiLogUptime: usize = memory.data(offsetof<KUPTIME>(), 4);
let KiLogLength: u32 = 0;
/** A line is being built (KeLogBegin ran, KeLogEnd did not yet). */
let KiLogActive: bool = false;
/** IF as it was at KeLogBegin, restored by KeLogEnd. */
let KiLogInterruptsWereOn: bool = false;

/** Gets each finished line (its bytes, no line end), interrupts off: the debugger's log ring. */
export type KLOG_SINK = (line: usize, length: u32) => void;
let KiLogSink: usize = 0;

/** The debugger (kernel/kd, above Ke) hands in where finished lines go besides COM1 and the screen. */
export function KeSetLogSink(sink: KLOG_SINK): void {
  KiLogSink = changetype<usize>(sink);
}

/** Appends one byte (non-ASCII becomes '?'). */
export function KeLogCharacter(character: u32): void {
  if (KiLogLength >= LOG_LINE_MAX) return;
  store<u8>(KiLogLine + KiLogLength, character < 0x80 ? character : ASCII_QUESTION);
  KiLogLength++;
}

/** Appends an AssemblyScript string (ASCII expected). */
export function KeLogString(text: string): void {
  for (let i = 0; i < text.length; i++) KeLogCharacter(<u32>text.charCodeAt(i));
}

/** Appends `bytes` bytes of UTF-16 text at `address` (a UNICODE_STRING's buffer; non-ASCII becomes '?'). */
export function KeLogUnicode(address: usize, bytes: u32): void {
  for (let i: u32 = 0; i + 1 < bytes; i += 2) KeLogCharacter(<u32>load<u16>(address + i));
}

/** Appends at most `limit` bytes of the C string at `address`. */
export function KeLogAsciiz(address: usize, limit: u32): void {
  for (let i: u32 = 0; i < limit; i++) {
    const character = <u32>load<u8>(address + i);
    if (character == 0) break;
    KeLogCharacter(character < ASCII_SPACE ? ASCII_SPACE : character);
  }
}

/** Appends `value` in decimal, padded on the left with `pad` to at least `width` characters. */
export function KeLogDecimalPadded(value: u32, width: u32, pad: u32): void {
  // Find the highest power of ten in `value`, then emit digits from the top.
  let digits: u32 = 1;
  let scale: u32 = 1;
  while (value / scale >= 10) {
    scale *= 10;
    digits++;
  }
  for (let i = digits; i < width; i++) KeLogCharacter(pad);
  while (scale != 0) {
    KeLogCharacter(ASCII_ZERO + (value / scale) % 10);
    scale /= 10;
  }
}

/** Appends `value` in decimal. */
export function KeLogDecimal(value: u32): void {
  KeLogDecimalPadded(value, 0, ASCII_ZERO);
}

/** Appends `value` as 0x followed by `digits` uppercase hex digits. */
export function KeLogHexDigits(value: u32, digits: u32): void {
  KeLogCharacter(ASCII_ZERO);
  KeLogCharacter(0x78); // 'x'
  for (let shift = <i32>(digits * 4) - 4; shift >= 0; shift -= 4) {
    const nibble = (value >>> <u32>shift) & 15;
    KeLogCharacter(nibble < 10 ? ASCII_ZERO + nibble : ASCII_UPPER_A + nibble - 10);
  }
}

/** Appends `value` as `0x%08X`. */
export function KeLogHex(value: u32): void {
  KeLogHexDigits(value, 8);
}

/** Starts a line with no prefix (the bug check block). Interrupts stay off until KeLogEnd. */
export function KeLogBeginBare(): void {
  if (!KiLogActive) {
    KiLogInterruptsWereOn = (read_eflags() & EFLAGS_IF) != 0;
    cli();
    KiLogActive = true;
  }
  // A line left half-built (a fault while formatting) is dropped.
  KiLogLength = 0;
}

// A line from a process (NtDisplayString, a write to \Device\Serial0) is
// tagged with its image name, which Ps knows: Ps, above Ke, hands in the
// routine that begins such a line (KeSetProcessLogRoutine, PsInitializeSystem).
function KiLogBeginUnknownProcess(): void { KeLogBegin("?"); }
let KiProcessLogRoutine: () => void = KiLogBeginUnknownProcess;
export function KeSetProcessLogRoutine(routine: () => void): void { KiProcessLogRoutine = routine; }
/** Begins a line whose component is the current process's image name. */
export function KeLogBeginForCurrentProcess(): void { KiProcessLogRoutine(); }

/** Starts a line: `[    0.012345] component: `. */
export function KeLogBegin(component: string): void {
  KiLogTimestamp();
  KeLogString(component);
  KeLogCharacter(0x3A); // ':'
  KeLogCharacter(ASCII_SPACE);
}

/** Starts a line whose component is a NUL-terminated ASCII name in memory (a process's image name). */
export function KeLogBeginAsciiz(component: usize): void {
  KiLogTimestamp();
  KeLogAsciiz(component, 16);
  KeLogCharacter(0x3A); // ':'
  KeLogCharacter(ASCII_SPACE);
}

function KiLogTimestamp(): void {
  KeLogBeginBare();
  HalQueryUptime(KiLogUptime);
  const uptime = changetype<KUPTIME>(KiLogUptime);
  KeLogCharacter(0x5B); // '['
  KeLogDecimalPadded(uptime.Seconds, LOG_SECONDS_WIDTH, ASCII_SPACE);
  KeLogCharacter(0x2E); // '.'
  KeLogDecimalPadded(uptime.Microseconds, 6, ASCII_ZERO);
  KeLogCharacter(0x5D); // ']'
  KeLogCharacter(ASCII_SPACE);
}

/** Sends the line to COM1 and the screen, then restores the interrupt flag. */
export function KeLogEnd(): void {
  if (KiLogSink != 0) changetype<KLOG_SINK>(KiLogSink)(KiLogLine, KiLogLength);
  for (let i: u32 = 0; i < KiLogLength; i++) {
    const character = <u32>load<u8>(KiLogLine + i);
    HalSerialWriteByte(character);
    HalDisplayCharacter(character);
  }
  HalSerialNewLine();
  HalDisplayNewLine();
  KiLogLength = 0;
  KiLogActive = false;
  if (KiLogInterruptsWereOn) sti();
}

/** One whole line with a fixed message. */
export function KeLog(component: string, message: string): void {
  KeLogBegin(component);
  KeLogString(message);
  KeLogEnd();
}

// One whole line from a format and up to four u32 arguments, in place of a
// KeLogBegin, KeLogString/Decimal/Hex/Character..., KeLogEnd sequence (one
// call and one string where that was a call and a string per piece: about
// 4 KiB of the kernel's image). In the format, %u is KeLogDecimal, %x
// KeLogHex (0x%08X), %c KeLogCharacter, %s KeLogString of the string whose
// address the argument is (changetype<usize>(text)), %% a '%'.

/** The arguments of the line being formatted: written after KeLogBegin (interrupts off), so no other line uses them meanwhile. */
const KiLogArguments: usize = memory.data(16, 4);

function KiLogFormat(format: string): void {
  let next = KiLogArguments;
  for (let i = 0; i < format.length; i++) {
    let character = <u32>format.charCodeAt(i);
    if (character == 0x25 && i + 1 < format.length) { // '%'
      i++;
      character = <u32>format.charCodeAt(i);
      if (character != 0x25) {
        const value = load<u32>(next);
        next += 4;
        if (character == 0x75) KeLogDecimal(value);               // 'u'
        else if (character == 0x78) KeLogHex(value);              // 'x'
        else if (character == 0x63) KeLogCharacter(value);        // 'c'
        else KeLogString(changetype<string>(<usize>value));       // 's'
        continue;
      }
    }
    KeLogCharacter(character);
  }
  KeLogEnd();
}

/** One whole line: `format` with one argument. */
export function KeLogFormat1(component: string, format: string, a: u32): void {
  KeLogBegin(component);
  store<u32>(KiLogArguments, a);
  KiLogFormat(format);
}

/** One whole line: `format` with two arguments. */
export function KeLogFormat2(component: string, format: string, a: u32, b: u32): void {
  KeLogBegin(component);
  store<u32>(KiLogArguments, a);
  store<u32>(KiLogArguments, b, 4);
  KiLogFormat(format);
}

/** One whole line: `format` with three arguments. */
export function KeLogFormat3(component: string, format: string, a: u32, b: u32, c: u32): void {
  KeLogBegin(component);
  store<u32>(KiLogArguments, a);
  store<u32>(KiLogArguments, b, 4);
  store<u32>(KiLogArguments, c, 8);
  KiLogFormat(format);
}

/** One whole line: `format` with four arguments. */
export function KeLogFormat4(component: string, format: string, a: u32, b: u32, c: u32, d: u32): void {
  KeLogBegin(component);
  store<u32>(KiLogArguments, a);
  store<u32>(KiLogArguments, b, 4);
  store<u32>(KiLogArguments, c, 8);
  store<u32>(KiLogArguments, d, 12);
  KiLogFormat(format);
}
