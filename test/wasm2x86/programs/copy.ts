// A memcpy-like word copy loop, and the built-in memory.copy / memory.fill.
import { line, exit, mark, puts } from './io';

const N: u32 = 16384;
const src = memory.data(N);
const dst = memory.data(N);

export function copyWords(d: usize, s: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i += 4) store<u32>(d + i, load<u32>(s + i));
}

function sum(p: usize, n: u32): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i < n; i++) s = (s << 1 | s >>> 31) ^ load<u8>(p + i);
  return s;
}

export function main(magic: u32, info: usize): void {
  for (let i: u32 = 0; i < N; i++) store<u8>(src + i, <u8>(i ^ (i >> 7)));
  mark(1);
  copyWords(dst, src, N);
  mark(2);
  line('copy', sum(dst, N));
  memory.fill(dst, 0xA5, 1000);
  line('fill', sum(dst, N));
  memory.copy(dst + 3, dst, 5000);      // overlapping, forward source
  line('overlap1', sum(dst, N));
  memory.copy(dst, dst + 7, 5000);      // overlapping, backward source
  line('overlap2', sum(dst, N));
  puts('done\n');
  exit(0);
}

export function trap(code: u32, addr: usize): void { line('trap', code); exit(code + 16); }
