// Two DLLs linked for the same base (mathlib.dll and mathcopy.dll, one
// source): the loader must relocate the second. Their static string tables
// hold pointers, so a DLL that was not relocated right answers wrong.

import { put, putDec, flush } from "./out";
@external("mathlib", "nameLength") declare function nameLength(i: i32): i32;
@external("mathlib", "classify") declare function classify(n: i32): i32;
@external("mathlib", "startValue") declare function startValue(): i32;
@external("mathcopy", "nameLength") declare function copyNameLength(i: i32): i32;
@external("mathcopy", "classify") declare function copyClassify(n: i32): i32;
@external("mathcopy", "startValue") declare function copyStartValue(): i32;

export function main(): void {
  put("mathlib "); putDec(nameLength(0)); put(" "); putDec(nameLength(1)); put(" "); putDec(nameLength(2)); put(" ");
  putDec(classify(2)); put(" "); putDec(classify(9)); put(" "); putDec(startValue()); flush();
  put("mathcopy "); putDec(copyNameLength(0)); put(" "); putDec(copyNameLength(1)); put(" "); putDec(copyNameLength(2)); put(" ");
  putDec(copyClassify(2)); put(" "); putDec(copyClassify(9)); put(" "); putDec(copyStartValue()); flush();
}
