// ntdll's counted-string routines against what Windows does: lengths,
// terminators, buffer-too-small and overflow statuses, number parsing.
import { beforeAll, describe, expect, it } from 'vitest';
import { NtdllHost, processWithHeap, hex } from './host.ts';

const STATUS_BUFFER_OVERFLOW = 0x80000005, STATUS_BUFFER_TOO_SMALL = 0xC0000023;
const STATUS_INVALID_PARAMETER = 0xC000000D, STATUS_INVALID_PARAMETER_2 = 0xC00000F0, STATUS_NAME_TOO_LONG = 0xC0000106;

let h: NtdllHost;
let x: Record<string, any>;
beforeAll(async () => { h = await processWithHeap(); x = h.exports; });
const st = (v: number) => hex(v);

describe('init', () => {
  it('RtlInitUnicodeString counts bytes, MaximumLength has the NUL, NULL gives an empty string', () => {
    const u = h.alloc(8);
    const s = h.wstr('Hello');
    x.RtlInitUnicodeString(u, s);
    expect([h.r16(u), h.r16(u + 2), h.r32(u + 4)]).toEqual([10, 12, s]);
    x.RtlInitUnicodeString(u, h.wstr(''));
    expect([h.r16(u), h.r16(u + 2)]).toEqual([0, 2]);
    x.RtlInitUnicodeString(u, 0);
    expect([h.r16(u), h.r16(u + 2), h.r32(u + 4)]).toEqual([0, 0, 0]);
  });
  it('a string of 40000 characters is capped (Init) or refused (InitEx)', () => {
    const u = h.alloc(8);
    const s = h.wstr('a'.repeat(40000));
    x.RtlInitUnicodeString(u, s);
    expect([h.r16(u), h.r16(u + 2)]).toEqual([0xFFFC, 0xFFFE]);
    expect(st(x.RtlInitUnicodeStringEx(u, s))).toBe(st(STATUS_NAME_TOO_LONG));
    expect(x.RtlInitUnicodeStringEx(u, h.wstr('abc'))).toBe(0);
    expect(h.r16(u)).toBe(6);
  });
  it('RtlInitAnsiString', () => {
    const a = h.alloc(8);
    x.RtlInitAnsiString(a, h.astr('abc'));
    expect([h.r16(a), h.r16(a + 2)]).toEqual([3, 4]);
  });
  it('RtlCreateUnicodeString copies onto the process heap; RtlFreeUnicodeString empties', () => {
    const u = h.alloc(8);
    const src = h.wstr('copy me');
    expect(x.RtlCreateUnicodeString(u, src)).toBe(1);
    expect([h.r16(u), h.r16(u + 2)]).toEqual([14, 16]);
    const b = h.r32(u + 4);
    expect(b).not.toBe(src);
    expect(h.readW(b)).toBe('copy me');
    const heap = h.r32(h.peb + 0x18);
    expect(x.RtlSizeHeap(heap, 0, b)).toBe(16);
    x.RtlFreeUnicodeString(u);
    expect([h.r16(u), h.r16(u + 2), h.r32(u + 4)]).toEqual([0, 0, 0]);
    expect(x.RtlSizeHeap(heap, 0, b) >>> 0).toBe(0xFFFFFFFF);
  });
});

describe('copy and append', () => {
  it('RtlCopyUnicodeString truncates to MaximumLength and terminates only with room', () => {
    const d = h.ubuf(6);
    x.RtlCopyUnicodeString(d, h.us('abcdef'));
    expect(h.readUS(d)).toBe('abc');
    expect(h.r16(h.r32(d + 4) + 6)).toBe(0xEEEE); // no room for a NUL: untouched
    const e = h.ubuf(20);
    x.RtlCopyUnicodeString(e, h.us('ab'));
    expect(h.readUS(e)).toBe('ab');
    expect(h.r16(h.r32(e + 4) + 4)).toBe(0);
    x.RtlCopyUnicodeString(e, 0);
    expect(h.r16(e)).toBe(0);
  });
  it('an odd MaximumLength copies whole characters', () => {
    const d = h.ubuf(5);
    x.RtlCopyUnicodeString(d, h.us('abcdef'));
    expect(h.r16(d)).toBe(4);
  });
  it('RtlAppendUnicodeToString: fits exactly (no NUL), too small leaves the string as it was', () => {
    const d = h.ubuf(8);
    expect(x.RtlAppendUnicodeToString(d, h.wstr('ab'))).toBe(0);
    expect(x.RtlAppendUnicodeToString(d, h.wstr('cd'))).toBe(0);
    expect(h.readUS(d)).toBe('abcd');
    expect(h.r16(h.r32(d + 4) + 8)).toBe(0xEEEE);
    expect(st(x.RtlAppendUnicodeToString(d, h.wstr('e')))).toBe(st(STATUS_BUFFER_TOO_SMALL));
    expect(h.readUS(d)).toBe('abcd');
    expect(x.RtlAppendUnicodeToString(d, 0)).toBe(0);
  });
  it('RtlAppendUnicodeStringToString terminates when there is room', () => {
    const d = h.ubuf(20);
    expect(x.RtlAppendUnicodeStringToString(d, h.us('xy'))).toBe(0);
    expect(x.RtlAppendUnicodeStringToString(d, h.us(''))).toBe(0);
    expect(h.readUS(d)).toBe('xy');
    expect(h.readW(h.r32(d + 4))).toBe('xy');
    expect(st(x.RtlAppendUnicodeStringToString(h.ubuf(2), h.us('abc')))).toBe(st(STATUS_BUFFER_TOO_SMALL));
  });
});

describe('compare', () => {
  it('RtlCompareUnicodeString: character difference first, then length', () => {
    expect(x.RtlCompareUnicodeString(h.us('abc'), h.us('abd'), 0)).toBe(-1);
    expect(x.RtlCompareUnicodeString(h.us('abc'), h.us('ab'), 0)).toBe(2);
    expect(x.RtlCompareUnicodeString(h.us('ab'), h.us('abc'), 0)).toBe(-2);
    expect(x.RtlCompareUnicodeString(h.us('ABC'), h.us('abc'), 0)).toBe(0x41 - 0x61);
    expect(x.RtlCompareUnicodeString(h.us('ABC'), h.us('abc'), 1)).toBe(0);
    expect(x.RtlCompareUnicodeString(h.us(''), h.us(''), 0)).toBe(0);
  });
  it('RtlEqualUnicodeString and RtlPrefixUnicodeString, with and without case', () => {
    expect(x.RtlEqualUnicodeString(h.us('\\Registry'), h.us('\\REGISTRY'), 1)).toBe(1);
    expect(x.RtlEqualUnicodeString(h.us('\\Registry'), h.us('\\REGISTRY'), 0)).toBe(0);
    expect(x.RtlEqualUnicodeString(h.us('abc'), h.us('abcd'), 1)).toBe(0);
    expect(x.RtlEqualUnicodeString(h.us('straße'), h.us('STRAßE'), 1)).toBe(1);
    expect(x.RtlPrefixUnicodeString(h.us('\\??\\'), h.us('\\??\\C:\\x'), 0)).toBe(1);
    expect(x.RtlPrefixUnicodeString(h.us('\\DEVICE'), h.us('\\Device\\Null'), 1)).toBe(1);
    expect(x.RtlPrefixUnicodeString(h.us('\\DEVICE'), h.us('\\Device\\Null'), 0)).toBe(0);
    expect(x.RtlPrefixUnicodeString(h.us('abcd'), h.us('abc'), 1)).toBe(0);
    expect(x.RtlPrefixUnicodeString(h.us(''), h.us('abc'), 0)).toBe(1);
  });
  it('RtlUpcaseUnicodeChar: ASCII, Latin-1 (not ÷, ß), ÿ, Latin Extended-A, Greek, Cyrillic', () => {
    const up = (c: string) => String.fromCharCode(x.RtlUpcaseUnicodeChar(c.charCodeAt(0)));
    expect(['a', 'z', 'A', '1', '{', 'é', 'þ', '÷', 'ß', 'ÿ', 'ā', 'ł', 'ž', 'α', 'ω', 'ς', 'я', 'ё', 'ı'].map(up).join(''))
      .toBe('AZA1{ÉÞ÷ßŸĀŁŽΑΩΣЯЁI');
    expect(String.fromCharCode(x.RtlDowncaseUnicodeChar('Ž'.charCodeAt(0)))).toBe('ž');
  });
  it('RtlUpcaseUnicodeString into a caller buffer and allocated', () => {
    const d = h.ubuf(12);
    expect(x.RtlUpcaseUnicodeString(d, h.us('path\\é'), 0)).toBe(0);
    expect(h.readUS(d)).toBe('PATH\\É');
    expect(st(x.RtlUpcaseUnicodeString(h.ubuf(4), h.us('abc'), 0))).toBe(st(STATUS_BUFFER_OVERFLOW));
    const a = h.alloc(8);
    expect(x.RtlUpcaseUnicodeString(a, h.us('xyz'), 1)).toBe(0);
    expect(h.readUS(a)).toBe('XYZ');
  });
});

describe('ANSI <-> Unicode', () => {
  const ansi = (s: string, maximum?: number) => {
    const a = h.alloc(8);
    const b = h.astr(s);
    h.w16(a, s.length); h.w16(a + 2, maximum ?? s.length + 1); h.w32(a + 4, b);
    return a;
  };
  it('allocating conversion: Length, MaximumLength with the NUL, Windows-1252 high bytes', () => {
    const u = h.alloc(8);
    expect(x.RtlAnsiStringToUnicodeString(u, ansi('caf\xE9 \x80\x85\x81'), 1)).toBe(0);
    expect(h.readUS(u)).toBe('café €…\x81');
    expect([h.r16(u), h.r16(u + 2)]).toEqual([16, 18]);
    expect(h.r16(h.r32(u + 4) + 16)).toBe(0);
  });
  it('into a caller buffer: the NUL must fit too', () => {
    const d = h.ubuf(6);
    expect(st(x.RtlAnsiStringToUnicodeString(d, ansi('abc'), 0))).toBe(st(STATUS_BUFFER_OVERFLOW));
    const e = h.ubuf(8);
    expect(x.RtlAnsiStringToUnicodeString(e, ansi('abc'), 0)).toBe(0);
    expect(h.readUS(e)).toBe('abc');
    expect(h.readW(h.r32(e + 4))).toBe('abc');
    expect(x.RtlAnsiStringToUnicodeString(e, ansi(''), 0)).toBe(0);
    expect(h.r16(e)).toBe(0);
  });
  it('a 40000-byte ANSI string is STATUS_INVALID_PARAMETER_2', () => {
    const a = h.alloc(8);
    h.w16(a, 40000); h.w16(a + 2, 40000); h.w32(a + 4, h.alloc(40000));
    expect(st(x.RtlAnsiStringToUnicodeString(h.alloc(8), a, 1))).toBe(st(STATUS_INVALID_PARAMETER_2));
  });
  it('Unicode -> ANSI: unmappable is ?, a short buffer is filled, terminated and reported', () => {
    const a = h.alloc(8);
    expect(x.RtlUnicodeStringToAnsiString(a, h.us('x€y\u4E2Dé'), 1)).toBe(0);
    expect([h.r16(a), h.r16(a + 2)]).toEqual([5, 6]);
    expect(h.readA(h.r32(a + 4))).toBe('x\x80y?\xE9');
    const small = h.alloc(8);
    const buf = h.alloc(4);
    h.u8.fill(0xEE, buf, buf + 4);
    h.w16(small, 0); h.w16(small + 2, 4); h.w32(small + 4, buf);
    expect(st(x.RtlUnicodeStringToAnsiString(small, h.us('abcdef'), 0))).toBe(st(STATUS_BUFFER_OVERFLOW));
    expect(h.r16(small)).toBe(3);
    expect(h.readA(buf)).toBe('abc');
    h.w16(small + 2, 0);
    expect(st(x.RtlUnicodeStringToAnsiString(small, h.us('abcdef'), 0))).toBe(st(STATUS_BUFFER_OVERFLOW));
    expect(h.r16(small)).toBe(6); // with no room at all, Length says what is needed
    h.w16(small + 2, 1);
    expect(st(x.RtlUnicodeStringToAnsiString(small, h.us('abcdef'), 0))).toBe(st(STATUS_BUFFER_OVERFLOW));
    expect([h.r16(small), h.r8(buf)]).toEqual([0, 0]);
    h.w16(small + 2, 7);
    expect(x.RtlUnicodeStringToAnsiString(small, h.us('abcdef'), 0)).toBe(0);
    expect(x.RtlUnicodeStringToAnsiSize(h.us('abcdef'))).toBe(7);
    expect(x.RtlAnsiStringToUnicodeSize(ansi('abc'))).toBe(8);
  });
});

describe('numbers', () => {
  it('RtlIntegerToUnicodeString: bases, unsigned, room for the NUL, bad base', () => {
    const d = h.ubuf(40);
    expect(x.RtlIntegerToUnicodeString(1234, 0, d)).toBe(0);
    expect(h.readUS(d)).toBe('1234');
    expect(x.RtlIntegerToUnicodeString(0xBEEF, 16, d)).toBe(0);
    expect(h.readUS(d)).toBe('BEEF');
    expect(x.RtlIntegerToUnicodeString(5, 2, d)).toBe(0);
    expect(h.readUS(d)).toBe('101');
    expect(x.RtlIntegerToUnicodeString(-1, 10, d)).toBe(0);
    expect(h.readUS(d)).toBe('4294967295');
    expect(x.RtlIntegerToUnicodeString(0, 8, d)).toBe(0);
    expect(h.readUS(d)).toBe('0');
    expect(st(x.RtlIntegerToUnicodeString(1, 7, d))).toBe(st(STATUS_INVALID_PARAMETER));
    // Digits that just fit are written without a NUL; one character short is an overflow that writes nothing.
    const exact = h.ubuf(16);
    expect(x.RtlIntegerToUnicodeString(0xFFFFFFFF, 16, exact)).toBe(0);
    expect(h.readUS(exact)).toBe('FFFFFFFF');
    expect(h.r16(h.r32(exact + 4) + 16)).toBe(0xEEEE);
    const short = h.ubuf(14);
    expect(st(x.RtlIntegerToUnicodeString(0xFFFFFFFF, 16, short))).toBe(st(STATUS_BUFFER_OVERFLOW));
    expect([h.r16(short), h.r16(h.r32(short + 4))]).toEqual([0, 0xEEEE]);
    expect(st(x.RtlIntegerToUnicodeString(0, 16, h.ubuf(0)))).toBe(st(STATUS_BUFFER_OVERFLOW));
    const withNul = h.ubuf(18);
    expect(x.RtlIntegerToUnicodeString(0x80000001, 16, withNul)).toBe(0);
    expect(h.readW(h.r32(withNul + 4))).toBe('80000001');
  });
  it('RtlIntegerToChar', () => {
    const b = h.alloc(16);
    expect(x.RtlIntegerToChar(255, 16, 16, b)).toBe(0);
    expect(h.readA(b)).toBe('FF');
    expect(st(x.RtlIntegerToChar(255, 10, 2, b))).toBe(st(STATUS_BUFFER_OVERFLOW));
    const c = h.alloc(20);
    h.u8.fill(0x2D, c, c + 20);
    expect(x.RtlIntegerToChar(65536, 2, 17, c)).toBe(0);
    expect(h.readA(c, 18)).toBe('10000000000000000-'); // exactly fits: no NUL
    expect(st(x.RtlIntegerToChar(1, 20, 10, 0))).toBe(st(STATUS_INVALID_PARAMETER));
    expect(st(x.RtlIntegerToChar(123, 10, 0, 0))).toBe(st(STATUS_BUFFER_OVERFLOW));
    expect(st(x.RtlIntegerToChar(123, 10, 11, 0))).toBe(st(0xC0000005));
  });
  const parse = (s: string, base = 0): [string, number] => {
    const v = h.alloc(4);
    h.w32(v, 0xAAAAAAAA);
    const status = x.RtlUnicodeStringToInteger(h.us(s), base, v);
    return [st(status), h.r32(v)];
  };
  it('RtlUnicodeStringToInteger: prefixes, signs, whitespace, stops at a non-digit, wraps', () => {
    const ok = st(0);
    expect(parse('123')).toEqual([ok, 123]);
    expect(parse('  \t+42')).toEqual([ok, 42]);
    expect(parse('-1')).toEqual([ok, 0xFFFFFFFF]);
    expect(parse('0x1F')).toEqual([ok, 31]);
    expect(parse('0o17')).toEqual([ok, 15]);
    expect(parse('0b101')).toEqual([ok, 5]);
    expect(parse('0X1F')).toEqual([ok, 0]);          // prefixes are lowercase only: "0" then stop
    expect(parse('12abc')).toEqual([ok, 12]);
    expect(parse('ff', 16)).toEqual([ok, 255]);
    expect(parse('0x10', 16)).toEqual([ok, 0]);      // with a base, no prefix: "0" then 'x' stops
    expect(parse('777', 8)).toEqual([ok, 511]);
    expect(parse('9', 8)).toEqual([ok, 0]);
    expect(parse('')).toEqual([ok, 0]);
    expect(parse('-')).toEqual([ok, 0]);
    expect(parse('4294967296')).toEqual([ok, 0]);    // wraps, no error
    expect(parse('-0x10')).toEqual([ok, 0xFFFFFFF0]);
    expect(parse('1', 3)).toEqual([st(STATUS_INVALID_PARAMETER), 0xAAAAAAAA]);
    // Facts from Wine's conformance table (which Windows passes).
    const table: Array<[number, string, number]> = [
      [0, '--214', 0], [0, '+-214', 0], [0, '\x01\x02\x1F 11', 11], [0, '+214 0', 214], [0, '00x12345', 0], [0, '1x34', 1],
      [0, '-9999999999', -1410065407], [0, '-2147483649', 2147483647], [0, '056789', 56789], [0, 'b1011101100', 0],
      [0, '-0b1011101100', -748], [0, '0b10123456789', 5], [0, '0b', 0], [0, '0o56789', 0o567], [0, '-0xFEDCBA00', 19088896],
      [0, '0xabcdefgh', 0xABCDEF], [0, '0d1011101100', 0], [2, '0b1011101100', 0], [8, '1011101100', 136610368],
      [16, '0b1011101100', 286265600], [16, '0d1011101100', 286265600], [16, '0x1011101100', 0], [10, 'o12345', 0],
    ];
    for (const [base, text, value] of table) {
      const s = text.replace(/\\x([0-9A-F]{2})/g, (_, hx) => String.fromCharCode(parseInt(hx, 16)));
      expect(parse(s, base), `${base} ${text}`).toEqual([ok, value >>> 0]);
    }
  });
});
