// A DLL for the PE linker tests (scripts/pe/link.ts): exported functions
// with i32 and i64 arguments and results (stdcall), a table of strings in the
// static data, a jump table, a start function, and one ntdll import.

@external("ntdll", "NtYieldExecution") declare function NtYieldExecution(): u32;

const NAMES: StaticArray<string> = ["alpha", "beta", "gamma"];
let started: i32 = 0;
started = 42; // top-level code: the start function, run by DllMain

export function add(a: i32, b: i32): i32 { return a + b; }
export function mul64(a: i64, b: i64): i64 { return a * b; }
export function nameLength(i: i32): i32 { return NAMES[i % 3].length; }
export function classify(n: i32): i32 {
  switch (n) {
    case 0: return 10;
    case 1: return 11;
    case 2: return 17;
    case 3: return 19;
    case 4: return 23;
    default: return -1;
  }
}
export function yieldTwice(): u32 { NtYieldExecution(); return NtYieldExecution(); }
export function startValue(): i32 { return started; }
/** Traps (unreachable) when `code` is not 0: the trap handler raises the exception through the DLL's IAT. */
export function check(code: i32): i32 { if (code != 0) unreachable(); return code; }
