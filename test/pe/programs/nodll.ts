// Imports from a DLL that is not on the disk: the loader ends the process
// with STATUS_DLL_NOT_FOUND before main() runs.
@external("ntdll", "NtDisplayString") declare function NtDisplayString(text: usize): u32;
@external("nosuchlib", "Missing") declare function Missing(): u32;
export function main(): void { NtDisplayString(Missing()); }
