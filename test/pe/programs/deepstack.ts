// The stack grows: the image commits 4 KiB of its 256 KiB reservation, and
// a deep recursion touches far more; the kernel commits the pages as they
// are touched (MmGrowUserStack). With an argument the recursion never ends:
// it reaches the reservation's bottom and the program ends with
// STATUS_STACK_OVERFLOW.

@external("ntdll", "NtDisplayString") declare function NtDisplayString(text: usize): u32;
@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;

const line = memory.data(128, 4), ustr = memory.data(8, 4);
let length: u32 = 0;
function put(s: string): void { for (let i = 0; i < s.length; i++) { store<u16>(line + (length << 1), <u16>s.charCodeAt(i)); length++; } }
function putDec(v: u32): void { if (v >= 10) putDec(v / 10); store<u16>(line + (length << 1), <u16>(48 + v % 10)); length++; }
function flush(): void { store<u16>(ustr, <u16>(length << 1)); store<u16>(ustr, <u16>(length << 1), 2); store<usize>(ustr, line, 4); NtDisplayString(ustr); length = 0; }

let forever = false;
/** 1 + 2 + ... + n through n nested calls (the extra arguments widen each frame). */
function sum(n: u32, a: u64, b: u64): u64 {
  if (n == 0 && !forever) return a - b;
  return <u64>n + sum(n - 1, a + 1, b + 1);
}

export function main(): void {
  const params = load<usize>(RtlGetCurrentPeb(), 0x10);
  // An argument after the image name ("... forever"): never stop.
  forever = load<u16>(params, 0x40) > load<u16>(params, 0x38);
  put("depth 3000 sum "); putDec(<u32>sum(3000, 7, 7)); flush();
}
