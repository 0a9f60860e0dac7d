// Bench: ITERATIONS allocate/free pairs on the process heap through
// ntdll.dll's RtlAllocateHeap and RtlFreeHeap (a PE image, spawned from
// \Images\hello.exe), sizes 16..272 bytes. The bench builds it with two
// values of ITERATIONS and takes the difference of the whole runs.
@external("ntdll", "RtlAllocateHeap") declare function RtlAllocateHeap(heap: usize, flags: u32, size: u32): usize;
@external("ntdll", "RtlFreeHeap") declare function RtlFreeHeap(heap: usize, flags: u32, p: usize): bool;
@external("ntdll", "RtlGetCurrentPeb") declare function RtlGetCurrentPeb(): usize;

const ITERATIONS: u32 = 10;

export function main(): void {
  const heap = load<usize>(RtlGetCurrentPeb() + 0x18); // PEB.ProcessHeap
  for (let i: u32 = 0; i < ITERATIONS; i++) {
    const p = RtlAllocateHeap(heap, 0, 16 + (i & 255));
    store<u32>(p, i);
    RtlFreeHeap(heap, 0, p);
  }
}
