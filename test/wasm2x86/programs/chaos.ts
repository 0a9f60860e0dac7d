// The chaos probe (CompileOptions.chaosProbe) under a handler that clobbers
// registers: work whose locals live in registers across function entries and
// loop heads (hashes, a sort, recursion, 64-bit arithmetic) must print the
// same results with and without the probe. The handler counts its calls and
// re-arms the probe after 1 to 3 probes, so it runs at most entries and loops.
import { line, exit, puts } from './io';
import { insertionSort } from './kernels';

let probes: u32 = 0;
let scramble: u32 = 0x12345678;

/** The probe's handler: stores the next count through `counter`; its own work uses every register. */
export function chaosPoint(counter: usize): void {
  probes++;
  let a = scramble, b = probes, c = a ^ b, d = a + b, e = c * 31, f = d >>> 3;
  for (let i: u32 = 0; i < (probes & 3); i++) { a = a * 1664525 + 1013904223; b ^= a; c += b; d ^= c; e += d; f ^= e; }
  scramble = a ^ b ^ c ^ d ^ e ^ f;
  store<u32>(counter, 1 + (probes % 3));
}

const N = 200;
const data = memory.data(N * 4);

function fib(n: u32): u32 { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

function mix64(x: u64, k: u32): u64 {
  for (let i: u32 = 0; i < k; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
  return x;
}

export function main(magic: u32, info: usize): void {
  let x: u32 = 99, h: u32 = 2166136261, s: u32 = 0, t: u32 = 7;
  for (let i = 0; i < N; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    store<i32>(data + (<usize>i << 2), <i32>x);
    h = (h ^ (x & 0xFF)) * 16777619;
    s += fib(i & 7) + t;
    t = t * 3 + <u32>i;
  }
  insertionSort(data, N);
  let ok: u32 = 1;
  for (let i = 1; i < N; i++) if (load<i32>(data + (<usize>(i - 1) << 2)) > load<i32>(data + (<usize>i << 2))) ok = 0;
  const m = mix64(0x0123456789ABCDEF, 50);
  line('hash', h);
  line('sum', s);
  line('t', t);
  line('sorted', ok);
  line('fib20', fib(20));
  line('mix lo', <u32>m);
  line('mix hi', <u32>(m >>> 32));
  line('probes', probes);
  puts('done\n');
  exit(0);
}

export function trap(code: u32, addr: usize): void { line('trap', code); exit(code + 16); }
