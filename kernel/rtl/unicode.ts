// Run-time library: counted UTF-16 strings (UNICODE_STRING).
//
// NT names are UNICODE_STRINGs in their 32-bit layout, 8 bytes:
//
//   +0 u16 Length         bytes of text (not characters, no terminator)
//   +2 u16 MaximumLength  bytes the buffer holds
//   +4 u32 Buffer         the UTF-16 text
//
// AssemblyScript strings are UTF-16 in memory too: for a string `s`,
// changetype<usize>(s) is the first character and the runtime header word at
// -4 is the byte length. So a constant name in the kernel's source becomes a
// UNICODE_STRING without copying (RtlInitUnicodeString). Such a string has no
// terminating NUL, so its MaximumLength equals its Length.
//
// Object names are split at backslashes (OBJ_NAME_PATH_SEPARATOR) with
// RtlNextPathComponent; names compare exactly or case-insensitively with
// RtlUpcaseUnicodeChar, which covers ASCII, Latin-1, Latin Extended-A, Greek
// and Cyrillic. Nothing here allocates.

/** The path separator of object names, '\'. */
export const OBJ_NAME_PATH_SEPARATOR: u32 = 0x5C;

@unmanaged export class UNICODE_STRING {
  Length: u16;
  MaximumLength: u16;
  Buffer: usize;
}
/** sizeof(UNICODE_STRING) in the 32-bit layout. */
export const SIZEOF_UNICODE_STRING: u32 = 8;

@inline export function RtlUnicodeString(address: usize): UNICODE_STRING { return changetype<UNICODE_STRING>(address); }

/** Points `destination` at the text of a constant AssemblyScript string (no copy). */
export function RtlInitUnicodeString(destination: usize, source: string): void {
  const string = RtlUnicodeString(destination);
  const bytes = <u32>source.length << 1;
  string.Buffer = changetype<usize>(source);
  string.Length = <u16>bytes;
  string.MaximumLength = <u16>bytes;
}

/** An empty string over a caller's buffer of `maximumLength` bytes. */
export function RtlInitEmptyUnicodeString(destination: usize, buffer: usize, maximumLength: u32): void {
  const string = RtlUnicodeString(destination);
  string.Buffer = buffer;
  string.Length = 0;
  string.MaximumLength = <u16>maximumLength;
}

/** Character `index` (in characters, not bytes) of a UNICODE_STRING. */
@inline export function RtlCharAt(string: usize, index: u32): u32 {
  return <u32>load<u16>(RtlUnicodeString(string).Buffer + (index << 1));
}

/** Characters (not bytes) in a UNICODE_STRING. */
@inline export function RtlCharCount(string: usize): u32 {
  return <u32>RtlUnicodeString(string).Length >> 1;
}

/**
 * The uppercase form of a UTF-16 code unit, as NT's upcase table gives it
 * for the alphabets below; other characters are returned unchanged.
 */
export function RtlUpcaseUnicodeChar(c: u32): u32 {
  if (c < 0x61) return c;
  if (c <= 0x7A) return c - 0x20;                        // a-z
  if (c < 0xE0) return c;
  if (c <= 0xFE) return c == 0xF7 ? c : c - 0x20;        // à-þ, but not ÷
  if (c == 0xFF) return 0x178;                           // ÿ -> Ÿ
  if (c < 0x100) return c;
  if (c <= 0x137 || (c >= 0x14A && c <= 0x177)) {       // Latin Extended-A: even upper, odd lower
    return (c & 1) != 0 && c != 0x131 ? c - 1 : c;       // ı (dotless i) has no pair here
  }
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
    return (c & 1) == 0 ? c - 1 : c;                     // odd upper, even lower
  }
  if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 0x20; // Greek α-ϋ (final sigma stays)
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;         // Cyrillic а-я
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;         // Cyrillic ѐ-џ
  return c;
}

/** True when two UNICODE_STRINGs hold the same text (lengths count, terminators do not). */
export function RtlEqualUnicodeString(a: usize, b: usize, caseInsensitive: bool): bool {
  const length = <u32>RtlUnicodeString(a).Length;
  if (length != <u32>RtlUnicodeString(b).Length) return false;
  const pa = RtlUnicodeString(a).Buffer, pb = RtlUnicodeString(b).Buffer;
  for (let i: u32 = 0; i < length; i += 2) {
    const ca = <u32>load<u16>(pa + i), cb = <u32>load<u16>(pb + i);
    if (ca == cb) continue;
    if (!caseInsensitive) return false;
    if (RtlUpcaseUnicodeChar(ca) != RtlUpcaseUnicodeChar(cb)) return false;
  }
  return true;
}

/** True when the UNICODE_STRING holds exactly the text of `text` (a constant string). */
export function RtlEqualUnicodeStringToString(a: usize, text: string, caseInsensitive: bool): bool {
  const length = <u32>RtlUnicodeString(a).Length;
  if (length != <u32>text.length << 1) return false;
  const pa = RtlUnicodeString(a).Buffer;
  for (let i: u32 = 0; i < length >> 1; i++) {
    const ca = <u32>load<u16>(pa + (i << 1)), cb = <u32>text.charCodeAt(i);
    if (ca == cb) continue;
    if (!caseInsensitive || RtlUpcaseUnicodeChar(ca) != RtlUpcaseUnicodeChar(cb)) return false;
  }
  return true;
}

/**
 * A hash of the uppercased text (the x65599 multiplier NT uses for its
 * string hashes), so names that differ only in case hash alike and one
 * hash chain serves exact and case-insensitive lookups.
 */
export function RtlHashUnicodeStringUpcase(string: usize): u32 {
  let hash: u32 = 0;
  const count = RtlCharCount(string);
  for (let i: u32 = 0; i < count; i++) hash = hash * 65599 + RtlUpcaseUnicodeChar(RtlCharAt(string, i));
  return hash;
}

/** True when the string's first character is a backslash. */
export function RtlStartsWithSeparator(string: usize): bool {
  return RtlUnicodeString(string).Length != 0 && RtlCharAt(string, 0) == OBJ_NAME_PATH_SEPARATOR;
}

/** True when the string's last character is a backslash. */
export function RtlEndsWithSeparator(string: usize): bool {
  const count = RtlCharCount(string);
  return count != 0 && RtlCharAt(string, count - 1) == OBJ_NAME_PATH_SEPARATOR;
}

/**
 * Splits the next component off a path, the way the object manager walks a
 * name: one leading backslash of `remaining` is skipped, `component` gets the
 * characters up to the next backslash (or the end), and `remaining` is left
 * at that backslash. Both are UNICODE_STRINGs; `component` points into the
 * same buffer. Returns the component's length in bytes: 0 means an empty
 * component ("\\" or a trailing "\"), which object names do not allow.
 */
export function RtlNextPathComponent(remaining: usize, component: usize): u32 {
  const rest = RtlUnicodeString(remaining);
  if (RtlStartsWithSeparator(remaining)) {
    rest.Buffer += 2;
    rest.Length -= 2;
    rest.MaximumLength = rest.MaximumLength >= 2 ? rest.MaximumLength - 2 : 0;
  }
  const part = RtlUnicodeString(component);
  part.Buffer = rest.Buffer;
  let bytes: u32 = 0;
  while (bytes < <u32>rest.Length && <u32>load<u16>(rest.Buffer + bytes) != OBJ_NAME_PATH_SEPARATOR) bytes += 2;
  part.Length = <u16>bytes;
  part.MaximumLength = <u16>bytes;
  rest.Buffer += bytes;
  rest.Length -= <u16>bytes;
  rest.MaximumLength = rest.MaximumLength >= <u16>bytes ? rest.MaximumLength - <u16>bytes : 0;
  return bytes;
}

/** Copies `bytes` of UTF-16 text and writes a NUL after it. `destination` must hold bytes + 2. */
export function RtlCopyUnicodeText(destination: usize, source: usize, bytes: u32): void {
  memory.copy(destination, source, bytes);
  store<u16>(destination + bytes, 0);
}

/**
 * Writes a copy of `source` (a UNICODE_STRING) for a caller: the characters
 * and a NUL go to `text`, and `destination` (a UNICODE_STRING) describes
 * them (MaximumLength counts the NUL). Returns the address after the NUL.
 */
export function RtlWriteUnicodeString(destination: usize, source: usize, text: usize): usize {
  const length = <u32>RtlUnicodeString(source).Length;
  RtlCopyUnicodeText(text, RtlUnicodeString(source).Buffer, length);
  const string = RtlUnicodeString(destination);
  string.Length = <u16>length;
  string.MaximumLength = <u16>(length + 2);
  string.Buffer = text;
  return text + length + 2;
}
