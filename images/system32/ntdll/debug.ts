// Debug output: DbgPrint, DbgPrintEx, vDbgPrintEx and the formatter behind
// them (also exported as the CRT's _vsnprintf, which ntdll carries too).
//
// Formats are CHAR strings with printf's conversions as Microsoft's CRT has
// them: flags - 0 + space #, a width and a precision (digits or '*'),
// sizes h l w ll I64 I32, and d i u x X o c C s S Z p %. %s is a CHAR
// string (%ws, %ls: WCHAR), %S a WCHAR string, %Z an ANSI_STRING, %wZ a
// UNICODE_STRING, %p eight uppercase hex digits. WCHARs become CHARs
// through the ANSI code page ('?' when it has none). NULL strings print
// "(null)".
//
// Arguments come from a va_list: a pointer to the 32-bit words the caller
// pushed (a 64-bit value takes two). DbgPrint itself is cdecl with
// variable arguments, which AssemblyScript cannot declare: it takes eight
// words after the format, so the DLL linker must export it (and
// DbgPrintEx) as cdecl; a caller pushing fewer words is fine, the extra
// ones are only read when the format asks for them. The text (at most 512
// characters, as NT's DbgPrint) goes to NtDisplayString: there is no
// kernel debugger to receive it yet.

import { NtDisplayString, RtlpProcessHeap, RtlpWcsLen, RtlpStrLen } from "./nt";
import { RtlAllocateHeap, RtlFreeHeap, RtlpAllocateScratch, RtlpFreeScratch } from "./heap";
import { RtlpUnicodeCharToAnsi, RtlpAnsiCharToUnicode } from "./string";
import { STATUS_NO_MEMORY, STATUS_SUCCESS } from "../../../kernel/sdk/ntstatus";
import { InitializeCountedString } from "../../../kernel/sdk/ntdef";

const DBGPRINT_MAX: u32 = 512;
const HEX_LOWER = "0123456789abcdef";
const HEX_UPPER = "0123456789ABCDEF";

// The output cursor (where, how much room, how many characters were
// produced) and room for a number's digits (+12, 24 bytes) and one
// character (+36): per call, from the process heap.
@unmanaged class Sink { at: usize; room: u32; count: u32; }
const SINK_BYTES: u32 = 40;

@inline function emit(s: Sink, c: u32): void {
  if (s.count < s.room) store<u8>(s.at + s.count, <u8>c);
  s.count++;
}
function pad(s: Sink, c: u32, n: i32): void { for (let i = 0; i < n; i++) emit(s, c); }

/** Writes an unsigned 64-bit number with the conversion's flags, width and precision. */
function number(s: Sink, value: u64, base: u32, upper: bool, negative: bool, flags: u32, width: i32, precision: i32): void {
  const digits = changetype<usize>(s) + 12;
  let n: i32 = 0;
  const table = upper ? HEX_UPPER : HEX_LOWER;
  let v = value;
  while (v != 0) { store<u8>(digits + n, <u8>table.charCodeAt(<i32>(v % base))); v /= base; n++; }
  if (precision < 0) precision = 1;
  const zeros = precision > n ? precision - n : 0;
  let prefix = "";
  if (negative) prefix = "-";
  else if ((flags & FLAG_PLUS) != 0) prefix = "+";
  else if ((flags & FLAG_SPACE) != 0) prefix = " ";
  if ((flags & FLAG_HASH) != 0 && value != 0) {
    if (base == 16) prefix = upper ? "0X" : "0x";
    else if (base == 8 && zeros == 0) prefix = "0";
  }
  const body = prefix.length + zeros + n;
  const fill = width > body ? width - body : 0;
  const zeroPad = (flags & FLAG_ZERO) != 0 && (flags & FLAG_MINUS) == 0 && (flags & FLAG_PRECISION) == 0;
  if ((flags & FLAG_MINUS) == 0 && !zeroPad) pad(s, 0x20, fill);
  for (let i = 0; i < prefix.length; i++) emit(s, prefix.charCodeAt(i));
  if (zeroPad) pad(s, 0x30, fill);
  pad(s, 0x30, zeros);
  for (let i = n - 1; i >= 0; i--) emit(s, load<u8>(digits + i));
  if ((flags & FLAG_MINUS) != 0) pad(s, 0x20, fill);
}

/** Writes `count` characters (CHARs, or WCHARs when `wide`) padded to `width`. */
function text(s: Sink, p: usize, count: u32, wide: bool, flags: u32, width: i32): void {
  const fill = width > <i32>count ? width - <i32>count : 0;
  if ((flags & FLAG_MINUS) == 0) pad(s, 0x20, fill);
  for (let i: u32 = 0; i < count; i++) emit(s, wide ? RtlpUnicodeCharToAnsi(load<u16>(p + (i << 1))) : load<u8>(p + i));
  if ((flags & FLAG_MINUS) != 0) pad(s, 0x20, fill);
}

const FLAG_MINUS: u32 = 1, FLAG_ZERO: u32 = 2, FLAG_PLUS: u32 = 4, FLAG_SPACE: u32 = 8, FLAG_HASH: u32 = 16, FLAG_PRECISION: u32 = 32;
const SIZE_DEFAULT: u32 = 0, SIZE_SHORT: u32 = 1, SIZE_LONG: u32 = 2, SIZE_WIDE: u32 = 3, SIZE_64: u32 = 4;

/**
 * Formats into `buffer` (`size` bytes) from the va_list `args`; returns the
 * characters the whole text has (which may exceed `size`). Nothing is
 * written past `size`, and no NUL is added.
 */
export function RtlpFormat(buffer: usize, size: u32, format: usize, args: usize): u32 {
  const block = RtlpAllocateScratch(SINK_BYTES);
  if (block == 0) return 0;
  const s = changetype<Sink>(block);
  s.at = buffer; s.room = size; s.count = 0;
  let f = format;
  let ap = args;
  for (;;) {
    let c = <u32>load<u8>(f++);
    if (c == 0) break;
    if (c != 0x25) { emit(s, c); continue; }
    let flags: u32 = 0;
    for (;;) {
      c = load<u8>(f);
      if (c == 0x2D) flags |= FLAG_MINUS; else if (c == 0x30) flags |= FLAG_ZERO; else if (c == 0x2B) flags |= FLAG_PLUS;
      else if (c == 0x20) flags |= FLAG_SPACE; else if (c == 0x23) flags |= FLAG_HASH; else break;
      f++;
    }
    let width: i32 = 0;
    if (load<u8>(f) == 0x2A) { width = load<i32>(ap); ap += 4; f++; if (width < 0) { flags |= FLAG_MINUS; width = -width; } }
    else while (load<u8>(f) >= 0x30 && load<u8>(f) <= 0x39) { width = width * 10 + <i32>load<u8>(f) - 0x30; f++; }
    let precision: i32 = -1;
    if (load<u8>(f) == 0x2E) {
      f++; flags |= FLAG_PRECISION; precision = 0;
      if (load<u8>(f) == 0x2A) { precision = load<i32>(ap); ap += 4; f++; }
      else while (load<u8>(f) >= 0x30 && load<u8>(f) <= 0x39) { precision = precision * 10 + <i32>load<u8>(f) - 0x30; f++; }
    }
    let sizeKind = SIZE_DEFAULT;
    c = load<u8>(f);
    if (c == 0x68) { sizeKind = SIZE_SHORT; f++; }
    else if (c == 0x6C) { f++; if (load<u8>(f) == 0x6C) { sizeKind = SIZE_64; f++; } else sizeKind = SIZE_LONG; }
    else if (c == 0x77) { sizeKind = SIZE_WIDE; f++; }
    else if (c == 0x49 && load<u8>(f, 1) == 0x36 && load<u8>(f, 2) == 0x34) { sizeKind = SIZE_64; f += 3; }
    else if (c == 0x49 && load<u8>(f, 1) == 0x33 && load<u8>(f, 2) == 0x32) { f += 3; }
    c = load<u8>(f++);
    if (c == 0) break;
    if (c == 0x64 || c == 0x69 || c == 0x75 || c == 0x78 || c == 0x58 || c == 0x6F) {
      let value: u64;
      if (sizeKind == SIZE_64) { value = load<u64>(ap); ap += 8; } else { value = <u64>load<u32>(ap); ap += 4; }
      let negative = false;
      if (c == 0x64 || c == 0x69) {
        let signed: i64 = sizeKind == SIZE_64 ? <i64>value : (sizeKind == SIZE_SHORT ? <i64><i16>value : <i64><i32>value);
        if (signed < 0) { negative = true; value = <u64>(-signed); } else value = <u64>signed;
      } else if (sizeKind == SIZE_SHORT) value &= 0xFFFF;
      const base: u32 = c == 0x78 || c == 0x58 ? 16 : c == 0x6F ? 8 : 10;
      number(s, value, base, c == 0x58, negative, flags, width, precision);
    } else if (c == 0x70) {
      number(s, <u64>load<u32>(ap), 16, true, false, flags & ~FLAG_HASH, width, 8); ap += 4;
    } else if (c == 0x63 || c == 0x43) {
      const ch = load<u32>(ap); ap += 4;
      const wide = c == 0x43 ? sizeKind != SIZE_SHORT : (sizeKind == SIZE_LONG || sizeKind == SIZE_WIDE);
      const one = block + 36;
      store<u16>(one, <u16>(wide ? ch : RtlpAnsiCharToUnicode(ch & 0xFF)));
      text(s, one, 1, true, flags, width);
    } else if (c == 0x73 || c == 0x53) {
      const p = load<usize>(ap); ap += 4;
      const wide = c == 0x53 ? sizeKind != SIZE_SHORT : (sizeKind == SIZE_LONG || sizeKind == SIZE_WIDE);
      if (p == 0) { text(s, changetype<usize>("(null)"), 6, true, flags, width); continue; }
      let count = wide ? RtlpWcsLen(p) : RtlpStrLen(p);
      if (precision >= 0 && <u32>precision < count) count = <u32>precision;
      text(s, p, count, wide, flags, width);
    } else if (c == 0x5A) {
      const p = load<usize>(ap); ap += 4;
      if (p == 0 || load<usize>(p, 4) == 0) { text(s, changetype<usize>("(null)"), 6, true, flags, width); continue; }
      const wide = sizeKind == SIZE_WIDE || sizeKind == SIZE_LONG;
      const bytes = <u32>load<u16>(p);
      text(s, load<usize>(p, 4), wide ? bytes >> 1 : bytes, wide, flags, width);
    } else if (c == 0x25) {
      emit(s, 0x25);
    } else {
      emit(s, 0x25); emit(s, c); // unknown conversion: written as it is
    }
  }
  const count = s.count;
  RtlpFreeScratch(block);
  return count;
}

/**
 * The CRT's _vsnprintf: at most `count` CHARs; returns the length, or -1
 * when the text did not fit (then no NUL is written), as Microsoft's does.
 */
export function _vsnprintf(buffer: usize, count: u32, format: usize, args: usize): i32 {
  const n = RtlpFormat(buffer, count, format, args);
  if (n > count) return -1;
  if (n < count) store<u8>(buffer + n, 0);
  return <i32>n;
}

/** Formats and shows a message (see the header for the argument words). */
export function vDbgPrintEx(componentId: u32, level: u32, format: usize, args: usize): u32 {
  const heap = RtlpProcessHeap();
  const block = RtlAllocateHeap(heap, 0, 8 + DBGPRINT_MAX * 3);
  if (block == 0) return STATUS_NO_MEMORY;
  const us = block, chars = block + 8, wide = chars + DBGPRINT_MAX;
  let n = RtlpFormat(chars, DBGPRINT_MAX, format, args);
  if (n > DBGPRINT_MAX) n = DBGPRINT_MAX;
  for (let i: u32 = 0; i < n; i++) store<u16>(wide + (i << 1), <u16>RtlpAnsiCharToUnicode(load<u8>(chars + i)));
  InitializeCountedString(us, wide, n << 1, n << 1);
  NtDisplayString(us);
  RtlFreeHeap(heap, 0, block);
  return STATUS_SUCCESS;
}

/** DbgPrint(Format, ...): cdecl; up to eight argument words. */
export function DbgPrint(format: usize, a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32): u32 {
  const args = RtlpAllocateScratch(32);
  if (args == 0) return STATUS_NO_MEMORY;
  store<u32>(args, a0, 0); store<u32>(args, a1, 4); store<u32>(args, a2, 8); store<u32>(args, a3, 12);
  store<u32>(args, a4, 16); store<u32>(args, a5, 20); store<u32>(args, a6, 24); store<u32>(args, a7, 28);
  const status = vDbgPrintEx(0xFFFFFFFF, 0, format, args);
  RtlpFreeScratch(args);
  return status;
}

/** DbgPrintEx(ComponentId, Level, Format, ...): cdecl; up to eight argument words. */
export function DbgPrintEx(componentId: u32, level: u32, format: usize, a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32): u32 {
  const args = RtlpAllocateScratch(32);
  if (args == 0) return STATUS_NO_MEMORY;
  store<u32>(args, a0, 0); store<u32>(args, a1, 4); store<u32>(args, a2, 8); store<u32>(args, a3, 12);
  store<u32>(args, a4, 16); store<u32>(args, a5, 20); store<u32>(args, a6, 24); store<u32>(args, a7, 28);
  const status = vDbgPrintEx(componentId, level, format, args);
  RtlpFreeScratch(args);
  return status;
}
