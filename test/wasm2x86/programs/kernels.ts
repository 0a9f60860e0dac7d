// The compute kernels shared by the differential test programs (crc32.ts,
// copy.ts, sort.ts, hash.ts) and the benchmark driver (bench-kernels.ts):
// one copy of each algorithm, so the bench measures what the tests check.

export const crcTable = new StaticArray<u32>(256);

export function makeCrcTable(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
    unchecked(crcTable[n] = c);
  }
}

export function crc32(p: usize, len: u32): u32 {
  let c: u32 = 0xFFFFFFFF;
  for (let i: u32 = 0; i < len; i++) c = unchecked(crcTable[(c ^ load<u8>(p + i)) & 0xFF]) ^ (c >>> 8);
  return c ^ 0xFFFFFFFF;
}

export function copyWords(d: usize, s: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i += 4) store<u32>(d + i, load<u32>(s + i));
}

/** A rotate-xor checksum of n bytes. */
export function sum(p: usize, n: u32): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i < n; i++) s = (s << 1 | s >>> 31) ^ load<u8>(p + i);
  return s;
}

export function insertionSort(p: usize, n: i32): void {
  for (let i = 1; i < n; i++) {
    const v = load<i32>(p + (<usize>i << 2));
    let j = i - 1;
    while (j >= 0 && load<i32>(p + (<usize>j << 2)) > v) {
      store<i32>(p + (<usize>(j + 1) << 2), load<i32>(p + (<usize>j << 2)));
      j--;
    }
    store<i32>(p + (<usize>(j + 1) << 2), v);
  }
}

export function fnv1a32(p: usize, n: u32): u32 {
  let h: u32 = 0x811C9DC5;
  for (let i: u32 = 0; i < n; i++) { h ^= load<u8>(p + i); h *= 0x01000193; }
  return h;
}
