// Two DLLs linked for the same base (mathlib.dll and mathcopy.dll, one
// source): the loader must relocate the second. Their static string tables
// hold pointers, so a DLL that was not relocated right answers wrong.

@external("ntdll", "NtDisplayString") declare function NtDisplayString(text: usize): u32;
@external("mathlib", "nameLength") declare function nameLength(i: i32): i32;
@external("mathlib", "classify") declare function classify(n: i32): i32;
@external("mathlib", "startValue") declare function startValue(): i32;
@external("mathcopy", "nameLength") declare function copyNameLength(i: i32): i32;
@external("mathcopy", "classify") declare function copyClassify(n: i32): i32;
@external("mathcopy", "startValue") declare function copyStartValue(): i32;

const line = memory.data(256, 4), ustr = memory.data(8, 4);
let length: u32 = 0;
function put(s: string): void { for (let i = 0; i < s.length; i++) { store<u16>(line + (length << 1), <u16>s.charCodeAt(i)); length++; } }
function putDec(v: i32): void {
  if (v < 0) { put("-"); v = -v; }
  if (v >= 10) putDec(v / 10);
  store<u16>(line + (length << 1), <u16>(48 + v % 10)); length++;
}
function flush(): void {
  store<u16>(ustr, <u16>(length << 1)); store<u16>(ustr, <u16>(length << 1), 2); store<usize>(ustr, line, 4);
  NtDisplayString(ustr); length = 0;
}

export function main(): void {
  put("mathlib "); putDec(nameLength(0)); put(" "); putDec(nameLength(1)); put(" "); putDec(nameLength(2)); put(" ");
  putDec(classify(2)); put(" "); putDec(classify(9)); put(" "); putDec(startValue()); flush();
  put("mathcopy "); putDec(copyNameLength(0)); put(" "); putDec(copyNameLength(1)); put(" "); putDec(copyNameLength(2)); put(" ");
  putDec(copyClassify(2)); put(" "); putDec(copyClassify(9)); put(" "); putDec(copyStartValue()); flush();
}
