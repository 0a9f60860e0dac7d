// Run-time library: NUL-terminated ASCII strings in memory.
//
// The loader hands the kernel its command line as a C string (bytes ending in
// 0). These helpers read such strings in place; none of them allocates.

/** Longest C string the helpers will walk, so a missing terminator cannot run away. */
export const RTL_ASCIIZ_MAX: u32 = 4096;

const ASCII_SPACE: u32 = 0x20; // ' ' and everything below it separates words

/** Length in bytes of the C string at `address`, at most `limit`. */
export function RtlAsciizLength(address: usize, limit: u32): u32 {
  let length: u32 = 0;
  while (length < limit && load<u8>(address + length) != 0) length++;
  return length;
}

/**
 * True when the C string at `address` contains `word` as a whole word:
 * bounded on each side by the string's ends or by a space or control
 * character. `word` is an AssemblyScript string literal holding ASCII.
 */
export function RtlAsciizHasWord(address: usize, word: string): bool {
  const length = RtlAsciizLength(address, RTL_ASCIIZ_MAX);
  const wordLength = <u32>word.length;
  if (wordLength == 0 || wordLength > length) return false;
  let start: u32 = 0;
  while (start < length) {
    // Skip separators, then measure the word that starts here.
    while (start < length && <u32>load<u8>(address + start) <= ASCII_SPACE) start++;
    let end = start;
    while (end < length && <u32>load<u8>(address + end) > ASCII_SPACE) end++;
    if (end - start == wordLength) {
      let same = true;
      for (let i: u32 = 0; i < wordLength; i++) {
        if (<u32>load<u8>(address + start + i) != <u32>word.charCodeAt(i)) { same = false; break; }
      }
      if (same) return true;
    }
    start = end;
  }
  return false;
}
