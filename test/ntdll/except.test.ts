// ntdll's exception dispatching (images/system32/ntdll/except.ts) against
// JavaScript stand-ins for its x86 helpers: a "handler" is a number the
// RtlpExecuteHandler service looks up in a table of JavaScript functions,
// as a filter is for RtlpCallExceptionFilter. RtlpRaiseChained never
// returns on the machine (it raises); here it throws, recording the status.
import { beforeEach, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap, hex } from './host.ts';

const ContinueExecution = 0, ContinueSearch = 1, NestedException = 2;
const EXCEPTION_NONCONTINUABLE = 1, EXCEPTION_UNWINDING = 2, EXCEPTION_EXIT_UNWIND = 4, EXCEPTION_STACK_INVALID = 8, EXCEPTION_NESTED_CALL = 0x10;
const CHAIN_END = 0xFFFFFFFF;

class Raised extends Error { constructor(readonly status: number, readonly nested: number) { super(`raised ${hex(status)}`); } }

let h: NtdllHost;
let x: Record<string, any>;
let stackLow = 0, stackHigh = 0;
/** Frame handlers by handler number: (record, frame, context, flags seen) -> [disposition, dispatcherContext]. */
let handlers: Map<number, (frame: number, flags: number) => [number, number]>;
let filters: Map<number, () => number>;
let calls: string[];
let record = 0, context = 0;

beforeEach(async () => {
  h = await processWithHeap(); x = h.exports;
  stackLow = h.alloc(0x1000, 16); stackHigh = stackLow + 0x1000;
  h.w32(h.teb + 0, CHAIN_END);       // NtTib.ExceptionList
  h.w32(h.teb + 4, stackHigh);       // NtTib.StackBase
  h.w32(h.teb + 8, stackLow);        // NtTib.StackLimit
  handlers = new Map(); filters = new Map(); calls = [];
  record = h.alloc(0x50, 4); context = h.alloc(0x2CC, 4);
  h.w32(record, 0xC0000005);
  // An i64 import: the JavaScript stand-in answers a BigInt (edx:eax on the machine).
  h.services.RtlpExecuteHandler = ((handler: number, rec: number, frame: number, ctx: number) => {
    expect([rec, ctx]).toEqual([record, context]);
    const [disposition, dc] = handlers.get(handler)!(frame, h.r32(rec + 4));
    calls.push(`frame ${hex(frame)} flags ${h.r32(rec + 4)}`);
    return (BigInt(dc) << 32n) | BigInt(disposition);
  }) as unknown as (...args: number[]) => number;
  h.services.RtlpCallExceptionFilter = (filter, rec, ctx) => {
    expect([rec, ctx]).toEqual([record, context]);
    calls.push(`filter ${filter}`);
    return filters.get(filter)!() >>> 0;
  };
  h.services.RtlpRaiseChained = (status, nested) => { throw new Raised(status, nested); };
  h.services.NtTerminateProcess = (process, status) => { calls.push(`terminate ${hex(process)} ${hex(status)}`); return 0; };
  h.services.NtRaiseException = (rec, ctx, first) => { calls.push(`NtRaiseException first ${first}`); return 0; };
});

/** Links registrations (newest first) in the stack area: each at `offset` with `handler`; returns their addresses. */
function chain(...frames: Array<[number, number]>): number[] {
  const at = frames.map(([offset]) => stackLow + offset);
  frames.forEach(([, handler], i) => { h.w32(at[i], i + 1 < at.length ? at[i + 1] : CHAIN_END); h.w32(at[i] + 4, handler); });
  h.w32(h.teb, at.length ? at[0] : CHAIN_END);
  return at;
}
const dispatch = () => x.RtlDispatchException(record, context);
const flags = () => h.r32(record + 4);

describe('RtlDispatchException', () => {
  it('asks the vectored handlers first, in order (First = TRUE in front); EXCEPTION_CONTINUE_EXECUTION ends the search', () => {
    filters.set(0x111, () => 0).set(0x222, () => -1).set(0x333, () => 0);
    const a = x.RtlAddVectoredExceptionHandler(0, 0x111) >>> 0;
    x.RtlAddVectoredExceptionHandler(1, 0x222);
    x.RtlAddVectoredExceptionHandler(0, 0x333);
    handlers.set(0x900, () => { throw new Error('frame handler called'); });
    chain([0x800, 0x900]);
    expect(dispatch()).toBe(1);
    expect(calls).toEqual(['filter 546']); // 0x222, put first
    expect(x.RtlRemoveVectoredExceptionHandler(a)).toBe(1);
    expect(x.RtlRemoveVectoredExceptionHandler(a)).toBe(0);
  });

  it('walks the fs:[0] chain newest first until a frame continues execution', () => {
    handlers.set(0x901, () => [ContinueSearch, 0]).set(0x902, () => [ContinueExecution, 0]).set(0x903, () => { throw new Error('past the frame that took it'); });
    const [a, b] = chain([0x700, 0x901], [0x800, 0x902], [0x900, 0x903]);
    expect(dispatch()).toBe(1);
    expect(calls).toEqual([`frame ${hex(a)} flags 0`, `frame ${hex(b)} flags 0`]);
  });

  it('an empty chain, or one where every frame passes, is the second chance', () => {
    expect(dispatch()).toBe(0);
    handlers.set(0x901, () => [ContinueSearch, 0]);
    chain([0x700, 0x901]);
    expect(dispatch()).toBe(0);
  });

  it('a registration outside the TEB stack limits or misaligned stops the search with EXCEPTION_STACK_INVALID', () => {
    handlers.set(0x901, () => [ContinueSearch, 0]).set(0x902, () => { throw new Error('called a bad frame'); });
    const [, bad] = chain([0x700, 0x901], [0x802, 0x902]);
    expect(bad & 3).toBe(2);
    expect(dispatch()).toBe(0);
    expect(flags() & EXCEPTION_STACK_INVALID).toBe(EXCEPTION_STACK_INVALID);
    h.w32(record + 4, 0);
    h.w32(h.teb, stackHigh); // above StackBase
    expect(dispatch()).toBe(0);
    expect(flags()).toBe(EXCEPTION_STACK_INVALID);
    expect(calls).toEqual([`frame ${hex(stackLow + 0x700)} flags 0`]);
  });

  it('continuing a non-continuable exception raises STATUS_NONCONTINUABLE_EXCEPTION with the record nested', () => {
    h.w32(record + 4, EXCEPTION_NONCONTINUABLE);
    handlers.set(0x901, () => [ContinueExecution, 0]);
    chain([0x700, 0x901]);
    expect(dispatch).toThrow(Raised);
    try { dispatch(); } catch (e) { expect([hex((e as Raised).status), (e as Raised).nested]).toEqual(['0xC0000025', record]); }
  });

  it('an unknown disposition raises STATUS_INVALID_DISPOSITION', () => {
    handlers.set(0x901, () => [7, 0]);
    chain([0x700, 0x901]);
    try { dispatch(); expect.unreachable(); } catch (e) { expect(hex((e as Raised).status)).toBe('0xC0000026'); }
  });

  it('ExceptionNestedException marks the frames up to the one whose handler raised it (EXCEPTION_NESTED_CALL)', () => {
    // Frames: the nested-exception registration (0x600), two frames, the frame whose handler was running (0x900), one more.
    const at = (o: number) => stackLow + o;
    handlers.set(0x900, () => [NestedException, at(0x900)]).set(0x901, () => [ContinueSearch, 0]).set(0x902, () => [ContinueSearch, 0]).set(0x903, () => [ContinueExecution, 0]);
    chain([0x600, 0x900], [0x700, 0x901], [0x900, 0x902], [0xA00, 0x903]);
    expect(dispatch()).toBe(1);
    expect(calls).toEqual([
      `frame ${hex(at(0x600))} flags 0`,
      `frame ${hex(at(0x700))} flags ${EXCEPTION_NESTED_CALL}`,
      `frame ${hex(at(0x900))} flags ${EXCEPTION_NESTED_CALL}`,
      `frame ${hex(at(0xA00))} flags 0`, // past the frame that was running: no longer nested
    ]);
  });

  it('the top-level filter (RtlSetUnhandledExceptionFilter) at the chain\'s end: continue, end the process, or second chance', () => {
    x.RtlSetUnhandledExceptionFilter(0x444);
    filters.set(0x444, () => -1);
    expect(dispatch()).toBe(1);
    filters.set(0x444, () => 1);
    expect(dispatch()).toBe(0);
    expect(calls).toContain('terminate 0xFFFFFFFF 0xC0000005');
    filters.set(0x444, () => 0);
    calls = [];
    expect(dispatch()).toBe(0);
    expect(calls).toEqual(['filter 1092']);
    x.RtlSetUnhandledExceptionFilter(0);
    calls = [];
    expect(dispatch()).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe('RtlpUnwind (RtlUnwind\'s work)', () => {
  const own = () => { const r = h.alloc(0x50, 4); h.w32(r, 0xC0000027); return r; };

  it('calls each handler above the target with EXCEPTION_UNWINDING, takes it off, and stops at the target', () => {
    handlers.set(0x901, () => [ContinueSearch, 0]).set(0x902, () => [ContinueSearch, 0]).set(0x903, () => { throw new Error('target unwound'); });
    const [a, b, target] = chain([0x600, 0x901], [0x700, 0x902], [0x900, 0x903]);
    x.RtlpUnwind(target, record, own(), context);
    expect(calls).toEqual([`frame ${hex(a)} flags ${EXCEPTION_UNWINDING}`, `frame ${hex(b)} flags ${EXCEPTION_UNWINDING}`]);
    expect(h.r32(h.teb)).toBe(target);
  });

  it('a target below the top registration is STATUS_INVALID_UNWIND_TARGET', () => {
    handlers.set(0x901, () => [ContinueSearch, 0]);
    chain([0x700, 0x901]);
    try { x.RtlpUnwind(stackLow + 0x600, record, own(), context); expect.unreachable(); } catch (e) { expect(hex((e as Raised).status)).toBe('0xC0000029'); }
  });

  it('an exit unwind (no target) unwinds every frame, then raises the second chance', () => {
    handlers.set(0x901, () => [ContinueSearch, 0]);
    chain([0x700, 0x901]);
    x.RtlpUnwind(0, record, own(), context);
    expect(calls).toEqual([`frame ${hex(stackLow + 0x700)} flags ${EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND}`, 'NtRaiseException first 0']);
    expect(h.r32(h.teb)).toBe(CHAIN_END);
  });

  it('without a record of the caller\'s, the one its entry made (STATUS_UNWIND) goes to the handlers', () => {
    const mine = own();
    h.services.RtlpExecuteHandler = ((handler: number, rec: number) => { calls.push(`${hex(h.r32(rec))} ${h.r32(rec + 4)}`); return BigInt(ContinueSearch); }) as unknown as (...args: number[]) => number;
    chain([0x700, 0x901]);
    x.RtlpUnwind(CHAIN_END, 0, mine, context);
    expect(calls).toEqual([`0xC0000027 ${EXCEPTION_UNWINDING}`]);
  });
});
