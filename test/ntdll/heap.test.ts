// The Rtl heap: flags, coalescing, in-place reallocation, growth by commit
// and by new segments, failure paths, and a random stress run checked
// against a model (no overlap, contents preserved, RtlValidateHeap).
import { beforeEach, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap } from './host.ts';

const HEAP_GROWABLE = 2, HEAP_ZERO_MEMORY = 8, HEAP_REALLOC_IN_PLACE_ONLY = 0x10;
let h: NtdllHost;
let x: Record<string, any>;
beforeEach(async () => { h = await processWithHeap(); x = h.exports; });
const u = (v: number) => v >>> 0;

describe('heap basics', () => {
  it('blocks are 8-aligned, distinct, sized as asked; zeroed with HEAP_ZERO_MEMORY', () => {
    const heap = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0, 0, 0, 0));
    expect(heap).not.toBe(0);
    const seen = new Set<number>();
    for (const size of [0, 1, 7, 8, 9, 100, 1000, 5000]) {
      const p = u(x.RtlAllocateHeap(heap, 0, size));
      expect(p % 8).toBe(0);
      expect(seen.has(p)).toBe(false);
      seen.add(p);
      expect(x.RtlSizeHeap(heap, 0, p)).toBe(size);
      h.u8.fill(0xAB, p, p + size);
    }
    for (const p of seen) expect(x.RtlFreeHeap(heap, 0, p)).toBe(1);
    const z = u(x.RtlAllocateHeap(heap, HEAP_ZERO_MEMORY, 5000));
    expect(h.u8.slice(z, z + 5000).every((b) => b === 0)).toBe(true);
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
  });
  it('RtlFreeHeap: NULL is TRUE; a bad or freed pointer is FALSE; RtlSizeHeap of it is ~0', () => {
    const heap = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0, 0, 0, 0));
    const p = u(x.RtlAllocateHeap(heap, 0, 40));
    expect(x.RtlFreeHeap(heap, 0, 0)).toBe(1);
    expect(x.RtlFreeHeap(heap, 0, p + 8)).toBe(0);
    expect(x.RtlFreeHeap(heap, 0, p)).toBe(1);
    expect(x.RtlFreeHeap(heap, 0, p)).toBe(0);
    expect(u(x.RtlSizeHeap(heap, 0, p))).toBe(0xFFFFFFFF);
    const other = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0, 0, 0, 0));
    const q = u(x.RtlAllocateHeap(heap, 0, 40));
    expect(x.RtlFreeHeap(other, 0, q)).toBe(0); // a block of another heap
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
  });
  it('freeing neighbours coalesces: three freed blocks give one that holds all three', () => {
    const heap = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0, 0, 0, 0));
    const a = u(x.RtlAllocateHeap(heap, 0, 100)), b = u(x.RtlAllocateHeap(heap, 0, 100)), c = u(x.RtlAllocateHeap(heap, 0, 100));
    const guard = u(x.RtlAllocateHeap(heap, 0, 8));
    expect(b).toBeGreaterThan(a); expect(c).toBeGreaterThan(b);
    x.RtlFreeHeap(heap, 0, a); x.RtlFreeHeap(heap, 0, c); x.RtlFreeHeap(heap, 0, b);
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
    expect(u(x.RtlAllocateHeap(heap, 0, c + 100 - a - 16))).toBe(a);
    void guard;
  });
  it('RtlReAllocateHeap: shrink and grow into a free neighbour in place, else move with contents', () => {
    const heap = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0, 0, 0, 0));
    const a = u(x.RtlAllocateHeap(heap, 0, 200));
    for (let i = 0; i < 200; i++) h.w8(a + i, i);
    const b = u(x.RtlAllocateHeap(heap, 0, 200));
    const guard = u(x.RtlAllocateHeap(heap, 0, 8));
    expect(u(x.RtlReAllocateHeap(heap, 0, a, 50))).toBe(a);
    expect(x.RtlSizeHeap(heap, 0, a)).toBe(50);
    expect(u(x.RtlReAllocateHeap(heap, HEAP_ZERO_MEMORY, a, 120))).toBe(a); // into the piece the shrink freed
    expect([...h.u8.slice(a, a + 50)]).toEqual([...Array(50).keys()]);
    expect(h.u8.slice(a + 50, a + 120).every((v) => v === 0)).toBe(true);
    expect(u(x.RtlReAllocateHeap(heap, HEAP_REALLOC_IN_PLACE_ONLY, a, 1000))).toBe(0);
    expect(x.RtlSizeHeap(heap, 0, a)).toBe(120);
    x.RtlFreeHeap(heap, 0, b);
    expect(u(x.RtlReAllocateHeap(heap, HEAP_REALLOC_IN_PLACE_ONLY, a, 300))).toBe(a);
    const moved = u(x.RtlReAllocateHeap(heap, 0, a, 5000));
    expect(moved).not.toBe(a);
    expect([...h.u8.slice(moved, moved + 50)]).toEqual([...Array(50).keys()]);
    expect(x.RtlSizeHeap(heap, 0, moved)).toBe(5000);
    expect(u(x.RtlReAllocateHeap(heap, 0, 0, 10))).toBe(0);
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
    void guard;
  });
});

describe('heap lock', () => {
  it('each call takes and releases the heap\'s critical section without a system call; HEAP_NO_SERIALIZE (heap or call) skips it; destroy deletes it', () => {
    const heap = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0, 0, 0, 0));
    const section = h.r32(heap + 24);
    expect(section).toBeGreaterThan(heap); // inside the header
    expect(h.r32(section + 4) | 0).toBe(-1); // LockCount: free
    h.calls = [];
    let seen = 0;
    // A service called while the heap is locked sees the lock held by this thread (the commit inside a reallocation).
    h.services.NtAllocateVirtualMemory = (...args: number[]) => {
      seen = h.r32(section + 4) | 0;
      delete h.services.NtAllocateVirtualMemory;
      return h.NtAllocateVirtualMemory(args[0], args[1], args[2], args[3], args[4], args[5]);
    };
    const p = u(x.RtlAllocateHeap(heap, 0, 100));
    const q = u(x.RtlReAllocateHeap(heap, 0, p, 100000));
    x.RtlFreeHeap(heap, 0, q);
    expect(seen).toBe(0);
    expect(h.calls.filter((c) => c === 'NtAllocateVirtualMemory').length).toBeGreaterThan(0);
    expect(h.calls.filter((c) => /Wait|Release|Event|Mutant/.test(c))).toEqual([]);
    expect(h.r32(section + 4) | 0).toBe(-1);
    expect(h.r32(section + 8)).toBe(0); // RecursionCount
    expect(h.r32(section + 12)).toBe(0); // OwningThread
    const unlocked = u(x.RtlCreateHeap(HEAP_GROWABLE | 1, 0, 0, 0, 0, 0));
    expect(h.r32(unlocked + 24)).toBe(0);
    expect(x.RtlDestroyHeap(heap)).toBe(0);
  });
});

describe('heap growth', () => {
  it('commits pages as it grows, inside a fixed reserve; a full fixed heap returns NULL', () => {
    const pagesBefore = h.committedPages();
    const heap = u(x.RtlCreateHeap(0, 0, 0x20000, 0x1000, 0, 0));
    const after = h.committedPages();
    expect(after - pagesBefore).toBeLessThanOrEqual(2);
    const blocks: number[] = [];
    for (;;) {
      const p = u(x.RtlAllocateHeap(heap, 0, 4000));
      if (!p) break;
      blocks.push(p);
      expect(h.isCommitted(p) && h.isCommitted(p + 3999)).toBe(true);
    }
    expect(blocks.length).toBeGreaterThan(25);
    expect(blocks.length).toBeLessThan(33);
    expect(blocks.every((p) => h.regionOf(p) === h.regionOf(heap))).toBe(true);
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
  });
  it('a growable heap reserves new segments for big blocks and releases them when empty', () => {
    const heap = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0x10000, 0, 0, 0));
    const regions = h.regions.length;
    const big = u(x.RtlAllocateHeap(heap, 0, 3 * 1024 * 1024));
    expect(big).not.toBe(0);
    expect(h.regions.length).toBe(regions + 1);
    expect(h.isCommitted(big + 3 * 1024 * 1024 - 1)).toBe(true);
    h.u8.fill(1, big, big + 3 * 1024 * 1024);
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
    x.RtlFreeHeap(heap, 0, big);
    expect(h.regions.length).toBe(regions);
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
  });
  it('a commit that fails makes the allocation fail, and the heap stays usable', () => {
    const heap = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0, 0, 0, 0));
    h.commitBudget = 0;
    expect(u(x.RtlAllocateHeap(heap, 0, 100000))).toBe(0);
    h.commitBudget = Infinity;
    expect(u(x.RtlAllocateHeap(heap, 0, 100000))).not.toBe(0);
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
  });
  it('RtlDestroyHeap releases every segment; the process heap is refused', () => {
    const regions = h.regions.length;
    const heap = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0x10000, 0, 0, 0));
    x.RtlAllocateHeap(heap, 0, 200000);
    expect(h.regions.length).toBe(regions + 2);
    expect(x.RtlDestroyHeap(heap)).toBe(0);
    expect(h.regions.length).toBe(regions);
    const processHeap = h.r32(h.peb + 0x18);
    expect(u(x.RtlDestroyHeap(processHeap))).toBe(processHeap);
  });
  it('a heap in the caller\'s memory uses it and is not released', () => {
    const base = h.reserve(0x10000, true);
    const heap = u(x.RtlCreateHeap(0, base, 0x10000, 0x10000, 0, 0));
    expect(heap).toBe(base);
    const p = u(x.RtlAllocateHeap(heap, 0, 1000));
    expect(p > base && p < base + 0x10000).toBe(true);
    const regions = h.regions.length;
    expect(x.RtlDestroyHeap(heap)).toBe(0);
    expect(h.regions.length).toBe(regions);
    // Sizes left 0: the region's own size and state (NtQueryVirtualMemory) are used.
    const other = h.reserve(0x20000, true);
    const heap2 = u(x.RtlCreateHeap(0, other, 0, 0, 0, 0));
    expect(heap2).toBe(other);
    const big = u(x.RtlAllocateHeap(heap2, 0, 0x18000));
    expect(big > other && big + 0x18000 <= other + 0x20000).toBe(true);
    expect(x.RtlValidateHeap(heap2, 0, 0)).toBe(1);
  });
});

describe('heap stress', () => {
  it('10000 random allocations, frees and reallocations keep blocks apart and contents whole', () => {
    const heap = u(x.RtlCreateHeap(HEAP_GROWABLE, 0, 0x10000, 0, 0, 0));
    let seed = 99;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF; return seed % n; };
    const live = new Map<number, { size: number; fill: number }>();
    const check = (p: number) => {
      const { size, fill } = live.get(p)!;
      const m = h.u8;
      for (let i = 0; i < size; i++) if (m[p + i] !== ((fill + i) & 0xFF)) throw new Error(`block ${p.toString(16)} byte ${i} changed`);
    };
    const paint = (p: number, size: number) => { const fill = rnd(256); const m = h.u8; for (let i = 0; i < size; i++) m[p + i] = (fill + i) & 0xFF; live.set(p, { size, fill }); };
    const sizeOf = () => (rnd(10) === 0 ? rnd(70000) : rnd(10) < 3 ? rnd(2000) : rnd(64));
    for (let op = 0; op < 10000; op++) {
      const r = rnd(10);
      const keys = [...live.keys()];
      if (r < 5 || keys.length === 0) {
        const size = sizeOf();
        const p = u(x.RtlAllocateHeap(heap, 0, size));
        expect(p).not.toBe(0);
        expect(live.has(p)).toBe(false);
        paint(p, size);
      } else if (r < 8) {
        const p = keys[rnd(keys.length)];
        check(p);
        expect(x.RtlFreeHeap(heap, 0, p)).toBe(1);
        live.delete(p);
      } else {
        const p = keys[rnd(keys.length)];
        check(p);
        const old = live.get(p)!;
        const size = sizeOf();
        const q = u(x.RtlReAllocateHeap(heap, 0, p, size));
        expect(q).not.toBe(0);
        const keep = Math.min(size, old.size);
        const m = h.u8;
        for (let i = 0; i < keep; i++) if (m[q + i] !== ((old.fill + i) & 0xFF)) throw new Error(`realloc lost byte ${i}`);
        live.delete(p);
        paint(q, size);
      }
      if (op % 500 === 0) {
        expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
        const spans = [...live].map(([p, v]) => [p, p + Math.max(v.size, 1)]).sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
        for (const [p, v] of live) { expect(x.RtlSizeHeap(heap, 0, p)).toBe(v.size); expect(h.isCommitted(p + v.size - 1) || v.size === 0).toBe(true); }
      }
    }
    for (const p of live.keys()) { check(p); expect(x.RtlFreeHeap(heap, 0, p)).toBe(1); }
    expect(x.RtlValidateHeap(heap, 0, 0)).toBe(1);
    expect(x.RtlDestroyHeap(heap)).toBe(0);
  });
});
