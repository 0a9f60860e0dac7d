// Output lines for the shell's system commands, built in one static buffer:
// the shell is built with AssemblyScript's stub runtime (memory from `new`
// is never given back), so a table row made of many pieces costs one string
// (the finished line handed to ShWriteLine) instead of one per piece.
// Also the small parsers the commands share (numbers, UTF-16 text in memory).

import { ShWriteLine } from "./io";

const LINE_CHARS: i32 = 1000;
const line = memory.data(LINE_CHARS * 2, 4);
let used: i32 = 0;

/** Appends `s`. */
export function Put(s: string): void {
  const n = min<i32>(s.length, LINE_CHARS - used);
  memory.copy(line + (<usize>used << 1), changetype<usize>(s), <usize>n << 1);
  used += n;
}

/** Appends `bytes` of UTF-16 at `p` (a UNICODE_STRING's text). */
export function PutText(p: usize, bytes: u32): void {
  const n = min<i32>(<i32>(bytes >> 1), LINE_CHARS - used);
  memory.copy(line + (<usize>used << 1), p, <usize>n << 1);
  used += n;
}

export function PutChar(c: i32): void { if (used < LINE_CHARS) { store<u16>(line + (<usize>used << 1), <u16>c); used++; } }

export function PutDec(v: u64): void {
  if (v >= 10) PutDec(v / 10);
  PutChar(<i32>(48 + v % 10));
}

/** `v` in decimal, right-aligned in `width` columns. */
export function PutDecRight(v: u64, width: i32): void {
  let digits = 1;
  for (let x = v; x >= 10; x /= 10) digits++;
  for (let i = digits; i < width; i++) PutChar(32);
  PutDec(v);
}

/** `0x` and `digits` upper-case hexadecimal digits. */
export function PutHex(v: u32, digits: i32 = 8): void {
  Put("0x");
  PutHexDigits(v, digits);
}
export function PutHexDigits(v: u32, digits: i32): void {
  for (let shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    const d = (v >>> <u32>shift) & 15;
    PutChar(d < 10 ? 48 + <i32>d : 55 + <i32>d);
  }
}

/** Spaces up to column `column` (at least one when the line is already there). */
export function PadTo(column: i32): void {
  if (used >= column && used > 0) { PutChar(32); return; }
  while (used < column) PutChar(32);
}

/** `s` left-aligned in `width` columns (one space after it at least). */
export function PutLeft(s: string, width: i32): void {
  const start = used;
  Put(s);
  PadTo(start + width);
}

/** Writes the line built so far and starts a new one. */
export function Emit(): void {
  ShWriteLine(String.UTF16.decodeUnsafe(line, <usize>used << 1));
  used = 0;
}

/** Writes `s` as one line (dropping anything half-built). */
export function EmitLine(s: string): void {
  used = 0;
  Put(s);
  Emit();
}

// ---- parsing ----

/** A decimal number, or `0x` and hexadecimal digits; -1 when `s` is not one. */
export function ParseNumber(s: string): i64 {
  if (s.length == 0) return -1;
  let v: i64 = 0;
  if (s.length > 2 && s.charCodeAt(0) == 48 && (s.charCodeAt(1) | 0x20) == 120) {
    for (let i = 2; i < s.length; i++) {
      const c = s.charCodeAt(i) | 0x20;
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0 || i > 9) return -1;
      v = (v << 4) | d;
    }
    return v;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57 || i > 9) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** ASCII upper case. */
export function UpperAscii(s: string): string {
  let same = true;
  for (let i = 0; i < s.length && same; i++) { const c = s.charCodeAt(i); if (c >= 97 && c <= 122) same = false; }
  if (same) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c, -1);
  }
  return out;
}

export function SameNoCase(a: string, b: string): bool { return a.length == b.length && UpperAscii(a) == UpperAscii(b); }

/** The text of the UNICODE_STRING at `u` as a string. */
export function UnicodeText(u: usize): string {
  const length = <u32>load<u16>(u);
  return length == 0 ? "" : String.UTF16.decodeUnsafe(load<usize>(u, 4), length);
}
