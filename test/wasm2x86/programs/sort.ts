// Insertion sort of pseudo-random signed integers, and a sum check.
import { line, exit, mark, puts } from './io';
import { insertionSort } from './kernels';

const N = 600;
const a = memory.data(N * 4);

export function main(magic: u32, info: usize): void {
  let x: u32 = 7;
  for (let i = 0; i < N; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; store<i32>(a + (<usize>i << 2), <i32>x); }
  mark(1);
  insertionSort(a, N);
  mark(2);
  let ok: u32 = 1, sum: u32 = 0;
  for (let i = 0; i < N; i++) {
    sum += <u32>load<i32>(a + (<usize>i << 2));
    if (i > 0 && load<i32>(a + (<usize>(i - 1) << 2)) > load<i32>(a + (<usize>i << 2))) ok = 0;
  }
  line('sorted', ok);
  line('sum', sum);
  line('min', <u32>load<i32>(a));
  line('max', <u32>load<i32>(a + (N - 1) * 4));
  puts('done\n');
  exit(0);
}

export function trap(code: u32, addr: usize): void { line('trap', code); exit(code + 16); }
