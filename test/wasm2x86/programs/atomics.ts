// The i32 atomics (wasm's threads proposal): every read-modify-write returns
// the old value and leaves the new one, at a memarg offset too; the narrow
// atomic loads and stores (AssemblyScript 0.28 emits atomic.fence in a form Binaryen rejects).
import { line, exit, puts } from './io';

const cell = memory.data(64);

export function main(magic: u32, info: usize): void {
  store<u32>(cell, 100);
  line('add', atomic.add<u32>(cell, 5));
  line('after add', load<u32>(cell));
  line('sub', atomic.sub<u32>(cell, 7));
  line('after sub', load<u32>(cell));
  store<u32>(cell, 0xF0F0);
  line('and', atomic.and<u32>(cell, 0x0FF0));
  line('after and', load<u32>(cell));
  line('or', atomic.or<u32>(cell, 0x1001));
  line('after or', load<u32>(cell));
  line('xor', atomic.xor<u32>(cell, 0xFFFF));
  line('after xor', load<u32>(cell));
  line('xchg', atomic.xchg<u32>(cell, 0xCAFE));
  line('after xchg', load<u32>(cell));
  line('cmpxchg hit', atomic.cmpxchg<u32>(cell, 0xCAFE, 0xBEEF));
  line('after hit', load<u32>(cell));
  line('cmpxchg miss', atomic.cmpxchg<u32>(cell, 0xCAFE, 0x1234));
  line('after miss', load<u32>(cell));
  // memarg offsets
  store<u32>(cell + 16, 1);
  line('add off', atomic.add<u32>(cell, 41, 16));
  line('cmpxchg off', atomic.cmpxchg<u32>(cell, 42, 7, 16));
  line('after off', load<u32>(cell + 16));
  // loads and stores, narrow ones too
  atomic.store<u32>(cell + 32, 0x11223344);
  atomic.store<u8>(cell + 32, 0xAA);
  atomic.store<u16>(cell + 34, 0xBBCC);
  line('load', atomic.load<u32>(cell + 32));
  line('load8', atomic.load<u8>(cell + 33));
  line('load16', atomic.load<u16>(cell + 34));
  // a counter through a loop of compare-exchanges (a lock-free increment)
  store<u32>(cell + 48, 0);
  for (let i = 0; i < 1000; i++) {
    let old: u32;
    do { old = atomic.load<u32>(cell + 48); } while (atomic.cmpxchg<u32>(cell + 48, old, old + 3) != old);
  }
  line('counter', load<u32>(cell + 48));
  puts('done\n');
  exit(0);
}

export function trap(code: u32, addr: usize): void { line('trap', code); exit(code + 16); }
