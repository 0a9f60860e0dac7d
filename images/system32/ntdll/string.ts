// Counted strings: UNICODE_STRING and ANSI_STRING, as ntdll exports them.
//
//   UNICODE_STRING (8 bytes)              ANSI_STRING / STRING (8 bytes)
//     +0 u16 Length         bytes of text   +0 u16 Length         bytes of text
//     +2 u16 MaximumLength  bytes of buffer +2 u16 MaximumLength
//     +4 u32 Buffer         WCHAR*          +4 u32 Buffer         CHAR*
//
// Lengths never count the terminating NUL; routines write one when the
// buffer has room for it, as NT does. Strings that NT allocates (Create,
// Allocate = TRUE conversions) come from the process heap and go back with
// RtlFreeUnicodeString / RtlFreeAnsiString.
//
// The ANSI code page is Windows-1252: bytes 0x80-0x9F map to the characters
// in CP1252_HIGH, every other byte to the code unit of the same value;
// characters with no byte become '?' (the code page's default character).

import { RtlpProcessHeap, RtlpWcsLen, RtlpStrLen } from "./nt";
import { RtlAllocateHeap, RtlFreeHeap } from "./heap";
import {
  STATUS_ACCESS_VIOLATION, STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL,
  STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_2, STATUS_NAME_TOO_LONG, STATUS_NO_MEMORY,
  STATUS_SUCCESS,
} from "../../../kernel/sdk/ntstatus";
import { UNICODE_STRING } from "../../../kernel/sdk/ntdef";

const MAXUSHORT: u32 = 0xFFFF;

@inline function len(s: usize): u32 { return <u32>changetype<UNICODE_STRING>(s).Length; }
@inline function maxLen(s: usize): u32 { return <u32>changetype<UNICODE_STRING>(s).MaximumLength; }
@inline function buf(s: usize): usize { return changetype<UNICODE_STRING>(s).Buffer; }
/** Fills a UNICODE_STRING / STRING (the same layout): Length, MaximumLength, Buffer. */
@inline export function setString(s: usize, length: u32, maximum: u32, buffer: usize): void {
  const u = changetype<UNICODE_STRING>(s);
  u.Length = <u16>length; u.MaximumLength = <u16>maximum; u.Buffer = buffer;
}

// ---- initialisation ----

/** Points `dest` at a NUL-terminated WCHAR string (no copy); NULL gives an empty string. */
export function RtlInitUnicodeString(dest: usize, source: usize): void {
  if (source == 0) { setString(dest, 0, 0, 0); return; }
  let bytes = RtlpWcsLen(source) << 1;
  if (bytes > 0xFFFC) bytes = 0xFFFC;
  setString(dest, bytes, bytes + 2, source);
}

/** As RtlInitUnicodeString, but a string of 32767 characters or more is refused. */
export function RtlInitUnicodeStringEx(dest: usize, source: usize): u32 {
  if (source == 0) { setString(dest, 0, 0, 0); return STATUS_SUCCESS; }
  const bytes = RtlpWcsLen(source) << 1;
  if (bytes > 0xFFFC) return STATUS_NAME_TOO_LONG;
  setString(dest, bytes, bytes + 2, source);
  return STATUS_SUCCESS;
}

/** Points `dest` at a NUL-terminated CHAR string (no copy). */
export function RtlInitAnsiString(dest: usize, source: usize): void {
  if (source == 0) { setString(dest, 0, 0, 0); return; }
  let bytes = RtlpStrLen(source);
  if (bytes > 0xFFFE) bytes = 0xFFFE;
  setString(dest, bytes, bytes + 1, source);
}

/** RtlInitString is RtlInitAnsiString under its other name. */
export function RtlInitString(dest: usize, source: usize): void { RtlInitAnsiString(dest, source); }

/** A copy of a NUL-terminated WCHAR string on the process heap; FALSE when it does not fit. */
export function RtlCreateUnicodeString(dest: usize, source: usize): bool {
  const size = (RtlpWcsLen(source) + 1) << 1;
  if (size > 0xFFFE) return false;
  const buffer = RtlAllocateHeap(RtlpProcessHeap(), 0, size);
  if (buffer == 0) return false;
  memory.copy(buffer, source, size);
  setString(dest, size - 2, size, buffer);
  return true;
}

/** Frees a string RtlCreateUnicodeString or a conversion allocated, and empties it. */
export function RtlFreeUnicodeString(s: usize): void {
  if (buf(s) != 0) RtlFreeHeap(RtlpProcessHeap(), 0, buf(s));
  setString(s, 0, 0, 0);
}

export function RtlFreeAnsiString(s: usize): void { RtlFreeUnicodeString(s); }

// ---- copying and appending ----

/** Copies as much of `source` as `dest` holds; NUL-terminates when there is room. NULL source empties dest. */
export function RtlCopyUnicodeString(dest: usize, source: usize): void {
  if (source == 0) { store<u16>(dest, 0); return; }
  let bytes = len(source);
  if (bytes > maxLen(dest)) bytes = maxLen(dest) & ~1;
  memory.copy(buf(dest), buf(source), bytes);
  if (bytes + 2 <= maxLen(dest)) store<u16>(buf(dest) + bytes, 0);
  store<u16>(dest, <u16>bytes);
}

/** Appends `bytes` of text at `text` to `dest`: STATUS_BUFFER_TOO_SMALL when it does not fit. */
function RtlpAppend(dest: usize, text: usize, bytes: u32): u32 {
  const length = len(dest);
  if (length + bytes > maxLen(dest)) return STATUS_BUFFER_TOO_SMALL;
  memory.copy(buf(dest) + length, text, bytes);
  store<u16>(dest, <u16>(length + bytes));
  if (length + bytes + 2 <= maxLen(dest)) store<u16>(buf(dest) + length + bytes, 0);
  return STATUS_SUCCESS;
}

/** Appends a NUL-terminated WCHAR string (NULL appends nothing). */
export function RtlAppendUnicodeToString(dest: usize, source: usize): u32 {
  if (source == 0) return STATUS_SUCCESS;
  return RtlpAppend(dest, source, RtlpWcsLen(source) << 1);
}

/** Appends a UNICODE_STRING. */
export function RtlAppendUnicodeStringToString(dest: usize, source: usize): u32 {
  if (len(source) == 0) return STATUS_SUCCESS;
  return RtlpAppend(dest, buf(source), len(source));
}

/** Copies an ANSI_STRING as far as it fits (STRING copy). */
export function RtlCopyString(dest: usize, source: usize): void {
  if (source == 0) { store<u16>(dest, 0); return; }
  let bytes = len(source);
  if (bytes > maxLen(dest)) bytes = maxLen(dest);
  memory.copy(buf(dest), buf(source), bytes);
  store<u16>(dest, <u16>bytes);
}

// ---- case and comparison ----

/**
 * The uppercase form of a UTF-16 code unit for ASCII, Latin-1, Latin
 * Extended-A, Greek and Cyrillic (what NT's upcase table does there);
 * others are returned as they are.
 */
export function RtlUpcaseUnicodeChar(c: u32): u32 {
  c &= 0xFFFF;
  if (c < 0x61) return c;
  if (c <= 0x7A) return c - 0x20;
  if (c < 0xB5) return c;
  if (c == 0xB5) return 0x39C;                               // micro sign -> Greek Mu
  if (c < 0xE0) return c;
  if (c < 0xFF) return c == 0xF7 ? c : c - 0x20;             // à..þ except ÷
  if (c == 0xFF) return 0x178;
  if (c < 0x100) return c;
  if (c < 0x138) return c == 0x131 ? 0x49 : c & ~1;          // pairs: even upper, odd lower; ı -> I
  if (c >= 0x139 && c <= 0x148) return (c & 1) == 0 ? c - 1 : c;
  if (c >= 0x14A && c <= 0x177) return c & ~1;
  if (c >= 0x179 && c <= 0x17E) return (c & 1) == 0 ? c - 1 : c;
  if (c == 0x17F) return 0x53;                               // long s
  if (c >= 0x3B1 && c <= 0x3CB) return c == 0x3C2 ? 0x3A3 : c - 0x20;
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 0x25;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 0x3F;
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  if (c >= 0xFF41 && c <= 0xFF5A) return c - 0x20;           // fullwidth a-z
  return c;
}

/** The lowercase form, the inverse of RtlUpcaseUnicodeChar on the same ranges. */
export function RtlDowncaseUnicodeChar(c: u32): u32 {
  c &= 0xFFFF;
  if (c < 0x41) return c;
  if (c <= 0x5A) return c + 0x20;
  if (c < 0xC0) return c;
  if (c <= 0xDE) return c == 0xD7 ? c : c + 0x20;
  if (c < 0x100) return c;
  if (c < 0x138) return c == 0x130 ? 0x69 : c | 1;
  if (c >= 0x139 && c <= 0x148) return (c & 1) == 1 ? c + 1 : c;
  if (c >= 0x14A && c <= 0x177) return c | 1;
  if (c == 0x178) return 0xFF;
  if (c >= 0x179 && c <= 0x17E) return (c & 1) == 1 ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 0x20;
  return c;
}

/** Compares two UNICODE_STRINGs: < 0, 0 or > 0; the first differing character decides, then the length. */
export function RtlCompareUnicodeString(a: usize, b: usize, caseInsensitive: bool): i32 {
  const la = len(a), lb = len(b);
  const n = (la < lb ? la : lb) >> 1;
  const pa = buf(a), pb = buf(b);
  for (let i: u32 = 0; i < n; i++) {
    let ca = <u32>load<u16>(pa + (i << 1)), cb = <u32>load<u16>(pb + (i << 1));
    if (caseInsensitive) { ca = RtlUpcaseUnicodeChar(ca); cb = RtlUpcaseUnicodeChar(cb); }
    if (ca != cb) return <i32>ca - <i32>cb;
  }
  return <i32>la - <i32>lb;
}

/** TRUE when both strings hold the same text. */
export function RtlEqualUnicodeString(a: usize, b: usize, caseInsensitive: bool): bool {
  if (len(a) != len(b)) return false;
  return RtlCompareUnicodeString(a, b, caseInsensitive) == 0;
}

/** TRUE when `prefix` begins `s`. */
export function RtlPrefixUnicodeString(prefix: usize, s: usize, caseInsensitive: bool): bool {
  const n = len(prefix);
  if (n > len(s)) return false;
  const pa = buf(prefix), pb = buf(s);
  for (let i: u32 = 0; i < n; i += 2) {
    let ca = <u32>load<u16>(pa + i), cb = <u32>load<u16>(pb + i);
    if (ca == cb) continue;
    if (!caseInsensitive || RtlUpcaseUnicodeChar(ca) != RtlUpcaseUnicodeChar(cb)) return false;
  }
  return true;
}

/** Uppercases `source` into `dest` (allocated on the process heap when `allocate`). */
export function RtlUpcaseUnicodeString(dest: usize, source: usize, allocate: bool): u32 {
  const bytes = len(source);
  if (allocate) {
    const buffer = RtlAllocateHeap(RtlpProcessHeap(), 0, bytes + 2);
    if (buffer == 0) return STATUS_NO_MEMORY;
    setString(dest, 0, bytes + 2, buffer);
  } else if (bytes > maxLen(dest)) return STATUS_BUFFER_OVERFLOW;
  const from = buf(source), to = buf(dest);
  for (let i: u32 = 0; i < bytes; i += 2) store<u16>(to + i, <u16>RtlUpcaseUnicodeChar(load<u16>(from + i)));
  store<u16>(dest, <u16>bytes);
  return STATUS_SUCCESS;
}

// ---- ANSI (Windows-1252) <-> Unicode ----

// Windows-1252 bytes 0x80..0x9F; 0xFFFD marks the five undefined bytes, which map to themselves.
const CP1252_HIGH: usize = memory.data<u16>([
  0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
  0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
]);

/** The UTF-16 code unit for an ANSI byte. */
export function RtlpAnsiCharToUnicode(b: u32): u32 {
  if (b >= 0x80 && b <= 0x9F) {
    const c = <u32>load<u16>(CP1252_HIGH + ((b - 0x80) << 1));
    return c == 0xFFFD ? b : c;
  }
  return b;
}

/** The ANSI byte for a UTF-16 code unit, '?' when the code page has none. */
export function RtlpUnicodeCharToAnsi(c: u32): u32 {
  if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) return c;
  for (let i: u32 = 0; i < 32; i++) if (<u32>load<u16>(CP1252_HIGH + (i << 1)) == c) return 0x80 + i;
  if (c >= 0x80 && c <= 0x9F) return c; // the five undefined bytes
  return 0x3F;
}

/** Converts an ANSI_STRING; `allocate` takes the buffer from the process heap. */
export function RtlAnsiStringToUnicodeString(dest: usize, source: usize, allocate: bool): u32 {
  const size = (len(source) + 1) << 1; // RtlAnsiStringToUnicodeSize: with the NUL
  if (size > MAXUSHORT) return STATUS_INVALID_PARAMETER_2;
  const bytes = size - 2;
  if (allocate) {
    const buffer = RtlAllocateHeap(RtlpProcessHeap(), 0, size);
    if (buffer == 0) { store<u16>(dest, 0); return STATUS_NO_MEMORY; }
    setString(dest, bytes, size, buffer);
  } else {
    if (bytes >= maxLen(dest)) return STATUS_BUFFER_OVERFLOW;
    store<u16>(dest, <u16>bytes);
  }
  const from = buf(source), to = buf(dest);
  const n = len(source);
  for (let i: u32 = 0; i < n; i++) store<u16>(to + (i << 1), <u16>RtlpAnsiCharToUnicode(load<u8>(from + i)));
  if (bytes + 2 <= maxLen(dest)) store<u16>(to + bytes, 0);
  return STATUS_SUCCESS;
}

/**
 * Converts a UNICODE_STRING to ANSI. Without `allocate`, a buffer too small
 * gets as much as fits (NUL-terminated) and STATUS_BUFFER_OVERFLOW, as NT does.
 */
export function RtlUnicodeStringToAnsiString(dest: usize, source: usize, allocate: bool): u32 {
  const size = (len(source) >> 1) + 1;
  if (size > MAXUSHORT) return STATUS_INVALID_PARAMETER_2;
  let status = STATUS_SUCCESS;
  let n = size - 1;
  if (allocate) {
    const buffer = RtlAllocateHeap(RtlpProcessHeap(), 0, size);
    if (buffer == 0) { store<u16>(dest, 0); return STATUS_NO_MEMORY; }
    setString(dest, n, size, buffer);
  } else if (n >= maxLen(dest)) {
    // No room at all: Length tells the caller what the text needs.
    if (maxLen(dest) == 0) { store<u16>(dest, <u16>n); return STATUS_BUFFER_OVERFLOW; }
    status = STATUS_BUFFER_OVERFLOW;
    n = maxLen(dest) - 1;
  }
  store<u16>(dest, <u16>n);
  const from = buf(source), to = buf(dest);
  for (let i: u32 = 0; i < n; i++) store<u8>(to + i, <u8>RtlpUnicodeCharToAnsi(load<u16>(from + (i << 1))));
  store<u8>(to + n, 0);
  return status;
}

/** Bytes RtlAnsiStringToUnicodeString needs, with the NUL. */
export function RtlAnsiStringToUnicodeSize(source: usize): u32 { return (len(source) + 1) << 1; }
/** Bytes RtlUnicodeStringToAnsiString needs, with the NUL. */
export function RtlUnicodeStringToAnsiSize(source: usize): u32 { return (len(source) >> 1) + 1; }

// ---- numbers ----

const DIGITS = "0123456789ABCDEF";

/**
 * Writes `value` in `base` (0 = 10; 2, 8, 10, 16) as CHARs into `length`
 * bytes at `out`, NUL-terminated when there is room.
 */
export function RtlIntegerToChar(value: u32, base: u32, length: i32, out: usize): u32 {
  if (base == 0) base = 10;
  if (base != 2 && base != 8 && base != 10 && base != 16) return STATUS_INVALID_PARAMETER;
  let digits: i32 = 0;
  let v = value;
  do { digits++; v /= base; } while (v != 0);
  if (length < digits) return STATUS_BUFFER_OVERFLOW;
  if (out == 0) return STATUS_ACCESS_VIOLATION;
  v = value;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(out + <usize>i, <u8>DIGITS.charCodeAt(<i32>(v % base)));
    v /= base;
  }
  if (length > digits) store<u8>(out + <usize>digits, 0);
  return STATUS_SUCCESS;
}

/**
 * Writes `value` in `base` into a UNICODE_STRING, NUL-terminated when there
 * is room; STATUS_BUFFER_OVERFLOW (and the buffer untouched) when the
 * digits themselves do not fit.
 */
export function RtlIntegerToUnicodeString(value: u32, base: u32, s: usize): u32 {
  if (base == 0) base = 10;
  if (base != 2 && base != 8 && base != 10 && base != 16) return STATUS_INVALID_PARAMETER;
  let digits: u32 = 0;
  let v = value;
  do { digits++; v /= base; } while (v != 0);
  if ((digits << 1) > maxLen(s)) return STATUS_BUFFER_OVERFLOW;
  const to = buf(s);
  v = value;
  for (let i = <i32>digits - 1; i >= 0; i--) {
    store<u16>(to + (<usize>i << 1), <u16>DIGITS.charCodeAt(<i32>(v % base)));
    v /= base;
  }
  if ((digits << 1) + 2 <= maxLen(s)) store<u16>(to + (digits << 1), 0);
  store<u16>(s, <u16>(digits << 1));
  return STATUS_SUCCESS;
}

/**
 * Reads an unsigned number (wrapping modulo 2^32) from a UNICODE_STRING:
 * leading characters up to ' ' are skipped, then one '+' or '-'; base 0
 * takes a "0x", "0o" or "0b" prefix (else decimal); reading stops at the
 * first character that is not a digit of the base. An empty string is 0.
 */
export function RtlUnicodeStringToInteger(s: usize, base: u32, value: usize): u32 {
  let p = buf(s);
  let left = len(s) >> 1;
  while (left > 0 && load<u16>(p) <= 0x20) { p += 2; left--; }
  let negative = false;
  if (left > 0) {
    const c = load<u16>(p);
    if (c == 0x2D) { negative = true; p += 2; left--; }
    else if (c == 0x2B) { p += 2; left--; }
  }
  if (base == 0) {
    base = 10;
    if (left >= 2 && load<u16>(p) == 0x30) {
      const c = load<u16>(p, 2);
      if (c == 0x78) base = 16; else if (c == 0x6F) base = 8; else if (c == 0x62) base = 2;
      if (base != 10) { p += 4; left -= 2; }
    }
  } else if (base != 2 && base != 8 && base != 10 && base != 16) {
    return STATUS_INVALID_PARAMETER;
  }
  if (value == 0) return STATUS_ACCESS_VIOLATION;
  let total: u32 = 0;
  while (left > 0) {
    const c = <u32>load<u16>(p);
    let digit: u32 = 99;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (c >= 0x41 && c <= 0x5A) digit = c - 0x41 + 10;
    else if (c >= 0x61 && c <= 0x7A) digit = c - 0x61 + 10;
    if (digit >= base) break;
    total = total * base + digit;
    p += 2; left--;
  }
  store<u32>(value, negative ? 0 - total : total);
  return STATUS_SUCCESS;
}
