// The AssemblyScript runtime heap (scripts/asrt/stub.ts) shared by threads:
// four threads of one process allocate (heap.alloc and `new`), fill each
// block with their own pattern, check it and free it, for many rounds, while
// the clock preempts them anywhere (inside the allocator too). A block two
// threads were both given shows as a pattern the other thread wrote. Every
// few rounds a string is built by concatenation and checked character by
// character. Only the main thread prints (the line buffer in nt.ts is one).
import { spawnThread as spawn, threadReturned } from "./nt";
import { show, NtAllocateVirtualMemory, NtCreateThread, NtTerminateThread, NtWaitForSingleObject, NtYieldExecution, put, putDec, flush, ms } from "./nt";

const SELF: u32 = 0xFFFFFFFF;
const THREADS: u32 = 4;
const ROUNDS: u32 = 6000;
const t = memory.data(8, 8);
const handles = memory.data(16, 4);
const errors = memory.data(16, 4);   // per thread: a block or string found wrong
const finished = memory.data(16, 4); // per thread: rounds done



function worker(id: u32): void {
  let bad: u32 = 0;
  for (let i: u32 = 0; i < ROUNDS; i++) {
    const size: u32 = 8 + (i * 37 + id * 101) % 200;
    const p = heap.alloc(size);
    const tag = <u8>(id * 64 + (i & 63));
    memory.fill(p, tag, size);
    if ((i & 255) == id) NtYieldExecution();
    for (let k: u32 = 0; k < size; k++) if (load<u8>(p + k) != tag) { bad++; break; }
    heap.free(p);
    if (i % 300 == id) {
      let s = "t";
      for (let k: u32 = 0; k < 8; k++) s += String.fromCharCode(<i32>(0x41 + id * 8 + k));
      if (s.length != 9) bad++;
      else for (let k: u32 = 0; k < 8; k++) if (s.charCodeAt(k + 1) != <i32>(0x41 + id * 8 + k)) { bad++; break; }
      const a = new Uint32Array(4);
      for (let k = 0; k < 4; k++) a[k] = id * 1000 + i + k;
      for (let k = 0; k < 4; k++) if (a[k] != id * 1000 + i + k) { bad++; break; }
    }
  }
  store<u32>(errors + (id << 2), bad);
  store<u32>(finished + (id << 2), ROUNDS);
}

export function main(): void {
  const indirect: (p: u32) => void = threadReturned;
  if (load<u32>(0x7FFDF0F0) == 0x12345678) indirect(load<u32>(0x7FFDF0F4));
  for (let id: u32 = 0; id < THREADS; id++) store<u32>(handles + (id << 2), spawn(worker, id, 0));
  let waited: u32 = 0;
  for (let id: u32 = 0; id < THREADS; id++) if (NtWaitForSingleObject(load<u32>(handles + (id << 2)), 0, ms(t, 60000)) == 0) waited++;
  let bad: u32 = 0, rounds: u32 = 0;
  for (let id: u32 = 0; id < THREADS; id++) { bad += load<u32>(errors + (id << 2)); rounds += load<u32>(finished + (id << 2)); }
  put("threads "); putDec(waited); put(" rounds "); putDec(rounds); put(" errors "); putDec(bad); flush();
}
