// A native program that calls the exports of mathlib.dll (mathlib.ts) and
// prints what they answer, one NtDisplayString line each; the last call
// traps inside the DLL (unreachable), whose trap handler raises
// STATUS_ILLEGAL_INSTRUCTION through its own IAT (test/pe/run.test.ts).

@external("ntdll", "NtDisplayString") declare function NtDisplayString(string: usize): u32;
@external("mathlib", "add") declare function add(a: i32, b: i32): i32;
@external("mathlib", "mul64") declare function mul64(a: i64, b: i64): i64;
@external("mathlib", "nameLength") declare function nameLength(i: i32): i32;
@external("mathlib", "classify") declare function classify(n: i32): i32;
@external("mathlib", "startValue") declare function startValue(): i32;
@external("mathlib", "yieldTwice") declare function yieldTwice(): u32;
@external("mathlib", "check") declare function check(code: i32): i32;

const line = memory.data(256, 4);
const ustr = memory.data(8, 4);
let length: u32 = 0;

function put(s: string): void {
  for (let i = 0; i < s.length; i++) { store<u16>(line + (length << 1), <u16>s.charCodeAt(i)); length++; }
}
function putDec(v: i64): void {
  if (v < 0) { put("-"); v = -v; }
  if (v >= 10) putDec(v / 10);
  store<u16>(line + (length << 1), <u16>(48 + <i32>(v % 10)));
  length++;
}
function flush(): void {
  store<u16>(ustr, <u16>(length << 1));
  store<u16>(ustr, 256, 2);
  store<u32>(ustr, <u32>line, 4);
  length = 0;
  NtDisplayString(ustr);
}

export function main(): void {
  put("add "); putDec(add(40, 2)); flush();
  put("mul64 "); putDec(mul64(0x12345678, 0x1000)); flush();
  put("names "); putDec(nameLength(0)); put(" "); putDec(nameLength(1)); put(" "); putDec(nameLength(5)); flush();
  put("classify "); for (let i = 0; i < 6; i++) { putDec(classify(i)); put(" "); } flush();
  put("start "); putDec(startValue()); flush();
  put("yield "); putDec(yieldTwice()); flush();
  put("check "); putDec(check(0)); flush();
  check(1);
  put("still running after the trap"); flush();
}
