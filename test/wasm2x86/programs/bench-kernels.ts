// The benchmark's compute kernels (npm run bench; not a differential test:
// it reads the multiboot command line, which only exists in v86).
//
// The kernels are copies of the ones in crc32.ts, copy.ts, sort.ts and
// hash.ts, on the same data; scripts/bench/kernels.c is the same program for
// gcc. Exported, so binaryen keeps each one a function of its own (it does not
// inline exported functions that contain loops).
//
// Command line: "K N M V" (decimal)
//   K  kernel: 1 crc32, 2 copyWords, 3 insertionSort, 4 fnv1a32, 5 compareBytes,
//      6 poolChurn, 7 hashLookups, 8 copyFill
//   N  repetitions: each one prepares the input (only sort needs it: the
//      array is regenerated) and, if M is 1, calls the kernel once
//   V  1: verify mode, run every kernel once and print a checksum line each
// The run ends with a mark (an `out`, which makes v86 bring its instruction
// counter up to date) and an exit through port 0xF4; the harness takes the
// whole-run instruction count. Two runs that differ only in M give the
// instructions of N kernel calls, with exactly the same code around them.
import { line, exit, mark, puts } from './io';
import {
  crc32, makeCrcTable, copyWords, sum, insertionSort, fnv1a32, compareBytes, poolInit, poolChurn, hashInsert, hashLookups, copyFill,
} from './kernels';
// Exported, so the optimiser keeps each kernel as its own function (not specialised into the driver).
export { crc32, copyWords, insertionSort, fnv1a32, compareBytes, poolChurn, hashLookups, copyFill };

// --- crc32 (crc32.ts)
const N_CRC = 16384;
const crcBuf = memory.data(N_CRC);

// --- copy (copy.ts)
const N_COPY: u32 = 16384;
const src = memory.data(N_COPY);
const dst = memory.data(N_COPY);

// --- sort (sort.ts)
const N_SORT = 600;
const a = memory.data(N_SORT * 4);

function fillSort(): void {
  let x: u32 = 7;
  for (let i = 0; i < N_SORT; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; store<i32>(a + (<usize>i << 2), <i32>x); }
}

// --- hash (hash.ts)
const N_HASH = 8192;
const hashBuf = memory.data(N_HASH);

// --- string compare: two 8 KiB strings, equal but for the last byte
const N_CMP: u32 = 8192;
const cmpA = memory.data(N_CMP);
const cmpB = memory.data(N_CMP);

// --- pool: 256 blocks of 32 bytes, all taken and given back per call
const N_POOL: u32 = 256;
const pool = memory.data(16 + N_POOL * 32, 16);
const slots = memory.data(N_POOL * 4, 4);

// --- hash: 512 keys in 1024 slots, 4096 lookups (half of them hits)
const N_LOOKUP: u32 = 4096;
const table = memory.data(1024 * 4, 4);
const keys = memory.data(N_LOOKUP * 4, 4);

// --- bulk memory: memcpy and memset of 16 KiB
const N_BULK: u32 = 16384;
const bulkFill = memory.data(N_BULK);

// --- driver
/** The kernels' scalar results land here, so they are not dead code. */
const results = memory.data(32);

/** The multiboot command line's decimal numbers (physical memory is mapped at 0x80000000). */
const args = new StaticArray<u32>(4);
function readArgs(info: usize): void {
  const PHYS: usize = 0x80000000;
  if ((load<u32>(PHYS + info) & 4) == 0) return;
  let p = PHYS + <usize>load<u32>(PHYS + info + 16);
  let n = 0;
  while (n < 4) {
    let c = <u32>load<u8>(p);
    while (c != 0 && (c < 48 || c > 57)) { p++; c = <u32>load<u8>(p); }
    if (c == 0) break;
    let v: u32 = 0;
    while (c >= 48 && c <= 57) { v = v * 10 + c - 48; p++; c = <u32>load<u8>(p); }
    unchecked(args[n] = v);
    n++;
  }
}

// binaryen -O3 (as asc sets it up) inlines even exported functions with loops
// into their callers, where the inlined copy sees constant arguments. The gcc
// reference calls non-inlined, non-specialized functions (noipa), so these
// calls go through function references (call_indirect), which binaryen
// cannot resolve: the code measured is the kernels' own function bodies.
let crcFn: (p: usize, len: u32) => u32 = crc32;
let copyFn: (d: usize, s: usize, n: u32) => void = copyWords;
let sortFn: (p: usize, n: i32) => void = insertionSort;
let fnvFn: (p: usize, n: u32) => u32 = fnv1a32;
let cmpFn: (a: usize, b: usize, n: u32) => i32 = compareBytes;
let poolFn: (pool: usize, slots: usize, n: u32) => u32 = poolChurn;
let hashFn: (table: usize, keys: usize, n: u32) => u32 = hashLookups;
let bulkFn: (d: usize, s: usize, f: usize, n: u32) => void = copyFill;

// A switch (a br_table; gcc: a jump table), so every kernel is reached in the same few
// instructions (an if-else chain cost kernel 8 seven compares more than kernel 1).
function run(k: u32, m: u32): void {
  if (k == 3) fillSort();
  if (m == 0) return;
  switch (k) {
    case 1: store<u32>(results, crcFn(crcBuf, N_CRC)); break;
    case 2: copyFn(dst, src, N_COPY); break;
    case 3: sortFn(a, N_SORT); break;
    case 4: store<u32>(results, fnvFn(hashBuf, N_HASH), 4); break;
    case 5: store<i32>(results, cmpFn(cmpA, cmpB, N_CMP), 8); break;
    case 6: store<u32>(results, poolFn(pool, slots, N_POOL), 12); break;
    case 7: store<u32>(results, hashFn(table, keys, N_LOOKUP), 16); break;
    case 8: bulkFn(dst, src, bulkFill, N_BULK); break;
  }
}

export function main(magic: u32, info: usize): void {
  readArgs(info);
  const k = unchecked(args[0]), n = unchecked(args[1]), m = unchecked(args[2]), verify = unchecked(args[3]);
  // inputs (the same data as the test programs)
  makeCrcTable();
  let x: u32 = 12345;
  for (let i = 0; i < N_CRC; i++) { x = x * 1103515245 + 12345; store<u8>(crcBuf + i, x >>> 16); }
  for (let i: u32 = 0; i < N_COPY; i++) store<u8>(src + i, <u8>(i ^ (i >> 7)));
  for (let i = 0; i < N_HASH; i++) store<u8>(hashBuf + i, <u8>(i * 31 + (i >> 3)));
  for (let i: u32 = 0; i < N_CMP; i++) { const c = <u8>(0x41 + i % 26); store<u8>(cmpA + i, c); store<u8>(cmpB + i, c); }
  store<u8>(cmpB + N_CMP - 1, 0x7A);
  poolInit(pool, N_POOL);
  let y: u32 = 99;
  for (let i: u32 = 0; i < N_LOOKUP; i++) {
    y ^= y << 13; y ^= y >> 17; y ^= y << 5;
    const key = y | 1;
    store<u32>(keys + (<usize>i << 2), key);
    if ((i & 1) == 0 && i < 1024) hashInsert(table, key);
  }
  if (verify) {
    line('crc32', crcFn(crcBuf, N_CRC));
    copyFn(dst, src, N_COPY);
    line('copy', crc32(dst, N_COPY));
    line('copysum', sum(dst, N_COPY));
    fillSort();
    sortFn(a, N_SORT);
    let ok: u32 = 1, s: u32 = 0;
    for (let i = 0; i < N_SORT; i++) {
      s += <u32>load<i32>(a + (<usize>i << 2));
      if (i > 0 && load<i32>(a + (<usize>(i - 1) << 2)) > load<i32>(a + (<usize>i << 2))) ok = 0;
    }
    line('sorted', ok);
    line('sum', s);
    line('fnv1a32', fnvFn(hashBuf, N_HASH));
    line('compare', <u32>cmpFn(cmpA, cmpB, N_CMP));
    line('pool', poolFn(pool, slots, N_POOL));
    line('pool again', poolFn(pool, slots, N_POOL));
    line('hash', hashFn(table, keys, N_LOOKUP));
    bulkFn(dst, src, bulkFill, N_BULK);
    line('bulk', crc32(dst, N_BULK) ^ crc32(bulkFill, N_BULK));
    puts('done\n');
  } else {
    for (let r: u32 = 0; r < n; r++) run(k, m);
  }
  mark(0);
  exit(0);
}

export function trap(code: u32, addr: usize): void { line('trap', code); exit(code + 16); }
