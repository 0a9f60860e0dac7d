// Memory block routines and NT time <-> TIME_FIELDS, checked against
// JavaScript's Date (proleptic Gregorian, UTC) over 1601..30000.
import { beforeAll, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap } from './host.ts';

let h: NtdllHost;
let x: Record<string, any>;
beforeAll(async () => { h = await processWithHeap(); x = h.exports; });

describe('memory', () => {
  it('RtlMoveMemory handles overlap both ways; RtlCopyMemory copies', () => {
    const a = h.alloc(32);
    for (let i = 0; i < 16; i++) h.w8(a + i, i);
    x.RtlMoveMemory(a + 4, a, 8);
    expect([...h.u8.slice(a, a + 12)]).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7]);
    x.RtlMoveMemory(a, a + 4, 8);
    expect([...h.u8.slice(a, a + 8)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const b = h.alloc(8);
    x.RtlCopyMemory(b, a, 5);
    expect([...h.u8.slice(b, b + 8)]).toEqual([0, 1, 2, 3, 4, 0, 0, 0]);
  });
  it('RtlFillMemory, RtlZeroMemory, RtlFillMemoryUlong', () => {
    const a = h.alloc(16);
    x.RtlFillMemory(a, 10, 0x5A);
    expect([...h.u8.slice(a, a + 11)]).toEqual([...Array(10).fill(0x5A), 0]);
    x.RtlZeroMemory(a + 2, 3);
    expect([...h.u8.slice(a, a + 6)]).toEqual([0x5A, 0x5A, 0, 0, 0, 0x5A]);
    x.RtlFillMemoryUlong(a, 11, 0x11223344);
    expect(h.r32(a + 4)).toBe(0x11223344);
    expect(h.r8(a + 8)).toBe(0x5A); // 11 bytes: two whole ULONGs only
  });
  it('RtlCompareMemory counts equal leading bytes', () => {
    const a = h.alloc(16), b = h.alloc(16);
    for (let i = 0; i < 16; i++) { h.w8(a + i, i); h.w8(b + i, i); }
    expect(x.RtlCompareMemory(a, b, 16)).toBe(16);
    h.w8(b + 9, 99);
    expect(x.RtlCompareMemory(a, b, 16)).toBe(9);
    expect(x.RtlCompareMemory(a, b, 5)).toBe(5);
    expect(x.RtlCompareMemory(a, b, 0)).toBe(0);
    h.w8(b, 7);
    expect(x.RtlCompareMemory(a, b, 16)).toBe(0);
    const c = h.alloc(12);
    h.w32(c, 7); h.w32(c + 4, 7); h.w32(c + 8, 8);
    expect(x.RtlCompareMemoryUlong(c, 12, 7)).toBe(8);
    expect(x.RtlCompareMemoryUlong(c, 7, 7)).toBe(4);
  });
});

const EPOCH_DIFF_MS = 11644473600000n;
const ntTime = (ms: number) => (BigInt(ms) + EPOCH_DIFF_MS) * 10000n;

describe('time', () => {
  const toFields = (t: bigint) => {
    const tp = h.alloc(8), f = h.alloc(16);
    h.w64(tp, t);
    x.RtlTimeToTimeFields(tp, f);
    return [0, 2, 4, 6, 8, 10, 12, 14].map((o) => h.ri16(f + o));
  };
  const fromFields = (fields: number[]): bigint | undefined => {
    const f = h.alloc(16), tp = h.alloc(8);
    fields.forEach((v, i) => h.w16(f + i * 2, v & 0xFFFF));
    h.w64(tp, 0xDEADn);
    const ok = x.RtlTimeFieldsToTime(f, tp);
    if (!ok) { expect(h.r64(tp)).toBe(0xDEADn); return undefined; }
    return h.r64(tp);
  };
  it('time 0 is Monday 1601-01-01', () => {
    expect(toFields(0n)).toEqual([1601, 1, 1, 0, 0, 0, 0, 1]);
  });
  it('leap days: 1604-02-29, 1700-03-01 (no Feb 29), 2000-02-29, 2000-12-31, 2100-02-28', () => {
    for (const iso of ['1604-02-29T12:00:00.000Z', '1700-02-28T23:59:59.999Z', '1700-03-01T00:00:00.000Z', '2000-02-29T01:02:03.004Z',
      '2000-12-31T23:59:59.999Z', '2001-01-01T00:00:00.000Z', '2100-02-28T00:00:00.000Z', '2400-12-31T10:00:00.000Z', '1999-12-31T23:59:59.000Z']) {
      const d = new Date(iso);
      const want = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds(), d.getUTCDay()];
      expect(toFields(ntTime(d.getTime())), iso).toEqual(want);
      expect(fromFields(want), iso).toBe(ntTime(d.getTime()));
    }
  });
  it('5000 random times round-trip and agree with Date', () => {
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF; return seed / 0x80000000; };
    const lo = Date.UTC(1601, 0, 1), hi = Date.UTC(30000, 0, 1);
    for (let i = 0; i < 5000; i++) {
      const ms = Math.floor(lo + rnd() * (hi - lo));
      const d = new Date(ms);
      const want = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds(), d.getUTCDay()];
      const got = toFields(ntTime(ms));
      if (got.join() !== want.join()) expect(got, d.toISOString()).toEqual(want);
      const back = fromFields(want);
      if (back !== ntTime(ms)) expect(back, d.toISOString()).toBe(ntTime(ms));
    }
  });
  it('sub-millisecond ticks are dropped from the fields', () => {
    expect(toFields(ntTime(0) + 9999n)).toEqual(toFields(ntTime(0)));
  });
  it('RtlTimeFieldsToTime refuses fields out of range and ignores Weekday', () => {
    expect(fromFields([1600, 12, 31, 0, 0, 0, 0, 0])).toBeUndefined();
    expect(fromFields([2001, 2, 29, 0, 0, 0, 0, 0])).toBeUndefined();
    expect(fromFields([1900, 2, 29, 0, 0, 0, 0, 0])).toBeUndefined();
    expect(fromFields([2000, 2, 29, 0, 0, 0, 0, 6])).toBe(ntTime(Date.UTC(2000, 1, 29)));
    expect(fromFields([2000, 13, 1, 0, 0, 0, 0, 0])).toBeUndefined();
    expect(fromFields([2000, 0, 1, 0, 0, 0, 0, 0])).toBeUndefined();
    expect(fromFields([2000, 4, 31, 0, 0, 0, 0, 0])).toBeUndefined();
    expect(fromFields([2000, 1, 1, 24, 0, 0, 0, 0])).toBeUndefined();
    expect(fromFields([2000, 1, 1, 0, 60, 0, 0, 0])).toBeUndefined();
    expect(fromFields([2000, 1, 1, 0, 0, 60, 0, 0])).toBeUndefined();
    expect(fromFields([2000, 1, 1, 0, 0, 0, 1000, 0])).toBeUndefined();
    expect(fromFields([2000, 1, 1, 0, 0, 0, -1, 0])).toBeUndefined();
  });
  it('seconds since 1970', () => {
    const t = h.alloc(8), s = h.alloc(4);
    x.RtlSecondsSince1970ToTime(86400, t);
    expect(h.r64(t)).toBe(ntTime(86400000));
    expect(x.RtlTimeToSecondsSince1970(t, s)).toBe(1);
    expect(h.r32(s)).toBe(86400);
    h.w64(t, ntTime(-1000));
    expect(x.RtlTimeToSecondsSince1970(t, s)).toBe(0);
  });
});
