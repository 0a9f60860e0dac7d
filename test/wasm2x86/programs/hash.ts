// FNV-1a (32 and 64 bit) and a 64-bit mixing hash: i64 multiply, shifts, rotates.
import { line, exit, mark, puts, putU64, putc } from './io';
import { fnv1a32 } from './kernels';

const N = 8192;
const buf = memory.data(N);

export function fnv1a64(p: usize, n: u32): u64 {
  let h: u64 = 0xCBF29CE484222325;
  for (let i: u32 = 0; i < n; i++) { h ^= <u64>load<u8>(p + i); h *= 0x100000001B3; }
  return h;
}

export function mix64(x: u64): u64 {
  x ^= x >> 33; x *= 0xFF51AFD7ED558CCD;
  x ^= x >> 33; x *= 0xC4CEB9FE1A85EC53;
  x ^= x >> 33;
  return rotl<u64>(x, 17) ^ rotr<u64>(x, 5);
}

export function main(magic: u32, info: usize): void {
  for (let i = 0; i < N; i++) store<u8>(buf + i, <u8>(i * 31 + (i >> 3)));
  mark(1);
  const h = fnv1a32(buf, N);
  mark(2);
  line('fnv1a32', h);
  const h64 = fnv1a64(buf, 1024);
  puts('fnv1a64='); putU64(h64); putc(10);
  let acc: u64 = 0;
  for (let i: u64 = 1; i < 200; i++) acc += mix64(i) / i + mix64(acc) % (i * 7 + 3);
  puts('mix='); putU64(acc); putc(10);
  puts('done\n');
  exit(0);
}

export function trap(code: u32, addr: usize): void { line('trap', code); exit(code + 16); }
