// smss's small tools: the log (one NtDisplayString per line, which the
// kernel prints as `smss: <text>`), numbers as text, and counted strings and
// OBJECT_ATTRIBUTES over AssemblyScript strings.
//
// smss is built with AssemblyScript's stub runtime: `new` takes memory from
// a bump allocator that never gives it back. Initialization allocates a
// bounded amount; the API loop (smapi.ts) allocates nothing per message.

import { WorldSecurityDescriptor } from "../images/system32/native/security";
import { InitializeCountedString, InitializeObjectAttributes, OBJECT_ATTRIBUTES } from "../kernel/sdk/ntdef";
import { NtDisplayString, OBJ_CASE_INSENSITIVE } from "./ntapi";

const line = memory.data(8, 4);

/** One log line: `smss: <step>: <text>`. */
export function SmpLog(step: string, text: string): void {
  SmpLogText(step + ": " + text);
}

/** One log line with the text as given (`smss: <text>`). */
export function SmpLogText(text: string): void {
  const bytes = text.length << 1;
  const length = bytes > 0xFFFE ? 0xFFFE : bytes;
  InitializeCountedString(line, changetype<usize>(text), length, length);
  NtDisplayString(line);
}

/** ReactOS's and NT's failure line: `smss: <Call> failed - Status == 0x........`, then what it was about. */
export function SmpLogFailure(call: string, status: u32, about: string): void {
  SmpLogText(call + " failed - Status == " + SmpHex(status) + (about.length != 0 ? " (" + about + ")" : ""));
}

/** `0x` and eight upper-case hexadecimal digits. */
export function SmpHex(value: u32): string {
  let s = "0x";
  for (let shift = 28; shift >= 0; shift -= 4) {
    const d = (value >>> <u32>shift) & 15;
    s += String.fromCharCode(d < 10 ? 48 + d : 55 + d, -1);
  }
  return s;
}

/** Four hexadecimal digits, lower case as Windows writes PROCESSOR_REVISION. */
export function SmpHex4(value: u32): string {
  let s = "";
  for (let shift = 12; shift >= 0; shift -= 4) {
    const d = (value >>> <u32>shift) & 15;
    s += String.fromCharCode(d < 10 ? 48 + d : 87 + d, -1);
  }
  return s;
}

export function SmpDecimal(value: u64): string {
  if (value == 0) return "0";
  let s = "";
  while (value != 0) { s = String.fromCharCode(<i32>(48 + value % 10), -1) + s; value /= 10; }
  return s;
}

/** A decimal number at the start of `s` (spaces skipped); -1 when there is none. */
export function SmpParseDecimal(s: string): i64 {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) == 0x20) i++;
  if (i == s.length) return -1;
  let v: i64 = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
    if (v > 0x7FFFFFFF) return -1;
  }
  return v;
}

/** ASCII upper case (what names in the registry and the object namespace compare by here). */
export function SmpUpper(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c, -1);
  }
  return out;
}

export function SmpEqualNoCase(a: string, b: string): bool { return a.length == b.length && SmpUpper(a) == SmpUpper(b); }

/** `s` without leading and trailing spaces and tabs. */
export function SmpTrim(s: string): string {
  let a = 0, b = s.length;
  while (a < b && (s.charCodeAt(a) == 0x20 || s.charCodeAt(a) == 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) == 0x20 || s.charCodeAt(b - 1) == 9)) b--;
  return s.substring(a, b);
}

/** The words of `s` separated by spaces or tabs. */
export function SmpWords(s: string): string[] {
  const words = new Array<string>();
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s.charCodeAt(i) == 0x20 || s.charCodeAt(i) == 9)) i++;
    const start = i;
    while (i < s.length && s.charCodeAt(i) != 0x20 && s.charCodeAt(i) != 9) i++;
    if (i > start) words.push(s.substring(start, i));
  }
  return words;
}

/** A new UNICODE_STRING over a NUL-terminated copy of `s`. */
export function SmpUnicode(s: string): usize {
  const bytes = <u32>s.length << 1;
  const u = heap.alloc(8 + bytes + 2);
  memory.copy(u + 8, changetype<usize>(s), bytes);
  store<u16>(u + 8 + bytes, 0);
  InitializeCountedString(u, u + 8, bytes, bytes + 2);
  return u;
}

/** A UNICODE_STRING's text. */
export function SmpString(u: usize): string {
  return SmpStringAt(load<usize>(u, 4), <u32>load<u16>(u));
}

/** `bytes` of UTF-16 at `p` as a string, up to the first NUL. */
export function SmpStringAt(p: usize, bytes: u32): string {
  let n: u32 = 0;
  while (n + 1 < bytes && load<u16>(p + n) != 0) n += 2;
  return String.UTF16.decodeUnsafe(p, n);
}

/** A new OBJECT_ATTRIBUTES for `name` (case-insensitive, plus `attributes`), relative to `root`. */
export function SmpAttributes(name: string, attributes: u32, root: u32): usize {
  return InitializeObjectAttributes(heap.alloc(offsetof<OBJECT_ATTRIBUTES>()), name.length != 0 ? SmpUnicode(name) : 0, attributes | OBJ_CASE_INSENSITIVE, root, 0);
}

/** Everyone's access to what smss shares: GENERIC_READ | GENERIC_EXECUTE. */
export const SMP_WORLD_READ: u32 = 0xA0000000;

/**
 * SmpAttributes with a descriptor for what smss shares with every process
 * (native/security.ts: Everyone `worldAccess`, GENERIC_READ | GENERIC_EXECUTE
 * by default; SYSTEM and Administrators everything), as NT's smss gives
 * \KnownDlls, its sections and the DOS device links. Without one, a name
 * smss makes gets SYSTEM's default DACL, which shuts ordinary users out.
 */
export function SmpSharedAttributes(name: string, attributes: u32, root: u32, worldAccess: u32): usize {
  const oa = SmpAttributes(name, attributes, root);
  changetype<OBJECT_ATTRIBUTES>(oa).SecurityDescriptor = SmpSharedDescriptor(worldAccess);
  return oa;
}

// One descriptor per Everyone access, made once (the kernel captures its own
// copy; smss's allocator never frees). Main thread only.
const SHARED_DESCRIPTORS: i32 = 4;
const SmpSharedAccess = memory.data(SHARED_DESCRIPTORS * 4, 4);
const SmpSharedDescriptors = memory.data(SHARED_DESCRIPTORS * 4, 4);

function SmpSharedDescriptor(worldAccess: u32): usize {
  for (let i = 0; i < SHARED_DESCRIPTORS; i++) {
    const sd = load<usize>(SmpSharedDescriptors + (i << 2));
    if (sd == 0) {
      const made = WorldSecurityDescriptor(worldAccess);
      store<u32>(SmpSharedAccess + (i << 2), worldAccess);
      store<usize>(SmpSharedDescriptors + (i << 2), made);
      return made;
    }
    if (load<u32>(SmpSharedAccess + (i << 2)) == worldAccess) return sd;
  }
  return WorldSecurityDescriptor(worldAccess);
}

/** A 4-byte slot for one handle (or other out value). */
export function SmpSlot(): usize { const p = heap.alloc(8); store<u64>(p, 0); return p; }

/** Joins `items` with `separator`. */
export function SmpJoin(items: string[], separator: string): string {
  let s = "";
  for (let i = 0; i < items.length; i++) { if (i != 0) s += separator; s += items[i]; }
  return s;
}
