// DbgPrint and the formatter: every conversion DbgPrint callers use, flags,
// widths, 64-bit sizes, NULL strings, truncation, and the text reaching
// NtDisplayString.
import { beforeAll, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap } from './host.ts';

let h: NtdllHost;
let x: Record<string, any>;
beforeAll(async () => { h = await processWithHeap(); x = h.exports; });

/** _vsnprintf into a big buffer: the text. */
const fmt = (format: string, ...args: number[]): string => {
  const va = h.alloc(args.length * 4 + 4, 4);
  args.forEach((a, i) => h.w32(va + i * 4, a));
  const buf = h.alloc(1024);
  const n = x._vsnprintf(buf, 1024, h.astr(format), va);
  expect(n).toBeGreaterThanOrEqual(0);
  return h.readA(buf, n);
};

describe('formatter', () => {
  it('integers: signed, unsigned, hex, octal, widths, flags, precision, short and 64-bit', () => {
    expect(fmt('%d %i %u', -5, 42, -1)).toBe('-5 42 4294967295');
    expect(fmt('%x %X %o', 0xBEEF, 0xBEEF, 8)).toBe('beef BEEF 10');
    expect(fmt('[%5d][%-5d][%05d][%+d][% d]', 42, 42, -42, 7, 7)).toBe('[   42][42   ][-0042][+7][ 7]');
    expect(fmt('%08x %#x %#o %#X', 0x1F, 0x1F, 8, 0xAB)).toBe('0000001f 0x1f 010 0XAB');
    expect(fmt('%.3d %8.3d %-8.3x|', 5, 5, 0xA)).toBe('005      005 00a     |');
    expect(fmt('%*d|%-*d|%.*d', 4, 1, 3, 2, 3, 9)).toBe('   1|2  |009');
    expect(fmt('%hd %hu %hx', 0x18000, 0x18000, 0xFFFFF)).toBe('-32768 32768 ffff');
    expect(fmt('%I64d %I64x %lld', 0xFFFFFFFF, 0xFFFFFFFF, 0x00000000, 0x00000001, 5, 0)).toBe('-1 100000000 5');
    expect(fmt('%I64u', 0, 0x80000000)).toBe('9223372036854775808');
    expect(fmt('%ld %lu %I32d', -3, 3, -4)).toBe('-3 3 -4');
    expect(fmt('%d %x', 0, 0)).toBe('0 0');
    expect(fmt('%.0d|', 0)).toBe('|');
  });
  it('pointers, characters, percent signs, unknown conversions', () => {
    expect(fmt('%p %p', 0x12FF7C, 0)).toBe('0012FF7C 00000000');
    expect(fmt('%c%c%C%wc', 0x41, 0x80, 0x20AC, 0x42)).toBe('A\x80\x80B');
    expect(fmt('100%% %q')).toBe('100% %q');
  });
  it('strings: %s %ws %S %ls %Z %wZ, precision, widths, NULL', () => {
    const a = h.astr('narrow'), w = h.wstr('wide€');
    expect(fmt('%s|%ws|%S|%ls|%hS', a, w, w, w, a)).toBe('narrow|wide\x80|wide\x80|wide\x80|narrow');
    expect(fmt('[%8s][%-8s][%.3s]', a, a, a)).toBe('[  narrow][narrow  ][nar]');
    const us = h.us('\\Device\\Null');
    const as = h.alloc(8); h.w16(as, 3); h.w16(as + 2, 7); h.w32(as + 4, a);
    expect(fmt('%wZ %Z', us, as)).toBe('\\Device\\Null nar');
    expect(fmt('%s %S %wZ', 0, 0, 0)).toBe('(null) (null) (null)');
  });
  it('_vsnprintf: -1 and no NUL when the text does not fit, NUL when it does', () => {
    const buf = h.alloc(8);
    h.u8.fill(0xEE, buf, buf + 8);
    expect(x._vsnprintf(buf, 4, h.astr('abcdef'), 0)).toBe(-1);
    expect([...h.u8.slice(buf, buf + 5)]).toEqual([97, 98, 99, 100, 0xEE]);
    expect(x._vsnprintf(buf, 4, h.astr('abcd'), 0)).toBe(4);
    expect(h.r8(buf + 4)).toBe(0xEE);
    expect(x._vsnprintf(buf, 8, h.astr('ab'), 0)).toBe(2);
    expect(h.readA(buf)).toBe('ab');
  });
});

describe('DbgPrint', () => {
  it('formats its argument words and shows the text with NtDisplayString', () => {
    h.display = '';
    const status = x.DbgPrint(h.astr('SMSS: %s failed - Status == %lx (%wZ) %d\n'), h.astr('NtCreatePort'), 0xC0000034, h.us('\\SmApiPort'), -1, 0, 0, 0, 0);
    expect(status).toBe(0);
    expect(h.display).toBe('SMSS: NtCreatePort failed - Status == c0000034 (\\SmApiPort) -1\n');
    h.display = '';
    x.DbgPrintEx(77, 0, h.astr('%u-%u'), 1, 2, 0, 0, 0, 0, 0, 0);
    expect(h.display).toBe('1-2');
  });
  it('a message longer than 512 characters is cut at 512', () => {
    h.display = '';
    x.DbgPrint(h.astr('%s%s'), h.astr('x'.repeat(400)), h.astr('y'.repeat(400)), 0, 0, 0, 0, 0, 0);
    expect(h.display.length).toBe(512);
    expect(h.display.endsWith('y'.repeat(112))).toBe(true);
  });
  it('vDbgPrintEx takes a va_list', () => {
    h.display = '';
    const va = h.alloc(8); h.w32(va, 3); h.w32(va + 4, h.wstr('three'));
    x.vDbgPrintEx(0, 0, h.astr('%d=%ws'), va);
    expect(h.display).toBe('3=three');
  });
});
