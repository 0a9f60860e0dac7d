// CRC-32 (IEEE, reflected, table-driven) over a pseudo-random buffer.
import { line, exit, mark, puts } from './io';
import { crc32, makeCrcTable } from './kernels';

const N = 16384;
const buf = memory.data(N);

export function main(magic: u32, info: usize): void {
  makeCrcTable();
  let x: u32 = 12345;
  for (let i = 0; i < N; i++) { x = x * 1103515245 + 12345; store<u8>(buf + i, x >>> 16); }
  mark(1);
  const c = crc32(buf, N);
  mark(2);
  line('crc32', c);
  line('crc32("123456789")', crc32(changetype<usize>(String.UTF8.encode('123456789')), 9));
  puts('done\n');
  exit(0);
}

export function trap(code: u32, addr: usize): void { line('trap', code); exit(code + 16); }
