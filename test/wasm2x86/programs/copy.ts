// A memcpy-like word copy loop, and the built-in memory.copy / memory.fill.
import { line, exit, mark, puts } from './io';
import { copyWords, sum } from './kernels';

const N: u32 = 16384;
const src = memory.data(N);
const dst = memory.data(N);

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
