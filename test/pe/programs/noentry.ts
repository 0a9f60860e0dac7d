// Imports a name mathlib.dll does not export: the loader ends the process
// with STATUS_ENTRYPOINT_NOT_FOUND before main() runs.
@external("ntdll", "NtDisplayString") declare function NtDisplayString(text: usize): u32;
@external("mathlib", "subtract") declare function subtract(a: i32, b: i32): i32;
export function main(): void { NtDisplayString(<usize>subtract(2, 1)); }
