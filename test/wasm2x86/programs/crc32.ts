// CRC-32 (IEEE, reflected, table-driven) over a pseudo-random buffer.
import { line, exit, mark, puts } from './io';

const table = new StaticArray<u32>(256);
const N = 16384;
const buf = memory.data(N);

function makeTable(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
    unchecked(table[n] = c);
  }
}

export function crc32(p: usize, len: u32): u32 {
  let c: u32 = 0xFFFFFFFF;
  for (let i: u32 = 0; i < len; i++) c = unchecked(table[(c ^ load<u8>(p + i)) & 0xFF]) ^ (c >>> 8);
  return c ^ 0xFFFFFFFF;
}

export function main(magic: u32, info: usize): void {
  makeTable();
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
