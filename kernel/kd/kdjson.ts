// The debugger's JSON: one answer built in a static buffer, and the request
// line taken apart, both without a heap (the kernel makes no strings at run
// time: test/kernel/wasm-host.test.ts).
//
// Output: KdpBegin(id) opens `{"id":N`, the query writes members with the
// helpers below (KdpMember writes `,"name":`), KdpEnd closes it with `}\n`.
// Text is escaped as JSON wants (quote, backslash, controls; anything past
// ASCII as \u00XX or \uXXXX). The buffer keeps ANSWER_RESERVE bytes back: a
// query that runs past the rest sets the overflow flag, and the answer
// becomes an error instead of a cut line. Long lists ask KdpRoom first.
//
// Input: a request is one JSON object of flat members,
//   {"id":1,"q":"process"}   {"id":2,"q":"object","path":"\\Sessions"}
// Members kept: id (number), q, path, key (strings), pid, n (numbers);
// others are skipped if they are strings, numbers, true, false or null.
// Anything else is a malformed request, answered with an error naming the
// byte where the parser stopped.

import { UNICODE_STRING } from "../sdk/ntdef";

/** The answer buffer. */
const ANSWER_SIZE: u32 = 60 * 1024;
/** Kept back for closing an answer or replacing it with an error. */
const ANSWER_RESERVE: u32 = 512;
export const KdAnswer: usize = memory.data(<i32>ANSWER_SIZE, 4);
export let KdAnswerLength: u32 = 0;
let KdpOverflow: bool = false;

const QUOTE: u32 = 0x22;
const BACKSLASH: u32 = 0x5C;
const HEX_DIGITS: string = "0123456789abcdef";

// ---- output ----

/** Appends one byte as it is (no escaping). */
export function KdpPut(c: u32): void {
  if (KdAnswerLength >= ANSWER_SIZE - ANSWER_RESERVE) { KdpOverflow = true; return; }
  store<u8>(KdAnswer + KdAnswerLength, <u8>c);
  KdAnswerLength++;
}

/** Appends ASCII text as it is (JSON punctuation and member names). */
export function KdpRaw(text: string): void {
  for (let i = 0; i < text.length; i++) KdpPut(<u32>text.charCodeAt(i));
}

/** Bytes still free before the reserve. */
export function KdpRoom(): u32 {
  const limit = ANSWER_SIZE - ANSWER_RESERVE;
  return KdAnswerLength >= limit ? 0 : limit - KdAnswerLength;
}

/** The answer ran out of room. */
export function KdpOverflowed(): bool { return KdpOverflow; }

/** `,"name":` */
export function KdpMember(name: string): void {
  KdpPut(0x2C);
  KdpPut(QUOTE);
  KdpRaw(name);
  KdpPut(QUOTE);
  KdpPut(0x3A);
}

/** A comma before every element but the first (`first` is the element's index). */
export function KdpComma(index: u32): void { if (index != 0) KdpPut(0x2C); }

export function KdpDecimal(value: u32): void {
  let scale: u32 = 1;
  while (value / scale >= 10) scale *= 10;
  while (scale != 0) {
    KdpPut(0x30 + (value / scale) % 10);
    scale /= 10;
  }
}

export function KdpDecimal64(value: u64): void {
  let scale: u64 = 1;
  while (value / scale >= 10) scale *= 10;
  while (scale != 0) {
    KdpPut(0x30 + <u32>((value / scale) % 10));
    scale /= 10;
  }
}

export function KdpBool(value: bool): void { KdpRaw(value ? "true" : "false"); }

/** `"0x%08X"` (a JSON string: JavaScript reads the number with parseInt). */
export function KdpHex(value: u32): void {
  KdpPut(QUOTE);
  KdpPut(0x30);
  KdpPut(0x78);
  for (let shift: i32 = 28; shift >= 0; shift -= 4) {
    const nibble = (value >>> <u32>shift) & 15;
    KdpPut(nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10);
  }
  KdpPut(QUOTE);
}

/** One character of a JSON string (a UTF-16 code unit or a byte), escaped where JSON needs it. */
export function KdpStringCharacter(c: u32): void {
  if (c == QUOTE || c == BACKSLASH) { KdpPut(BACKSLASH); KdpPut(c); return; }
  if (c >= 0x20 && c < 0x7F) { KdpPut(c); return; }
  KdpPut(BACKSLASH);
  KdpPut(0x75); // 'u'
  for (let shift: i32 = 12; shift >= 0; shift -= 4) KdpPut(<u32>HEX_DIGITS.charCodeAt((c >>> <u32>shift) & 15));
}

/** A JSON string from an AssemblyScript literal. */
export function KdpString(text: string): void {
  KdpPut(QUOTE);
  for (let i = 0; i < text.length; i++) KdpStringCharacter(<u32>text.charCodeAt(i));
  KdpPut(QUOTE);
}

/** A JSON string from `length` bytes at `address` (Latin-1). */
export function KdpStringBytes(address: usize, length: u32): void {
  KdpPut(QUOTE);
  for (let i: u32 = 0; i < length; i++) KdpStringCharacter(<u32>load<u8>(address + i));
  KdpPut(QUOTE);
}

/** A JSON string from a NUL-terminated byte string of at most `limit` bytes. */
export function KdpStringAsciiz(address: usize, limit: u32): void {
  let n: u32 = 0;
  while (n < limit && load<u8>(address + n) != 0) n++;
  KdpStringBytes(address, n);
}

/** A JSON string from `bytes` bytes of UTF-16 at `address`. */
export function KdpStringUnicode(address: usize, bytes: u32): void {
  KdpPut(QUOTE);
  for (let i: u32 = 0; i + 1 < bytes; i += 2) KdpStringCharacter(<u32>load<u16>(address + i));
  KdpPut(QUOTE);
}

/** A JSON string from a UNICODE_STRING (null for address 0). */
export function KdpUnicodeString(us: usize): void {
  if (us == 0) { KdpRaw("null"); return; }
  KdpStringUnicode(changetype<UNICODE_STRING>(us).Buffer, <u32>changetype<UNICODE_STRING>(us).Length);
}

/** Lowercase hex digits of `length` bytes, as one JSON string. */
export function KdpHexBytes(address: usize, length: u32): void {
  KdpPut(QUOTE);
  for (let i: u32 = 0; i < length; i++) {
    const b = <u32>load<u8>(address + i);
    KdpPut(<u32>HEX_DIGITS.charCodeAt(b >>> 4));
    KdpPut(<u32>HEX_DIGITS.charCodeAt(b & 15));
  }
  KdpPut(QUOTE);
}

/** Starts an answer: `{"id":N` (null when the request had no id). */
export function KdpBegin(): void {
  KdAnswerLength = 0;
  KdpOverflow = false;
  KdpPut(0x7B);
  KdpRaw("\"id\":");
  if (KdRequestHasId) KdpSignedDecimal(KdRequestId); else KdpRaw("null");
}

function KdpSignedDecimal(value: i32): void {
  if (value < 0) { KdpPut(0x2D); KdpDecimal(<u32>(-(<i64>value))); } else KdpDecimal(<u32>value);
}

/** Replaces whatever was built with an error answer. */
export function KdpError(message: string): void {
  KdpBegin();
  KdpMember("error");
  KdpString(message);
}

/** An error answer whose message ends with a byte offset (malformed requests). */
function KdpErrorAt(message: string, offset: u32): void {
  KdpError(message);
  KdAnswerLength--; // reopen the string
  KdpRaw(" at byte ");
  KdpDecimal(offset);
  KdpPut(QUOTE);
}

/** Closes the answer: `}` and a line end; an answer that ran out of room becomes an error. */
export function KdpEnd(): void {
  if (KdpOverflow) KdpError("answer too long (ask for less)");
  // the reserve is for this
  store<u8>(KdAnswer + KdAnswerLength, 0x7D);
  store<u8>(KdAnswer + KdAnswerLength + 1, 0x0A);
  KdAnswerLength += 2;
}

// ---- input ----

/** Longest request line kept, in bytes. */
export const REQUEST_MAX: u32 = 1024;
/** The request line (filled by kdinit.ts). */
export const KdRequest: usize = memory.data(<i32>REQUEST_MAX, 4);
/** Longest string member kept (path, key, q). */
const STRING_MAX: u32 = 512;

export let KdRequestHasId: bool = false;
export let KdRequestId: i32 = 0;
/** `q`, `path`/`key`: unescaped bytes. */
export const KdQuery: usize = memory.data(<i32>STRING_MAX, 4);
export let KdQueryLength: u32 = 0;
export const KdPath: usize = memory.data(<i32>STRING_MAX, 4);
export let KdPathLength: u32 = 0;
export let KdHasPath: bool = false;
export let KdPid: u32 = 0;
export let KdHasPid: bool = false;
export let KdCount: u32 = 0;
export let KdHasCount: bool = false;

/** Member names longer than this are skipped as unknown. */
const NAME_MAX: u32 = 16;
const NameBuffer: usize = memory.data(<i32>NAME_MAX, 4);
let NameLength: u32 = 0;
/** Scratch for string values of members nobody keeps. */
const SkipBuffer: usize = memory.data(<i32>STRING_MAX, 4);

let At: u32 = 0;
let End: u32 = 0;
/** Set by the parser when it fails: the message, and At says where. */
let Failure: string = "";

@inline function Peek(): u32 { return At < End ? <u32>load<u8>(KdRequest + At) : 0xFFFFFFFF; }

function SkipSpace(): void {
  while (At < End) {
    const c = <u32>load<u8>(KdRequest + At);
    if (c != 0x20 && c != 0x09 && c != 0x0D) break;
    At++;
  }
}

function Fail(message: string): bool { if (Failure.length == 0) Failure = message; return false; }

function HexValue(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  if (c >= 0x61 && c <= 0x66) return <i32>(c - 0x61 + 10);
  if (c >= 0x41 && c <= 0x46) return <i32>(c - 0x41 + 10);
  return -1;
}

/** A JSON string at At into `into` (at most `limit` bytes kept; longer fails); its length in ParsedLength. */
let ParsedLength: u32 = 0;
function ParseString(into: usize, limit: u32): bool {
  if (Peek() != QUOTE) return Fail("a string was expected");
  At++;
  let n: u32 = 0;
  while (true) {
    if (At >= End) return Fail("the string does not end");
    let c = <u32>load<u8>(KdRequest + At);
    At++;
    if (c == QUOTE) break;
    if (c < 0x20) return Fail("a control character in a string");
    if (c == BACKSLASH) {
      if (At >= End) return Fail("the string does not end");
      const e = <u32>load<u8>(KdRequest + At);
      At++;
      if (e == QUOTE || e == BACKSLASH || e == 0x2F) c = e;
      else if (e == 0x6E) c = 0x0A;
      else if (e == 0x72) c = 0x0D;
      else if (e == 0x74) c = 0x09;
      else if (e == 0x62) c = 0x08;
      else if (e == 0x66) c = 0x0C;
      else if (e == 0x75) {
        let v: i32 = 0;
        for (let k = 0; k < 4; k++) {
          const h = At < End ? HexValue(<u32>load<u8>(KdRequest + At)) : -1;
          if (h < 0) return Fail("a bad \\u escape");
          v = (v << 4) | h;
          At++;
        }
        c = v < 0x100 ? <u32>v : 0x3F; // the kernel's names here are ASCII: '?' past Latin-1
      } else return Fail("a bad escape");
    }
    if (n >= limit) return Fail("a string is too long");
    store<u8>(into + n, <u8>c);
    n++;
  }
  ParsedLength = n;
  return true;
}

/** A JSON number at At: an integer that fits 32 bits (a fraction or exponent fails). */
let ParsedNumber: i64 = 0;
function ParseNumber(): bool {
  let negative = false;
  if (Peek() == 0x2D) { negative = true; At++; }
  const first = Peek();
  if (first < 0x30 || first > 0x39) return Fail("a number was expected");
  let v: i64 = 0;
  let digits: u32 = 0;
  while (At < End) {
    const c = <u32>load<u8>(KdRequest + At);
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + <i64>(c - 0x30);
    digits++;
    if (digits > 10) return Fail("a number is too large");
    At++;
  }
  const next = Peek();
  if (next == 0x2E || next == 0x65 || next == 0x45) return Fail("only whole numbers are taken");
  if (negative) v = -v;
  if (v > 0xFFFFFFFF || v < -0x80000000) return Fail("a number is too large");
  ParsedNumber = v;
  return true;
}

function ParseLiteral(text: string): bool {
  for (let i = 0; i < text.length; i++) {
    if (Peek() != <u32>text.charCodeAt(i)) return Fail("an unknown literal");
    At++;
  }
  return true;
}

function NameIs(text: string): bool {
  if (NameLength != <u32>text.length) return false;
  for (let i: u32 = 0; i < NameLength; i++) if (<u32>load<u8>(NameBuffer + i) != <u32>text.charCodeAt(i)) return false;
  return true;
}

/** One member's value, kept when its name is one of ours. */
function ParseValue(): bool {
  const c = Peek();
  if (c == QUOTE) {
    if (NameIs("q")) {
      if (!ParseString(KdQuery, STRING_MAX)) return false;
      KdQueryLength = ParsedLength;
    } else if (NameIs("path") || NameIs("key")) {
      if (!ParseString(KdPath, STRING_MAX)) return false;
      KdPathLength = ParsedLength;
      KdHasPath = true;
    } else {
      if (!ParseString(SkipBuffer, STRING_MAX)) return false;
      if (NameIs("id")) return Fail("id must be a number");
    }
    return true;
  }
  if (c == 0x2D || (c >= 0x30 && c <= 0x39)) {
    if (!ParseNumber()) return false;
    if (NameIs("id")) { KdRequestId = <i32>ParsedNumber; KdRequestHasId = true; }
    else if (NameIs("pid")) { KdPid = <u32>ParsedNumber; KdHasPid = true; }
    else if (NameIs("n")) { KdCount = <u32>ParsedNumber; KdHasCount = true; }
    return true;
  }
  if (c == 0x74) return ParseLiteral("true");
  if (c == 0x66) return ParseLiteral("false");
  if (c == 0x6E) return ParseLiteral("null");
  if (c == 0x7B || c == 0x5B) return Fail("objects and arrays are not taken as values");
  return Fail("a value was expected");
}

/** Forgets the last request's members (an answer to a line nobody parsed has no id). */
export function KdpForgetRequest(): void {
  KdRequestHasId = false;
  KdRequestId = 0;
  KdQueryLength = 0;
  KdPathLength = 0;
  KdHasPath = false;
  KdHasPid = false;
  KdHasCount = false;
}

/**
 * Takes apart the request line of `length` bytes in KdRequest. On failure
 * the error answer is already built (KdpBegin...KdpEnd still to close) and
 * false comes back.
 */
export function KdpParseRequest(length: u32): bool {
  KdpForgetRequest();
  At = 0;
  End = length;
  Failure = "";
  let ok = KdpParseObject();
  if (ok) {
    SkipSpace();
    if (At != End) ok = Fail("text after the object");
  }
  if (!ok) KdpErrorAt(Failure.length != 0 ? Failure : "malformed request", At);
  return ok;
}

function KdpParseObject(): bool {
  SkipSpace();
  if (Peek() != 0x7B) return Fail("a request is a JSON object");
  At++;
  SkipSpace();
  if (Peek() == 0x7D) { At++; return true; }
  while (true) {
    SkipSpace();
    if (Peek() != QUOTE) return Fail("a member name was expected");
    if (!ParseString(SkipBuffer, STRING_MAX)) return false;
    NameLength = ParsedLength <= NAME_MAX ? ParsedLength : 0;
    memory.copy(NameBuffer, SkipBuffer, NameLength);
    SkipSpace();
    if (Peek() != 0x3A) return Fail("':' was expected");
    At++;
    SkipSpace();
    if (!ParseValue()) return false;
    SkipSpace();
    const c = Peek();
    At++;
    if (c == 0x7D) return true;
    if (c != 0x2C) { At--; return Fail("',' or '}' was expected"); }
  }
  return false;
}

/** The query name is `text`. */
export function KdpQueryIs(text: string): bool {
  if (KdQueryLength != <u32>text.length) return false;
  for (let i: u32 = 0; i < KdQueryLength; i++) if (<u32>load<u8>(KdQuery + i) != <u32>text.charCodeAt(i)) return false;
  return true;
}
