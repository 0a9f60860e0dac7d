// ntdll's critical sections in Node (one wasm instance, so "threads" are TEBs
// with different ClientIds taking turns): the uncontended paths make no
// system call, recursion counts, TryEnter, and contention: the event is made
// on first need, the waiter waits on it, the leaver sets it, and a thread
// that loses the race to install its event closes its own.
// The real preemptive case runs in v86: test/boot/critsect.test.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap } from './host.ts';

let h: NtdllHost;
let x: Record<string, any>;
let cs = 0;
const LOCK_COUNT = 4, RECURSION = 8, OWNER = 12, SEMAPHORE = 16;
const teb = (tid: number) => { const t = h.alloc(0x1000, 16); h.w32(t + 0x18, t); h.w32(t + 0x30, h.peb); h.w32(t + 0x24, tid); return t; };
beforeEach(async () => {
  h = await processWithHeap();
  x = h.exports;
  cs = h.alloc(24, 8);
  h.u8.fill(0xCC, cs, cs + 24);
});
const i32 = (a: number) => h.r32(a) | 0;

describe('critical sections', () => {
  it('initialize: free, no owner, no event; enter and leave without contention make no system call', () => {
    h.teb = teb(0x40);
    expect(x.RtlInitializeCriticalSection(cs)).toBe(0);
    expect([h.r32(cs), i32(cs + LOCK_COUNT), h.r32(cs + RECURSION), h.r32(cs + OWNER), h.r32(cs + SEMAPHORE), h.r32(cs + 20)]).toEqual([0, -1, 0, 0, 0, 0]);
    h.calls = [];
    x.RtlEnterCriticalSection(cs);
    expect([i32(cs + LOCK_COUNT), h.r32(cs + RECURSION), h.r32(cs + OWNER)]).toEqual([0, 1, 0x40]);
    x.RtlEnterCriticalSection(cs); // recursion
    expect([i32(cs + LOCK_COUNT), h.r32(cs + RECURSION)]).toEqual([1, 2]);
    x.RtlLeaveCriticalSection(cs);
    expect([i32(cs + LOCK_COUNT), h.r32(cs + RECURSION), h.r32(cs + OWNER)]).toEqual([0, 1, 0x40]);
    x.RtlLeaveCriticalSection(cs);
    expect([i32(cs + LOCK_COUNT), h.r32(cs + RECURSION), h.r32(cs + OWNER)]).toEqual([-1, 0, 0]);
    expect(h.calls.filter((c) => c !== 'NtCurrentTeb')).toEqual([]);
  });

  it('TryEnter takes a free or own section, refuses another thread\'s', () => {
    const a = teb(0x40), b = teb(0x44);
    x.RtlInitializeCriticalSection(cs);
    h.teb = a;
    expect(x.RtlTryEnterCriticalSection(cs)).toBe(1);
    expect(x.RtlTryEnterCriticalSection(cs)).toBe(1);
    expect([i32(cs + LOCK_COUNT), h.r32(cs + RECURSION), h.r32(cs + OWNER)]).toEqual([1, 2, 0x40]);
    h.teb = b;
    expect(x.RtlTryEnterCriticalSection(cs)).toBe(0);
    expect(i32(cs + LOCK_COUNT)).toBe(1); // unchanged by the refusal
    h.teb = a;
    x.RtlLeaveCriticalSection(cs); x.RtlLeaveCriticalSection(cs);
    h.teb = b;
    expect(x.RtlTryEnterCriticalSection(cs)).toBe(1);
    expect(h.r32(cs + OWNER)).toBe(0x44);
  });

  it('contention: the waiter makes the event and waits on it; the leaver sets it; ownership passes; delete closes it', () => {
    const a = teb(0x40), b = teb(0x44);
    const events = new Map<number, number>(); // handle -> signal state
    const log: string[] = [];
    let next = 0x300;
    h.services.NtCreateEvent = (out, access, oa, type, initial) => {
      expect(type).toBe(1); // SynchronizationEvent: auto-reset
      expect(initial).toBe(0);
      const ev = next; next += 4; events.set(ev, 0); h.w32(out, ev);
      log.push(`create ${ev.toString(16)} at teb+${(out - h.teb).toString(16)}`);
      return 0;
    };
    h.services.NtSetEvent = (ev) => { events.set(ev, 1); log.push(`set ${ev.toString(16)}`); return 0; };
    h.services.NtWaitForSingleObject = (ev) => {
      // The other thread runs until it leaves, then this wait is satisfied.
      log.push(`wait ${ev.toString(16)}`);
      const me = h.teb;
      h.teb = a;
      x.RtlLeaveCriticalSection(cs);
      h.teb = me;
      expect(events.get(ev)).toBe(1);
      events.set(ev, 0);
      return 0;
    };
    h.services.NtClose = (ev) => { log.push(`close ${ev.toString(16)}`); events.delete(ev); return 0; };
    x.RtlInitializeCriticalSection(cs);
    h.teb = a;
    x.RtlEnterCriticalSection(cs);
    h.teb = b;
    x.RtlEnterCriticalSection(cs);
    expect([i32(cs + LOCK_COUNT), h.r32(cs + RECURSION), h.r32(cs + OWNER), h.r32(cs + SEMAPHORE)]).toEqual([0, 1, 0x44, 0x300]);
    x.RtlLeaveCriticalSection(cs);
    expect(i32(cs + LOCK_COUNT)).toBe(-1);
    expect(log).toEqual(['create 300 at teb+1bc', 'wait 300', 'set 300']);
    x.RtlDeleteCriticalSection(cs);
    expect(log.at(-1)).toBe('close 300');
    expect(h.r32(cs + SEMAPHORE)).toBe(0);
  });

  it('two threads making the event at once: the one that loses the compare-exchange closes its own', () => {
    const a = teb(0x40), b = teb(0x44), c = teb(0x48);
    const log: string[] = [];
    let next = 0x300;
    let racing = true;
    h.services.NtCreateEvent = (out) => {
      const ev = next; next += 4; h.w32(out, ev); log.push(`create ${ev.toString(16)}`);
      if (racing) {
        // Preempted right after its service: thread c contends and installs its own event first.
        racing = false;
        const me = h.teb;
        h.teb = c;
        x.RtlEnterCriticalSection(cs); // waits (its wait below returns at once)
        h.teb = me;
      }
      return 0;
    };
    h.services.NtWaitForSingleObject = (ev) => { log.push(`wait ${ev.toString(16)}`); return 0; };
    h.services.NtSetEvent = (ev) => { log.push(`set ${ev.toString(16)}`); return 0; };
    h.services.NtClose = (ev) => { log.push(`close ${ev.toString(16)}`); return 0; };
    x.RtlInitializeCriticalSection(cs);
    h.teb = a;
    x.RtlEnterCriticalSection(cs);
    h.teb = b;
    x.RtlEnterCriticalSection(cs);
    expect(log).toEqual(['create 300', 'create 304', 'wait 304', 'close 300', 'wait 304']);
    expect(h.r32(cs + SEMAPHORE)).toBe(0x304);
  });
});
