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

// The wider set (issue 16): a bounded string compare, a fixed-size block
// pool, a hash table lookup, and memcpy/memset through bulk memory.

/** strncmp: the difference of the first differing bytes of a and b (n at most), 0 when equal up to n or a NUL. */
export function compareBytes(a: usize, b: usize, n: u32): i32 {
  for (let i: u32 = 0; i < n; i++) {
    const x = <i32>load<u8>(a + i), y = <i32>load<u8>(b + i);
    if (x != y) return x - y;
    if (x == 0) break;
  }
  return 0;
}

/** A pool of `blocks` 32-byte blocks after a 16-byte header whose first word is the free list. */
export function poolInit(pool: usize, blocks: u32): void {
  let head: usize = 0;
  for (let i = blocks; i > 0; i--) {
    const b = pool + 16 + ((<usize>i - 1) << 5);
    store<usize>(b, head);
    head = b;
  }
  store<usize>(pool, head);
}

function poolAlloc(pool: usize): usize {
  const b = load<usize>(pool);
  if (b != 0) store<usize>(pool, load<usize>(b));
  return b;
}

function poolFree(pool: usize, b: usize): void {
  store<usize>(b, load<usize>(pool));
  store<usize>(pool, b);
}

/** Takes n blocks (their addresses into `slots`, a tag in each), frees them in reverse; a sum of their offsets. */
export function poolChurn(pool: usize, slots: usize, n: u32): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const b = poolAlloc(pool);
    if (b == 0) return s;
    store<u32>(b, i, 4);
    store<usize>(slots + (<usize>i << 2), b);
    s += <u32>(b - pool);
  }
  for (let i = n; i > 0; i--) poolFree(pool, load<usize>(slots + ((<usize>i - 1) << 2)));
  return s;
}

/** Open addressing over 1024 u32 keys (0: empty), linear probing, a multiplicative hash. */
export function hashInsert(table: usize, key: u32): void {
  let i = (key * 0x9E3779B1) >>> 22;
  while (true) {
    const k = load<u32>(table + (<usize>i << 2));
    if (k == key) return;
    if (k == 0) { store<u32>(table + (<usize>i << 2), key); return; }
    i = (i + 1) & 1023;
  }
}

function hashFind(table: usize, key: u32): bool {
  let i = (key * 0x9E3779B1) >>> 22;
  while (true) {
    const k = load<u32>(table + (<usize>i << 2));
    if (k == key) return true;
    if (k == 0) return false;
    i = (i + 1) & 1023;
  }
}

/** How many of the n keys at `keys` the table holds. */
export function hashLookups(table: usize, keys: usize, n: u32): u32 {
  let found: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (hashFind(table, load<u32>(keys + (<usize>i << 2)))) found++;
  return found;
}

/** memcpy then memset of n bytes, through bulk memory (memory.copy, memory.fill). */
export function copyFill(d: usize, s: usize, f: usize, n: u32): void {
  memory.copy(d, s, n);
  memory.fill(f, 0x5A, n);
}
