// Control flow and integer corners: switch (br_table), function pointers
// (call_indirect), recursion, select, signed/unsigned division, bit counts,
// 64-bit compares and conversions, memory.grow through the allocator.
import { line, exit, puts, putI64, putc } from './io';

function classify(x: i32): i32 {
  switch (x) {
    case 0: return 10;
    case 1: return 11;
    case 2: case 3: return 23;
    case 5: return 55;
    case 9: return 99;
    default: return -1;
  }
}

function fib(n: i32): i32 { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
function ack(m: i32, n: i32): i32 {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

function add(a: i32, b: i32): i32 { return a + b; }
function sub(a: i32, b: i32): i32 { return a - b; }
function mul(a: i32, b: i32): i32 { return a * b; }
const ops: StaticArray<(a: i32, b: i32) => i32> = [add, sub, mul];

function gcd(a: u64, b: u64): u64 { while (b != 0) { const t = a % b; a = b; b = t; } return a; }

export function main(magic: u32, info: usize): void {
  let s = 0;
  for (let i = -2; i < 12; i++) s = s * 3 + classify(i);
  line('switch', <u32>s);
  line('fib', <u32>fib(20));
  line('ack', <u32>ack(2, 3));
  let acc = 1;
  for (let i = 0; i < 30; i++) acc = ops[i % 3](acc, i + 1) ^ (acc >>> 3);
  line('indirect', <u32>acc);
  const vals: i32[] = [7, -7, 2147483647, -2147483648, 1, -1, 13, 100000];
  let d: u32 = 0;
  for (let i = 0; i < vals.length; i++) {
    for (let j = 0; j < vals.length; j++) {
      const a = vals[i], b = vals[j];
      if (b == -1 && a == -2147483648) continue;
      d = d * 31 + <u32>(a / b) + <u32>(a % b) * 7 + (<u32>a / <u32>b) * 13 + (<u32>a % <u32>b) * 17;
      d ^= <u32>(a < b ? 1 : 0) | <u32>(<u32>a < <u32>b ? 2 : 0) | <u32>(a >= b ? 4 : 0);
      d += <u32>select<i32>(a, b, a > b);
    }
  }
  line('divs', d);
  let bits: u32 = 0;
  for (let i = 0; i < vals.length; i++) {
    const v = <u32>vals[i];
    bits = bits * 7 + clz(v) + ctz(v) * 3 + popcnt(v) * 5 + <u32>rotl(v, 5) + <u32>rotr(v, 9) + <u32>(<i8>v) + <u32>(<i16>v);
  }
  line('bits', bits);
  let big: i64 = 1;
  for (let i = 0; i < 70; i++) {
    big = big * 3 - <i64>i;
    if (big > 0x0FFFFFFFFFFFF) big = big / 5 - (big % 1000);
    if (big < -100) big = -big;
  }
  puts('i64='); putI64(big); putc(10);
  let cmp: u32 = 0;
  const ws: i64[] = [0, 1, -1, 0x100000000, -0x100000000, 0x7FFFFFFFFFFFFFFF, -0x8000000000000000];
  for (let i = 0; i < ws.length; i++) for (let j = 0; j < ws.length; j++) {
    const a = ws[i], b = ws[j];
    cmp = cmp * 3 + (a < b ? 1 : 0) + (<u64>a < <u64>b ? 2 : 0) + (a == b ? 4 : 0) + (a >= b ? 8 : 0);
    cmp ^= <u32>(a >> (b & 63)) + <u32>(<u64>a >> <u64>(b & 63)) + <u32>(a << (b & 63));
  }
  line('cmp64', cmp);
  puts('gcd='); putI64(<i64>gcd(0x123456789ABC, 0x1F2E3D4C5B)); putc(10);
  // Allocation: strings and arrays from the stub runtime grow the memory.
  let str = '';
  for (let i = 0; i < 40; i++) str += String.fromCharCode(65 + i % 26);
  puts(str); putc(10);
  const arr = new Array<i32>(0);
  for (let i = 0; i < 30000; i++) arr.push(i * i);
  let total: u32 = 0;
  for (let i = 0; i < arr.length; i++) total += <u32>arr[i];
  line('array', total);
  line('pages>1', memory.size() > 1 ? 1 : 0);
  puts('done\n');
  exit(0);
}

export function trap(code: u32, addr: usize): void { line('trap', code); exit(code + 16); }
