// Memory block routines: the RtlXxxMemory exports. Copies are wasm's
// memory.copy (overlap-safe, so RtlCopyMemory and RtlMoveMemory are the same
// routine, as on x86 NT), fills are memory.fill (the translator emits
// `rep movsb` / `rep stosb`).

/** Copies `length` bytes; the blocks may overlap. */
export function RtlMoveMemory(dest: usize, source: usize, length: usize): void {
  memory.copy(dest, source, length);
}

/** RtlCopyMemory: a macro over RtlMoveMemory in the headers, exported too. */
export function RtlCopyMemory(dest: usize, source: usize, length: usize): void {
  memory.copy(dest, source, length);
}

/** Copies whole ULONGs (`length` rounded down to a multiple of 4). */
export function RtlCopyMemoryNonTemporal(dest: usize, source: usize, length: usize): void {
  memory.copy(dest, source, length);
}

export function RtlFillMemory(dest: usize, length: usize, fill: u8): void {
  memory.fill(dest, fill, length);
}

export function RtlZeroMemory(dest: usize, length: usize): void {
  memory.fill(dest, 0, length);
}

/** Fills `length` bytes (rounded down to whole ULONGs) with a ULONG pattern. */
export function RtlFillMemoryUlong(dest: usize, length: usize, pattern: u32): void {
  const n = length >> 2;
  for (let i: usize = 0; i < n; i++) store<u32>(dest + (i << 2), pattern);
}

/** Bytes that are equal from the start, up to the first difference. */
export function RtlCompareMemory(a: usize, b: usize, length: usize): usize {
  let i: usize = 0;
  while (i + 4 <= length && load<u32>(a + i) == load<u32>(b + i)) i += 4;
  while (i < length && load<u8>(a + i) == load<u8>(b + i)) i++;
  return i;
}

/** Bytes from the start that equal the ULONG `pattern` (counted in whole ULONGs). */
export function RtlCompareMemoryUlong(source: usize, length: usize, pattern: u32): usize {
  let i: usize = 0;
  const n = length & ~3;
  while (i < n && load<u32>(source + i) == pattern) i += 4;
  return i;
}
