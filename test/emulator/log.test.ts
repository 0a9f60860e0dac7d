import { describe, expect, it } from 'vitest';
import {
  LineSplitter,
  formatLogLine,
  formatStop,
  hex32,
  parseLogLine,
  parseStop,
  parseStopName,
} from '../../emulator/core/log.ts';
import { SerialMonitor, markerMatches } from '../../emulator/core/monitor.ts';
import { bugCheckName } from '../../emulator/core/bugcodes.ts';
import { padToSectors, toArrayBuffer, v86Config } from '../../emulator/core/options.ts';

describe('parseLogLine', () => {
  it('parses the kernel log format', () => {
    expect(parseLogLine('[    0.012345] ke: phase 0 done')).toEqual({
      seconds: 0.012345,
      component: 'ke',
      message: 'phase 0 done',
    });
    expect(parseLogLine('[  123.000001] winlogon: session 1 ready')).toEqual({
      seconds: 123.000001,
      component: 'winlogon',
      message: 'session 1 ready',
    });
    expect(parseLogLine('[12345678.500000] smss: x: y')?.message).toBe('x: y');
    expect(parseLogLine('[    0.000000] mm: ')?.message).toBe('');
    expect(parseLogLine('[    1.000000] io: done\r')?.message).toBe('done');
  });

  it('round-trips formatLogLine', () => {
    const line = formatLogLine(0.012345, 'ke', 'hello');
    expect(line).toBe('[    0.012345] ke: hello');
    expect(parseLogLine(line)).toEqual({ seconds: 0.012345, component: 'ke', message: 'hello' });
  });

  it('rejects malformed lines', () => {
    for (const bad of [
      '',
      'hello',
      '[0.0123] ke: too few decimals',
      '[    0.0123456] ke: too many decimals',
      '    0.012345] ke: no bracket',
      '[    0.012345 ke: unclosed',
      '[    0.012345] KE: uppercase component',
      '[    0.012345] ke message without colon',
      '[    0.012345]ke: no space',
      '[   -0.012345] ke: negative',
      ' [    0.012345] ke: leading space',
      '*** STOP: 0x0000007F (0x00000001, 0x00000002, 0x00000003, 0x00000004)',
    ]) {
      expect(parseLogLine(bad), bad).toBeNull();
    }
  });
});

describe('parseStop', () => {
  it('parses a STOP line', () => {
    expect(parseStop('*** STOP: 0x0000021A (0x00000001, 0x00000002, 0x00000003, 0x00000004)')).toEqual({
      code: 0x21a,
      params: [1, 2, 3, 4],
    });
  });

  it('gives unsigned values, accepts lowercase hex, CR and a prefix', () => {
    expect(parseStop('*** STOP: 0xC000021A (0xffffffff, 0x80000000, 0x0, 0xDEADBEEF)\r')).toEqual({
      code: 0xc000021a,
      params: [0xffffffff, 0x80000000, 0, 0xdeadbeef],
    });
    expect(parseStop('\x1b[2J*** STOP: 0x0000007F (0x00000008, 0x00000000, 0x00000000, 0x00000000)')?.code).toBe(0x7f);
  });

  it('rejects malformed STOP lines', () => {
    for (const bad of [
      '',
      '*** STOP: 0x0000007F',
      '*** STOP: 0x0000007F ()',
      '*** STOP: 0x0000007F (0x1, 0x2, 0x3)',
      '*** STOP: 0x0000007F (0x1, 0x2, 0x3, 0x4, 0x5)',
      '*** STOP: 0x1000000000 (0x1, 0x2, 0x3, 0x4)',
      '*** STOP: 7F (0x1, 0x2, 0x3, 0x4)',
      '*** STOP: 0xZZ (0x1, 0x2, 0x3, 0x4)',
      '** STOP: 0x7F (0x1, 0x2, 0x3, 0x4)',
      '*** STOP: 0x7F (0x1, 0x2, 0x3, 0x4) trailing',
      '[    0.012345] ke: hello',
    ]) {
      expect(parseStop(bad), bad).toBeNull();
    }
  });

  it('reads the name line', () => {
    expect(parseStopName('UNEXPECTED_KERNEL_MODE_TRAP')).toBe('UNEXPECTED_KERNEL_MODE_TRAP');
    expect(parseStopName('  IRQL_NOT_LESS_OR_EQUAL\r')).toBe('IRQL_NOT_LESS_OR_EQUAL');
    expect(parseStopName('[    1.000000] ke: CRITICAL_PROCESS_DIED')).toBe('CRITICAL_PROCESS_DIED');
    expect(parseStopName('[    1.000000] ke: something else')).toBeNull();
    expect(parseStopName('')).toBeNull();
  });

  it('formats codes', () => {
    expect(hex32(0x7f)).toBe('0x0000007F');
    expect(hex32(-1)).toBe('0xFFFFFFFF');
    expect(formatStop({ code: 0x21a, params: [1, 2, 3, 4], name: 'STATUS_SYSTEM_PROCESS_TERMINATED' })).toBe(
      'STOP 0x0000021A (0x00000001, 0x00000002, 0x00000003, 0x00000004) STATUS_SYSTEM_PROCESS_TERMINATED',
    );
    expect(bugCheckName(0x7f)).toBe('UNEXPECTED_KERNEL_MODE_TRAP');
    expect(bugCheckName(0x12345)).toBeUndefined();
  });
});

describe('LineSplitter', () => {
  it('splits on \\n, \\r\\n and lone \\r', () => {
    const s = new LineSplitter();
    expect(s.push('a\nb\r\nc')).toEqual(['a', 'b']);
    expect(s.partial).toBe('c');
    expect(s.push('d\re\n\n')).toEqual(['cd', 'e', '']);
    expect(s.flush()).toBeUndefined();
  });

  it('handles \\r\\n split across pushes and bytes one at a time', () => {
    const s = new LineSplitter();
    expect(s.push('one\r')).toEqual(['one']);
    expect(s.push('\ntwo')).toEqual([]);
    expect(s.flush()).toBe('two');
    expect(s.partial).toBe('');
    const bytes = new TextEncoder().encode('x\r\ny\n');
    const lines: string[] = [];
    for (const b of bytes) {
      const l = s.pushByte(b);
      if (l !== undefined) lines.push(l);
    }
    expect(lines).toEqual(['x', 'y']);
  });

  it('keeps every byte (Latin-1)', () => {
    const s = new LineSplitter();
    expect(s.push(new Uint8Array([0x00, 0xff, 0x41, 0x0a]))).toEqual(['\x00\xffA']);
  });
});

describe('SerialMonitor', () => {
  const feed = (m: SerialMonitor, text: string) => {
    for (let i = 0; i < text.length; i++) m.pushByte(text.charCodeAt(i));
  };

  it('finds a string marker in a complete line', () => {
    const m = new SerialMonitor('idle loop');
    feed(m, '[    0.000001] ke: booting\n[    0.000002] ke: idle lo');
    expect(m.reached).toBe(false);
    expect(m.markerInPartial()).toBe(false);
    feed(m, 'op');
    expect(m.markerInPartial()).toBe(true);
    expect(m.reached).toBe(false);
    feed(m, ' entered\n');
    expect(m.reached).toBe(true);
    expect(m.lines).toEqual(['[    0.000001] ke: booting', '[    0.000002] ke: idle loop entered']);
  });

  it('matches a RegExp per line, ignoring the g flag state', () => {
    const re = /session (\d+) ready/g;
    expect(markerMatches(re, 'session 1 ready')).toBe(true);
    expect(markerMatches(re, 'session 1 ready')).toBe(true);
    const m = new SerialMonitor(/^\[ *\d+\.\d{6}\] smss: /);
    feed(m, '[    0.1] smss: no\n[    0.100000] smss: yes\n');
    expect(m.reached).toBe(true);
  });

  it('the marker counts in the unterminated rest at the end', () => {
    const m = new SerialMonitor('done');
    feed(m, 'all done');
    expect(m.reached).toBe(false);
    expect(m.end()).toBe('all done');
    expect(m.reached).toBe(true);
    expect(m.lines).toEqual(['all done']);
  });

  it('collects a STOP block with its name line', () => {
    const m = new SerialMonitor();
    feed(m, '[    0.5] ke: x\r\n*** STOP: 0x0000007F (0x00000008, 0x00000000, 0x00000000, 0x00000000)\r\n');
    expect(m.stopPending).toBe(true);
    expect(m.stop).toEqual({ code: 0x7f, params: [8, 0, 0, 0] });
    feed(m, '\r\nMY_OWN_NAME\r\n');
    expect(m.stopComplete).toBe(true);
    expect(m.stop?.name).toBe('MY_OWN_NAME');
  });

  it('keeps a fatal hard error\'s text lines after the name line', () => {
    const m = new SerialMonitor();
    feed(m, '*** STOP: 0xC000021A (0x80A01000, 0xC000003A, 0x00000000, 0x00000000)\r\nSTATUS_SYSTEM_PROCESS_TERMINATED\r\n');
    expect(m.stopComplete).toBe(true);
    expect(m.stop?.text).toBeUndefined();
    feed(m, '{Fatal System Error}\r\nThe Session Manager Initialization system process terminated.\r\n\r\nThe system has been shut down.\r\n');
    expect(m.stop?.text).toEqual(['{Fatal System Error}', 'The Session Manager Initialization system process terminated.', 'The system has been shut down.']);
    const known = new SerialMonitor();
    feed(known, '*** STOP: 0xC000021A (0x1, 0x2, 0x3, 0x4)');
    known.end();
    expect(known.stop?.name).toBe('STATUS_SYSTEM_PROCESS_TERMINATED');
  });

  it('a STOP without name line gets the known name; a malformed one is still a bug check', () => {
    const m = new SerialMonitor();
    feed(m, '*** STOP: 0x0000021A (0x1, 0x2, 0x3, 0x4)');
    expect(m.stop).toBeUndefined();
    m.end();
    expect(m.stop).toEqual({ code: 0x21a, params: [1, 2, 3, 4], name: 'STATUS_SYSTEM_PROCESS_TERMINATED' });
    const m2 = new SerialMonitor();
    feed(m2, '*** STOP: 0x00000050\n[    0.1] ke: not a name\n');
    expect(m2.stopComplete).toBe(true);
    expect(m2.stop).toEqual({ code: 0x50, params: [] });
  });
});

describe('v86Config', () => {
  it('boots a multiboot kernel without BIOS, NIC or input adapters', () => {
    const kernel = new ArrayBuffer(64);
    const disk = new ArrayBuffer(512);
    const c = v86Config({ kernel, disk, wasmPath: '/x/v86.wasm', cmdline: 'debug' });
    expect(c).toMatchObject({
      memory_size: 32 * 1024 * 1024,
      multiboot: { buffer: kernel },
      hda: { buffer: disk },
      autostart: true,
      wasm_path: '/x/v86.wasm',
      cmdline: 'debug',
      net_device: { type: 'none' },
    });
    expect(c).not.toHaveProperty('bios');
    expect(() => v86Config({ kernel, memoryMB: 1.5 })).toThrow(RangeError);
  });

  it('copies bytes into an exact ArrayBuffer and pads disks to sectors', () => {
    const pool = new Uint8Array(100);
    const view = pool.subarray(10, 20);
    view[0] = 7;
    const ab = toArrayBuffer(view);
    expect(ab.byteLength).toBe(10);
    expect(new Uint8Array(ab)[0]).toBe(7);
    expect(padToSectors(new Uint8Array(513)).byteLength).toBe(1024);
    const exact = new Uint8Array(1024);
    expect(padToSectors(exact)).toBe(exact);
  });
});
