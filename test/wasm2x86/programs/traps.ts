// A program that traps: integer division by zero must reach the trap handler.
import { line, exit, puts } from './io';

let zero: i32 = 0;
export function main(magic: u32, info: usize): void {
  puts('before\n');
  line('result', <u32>(100 / zero));
  puts('after\n');
  exit(0);
}

export function trap(code: u32, addr: usize): void { line('trap', code); exit(code + 16); }
