// win32k.sys and the driver loader on emulated hardware: a ring-3 program
// (programs/w32k.ts) calls shadow services before and after
// NtSetSystemInformation(SystemExtendServiceTableInformation) loads
// \SystemRoot\System32\win32k.sys, which it does without and with
// SeLoadDriverPrivilege, twice, and with malformed copies of the image (made
// here from the real one); then it writes on its session's screen (read back
// from VGA text memory) and reads the keys this harness presses through v86's
// PS/2 keyboard (scan code set 1).
// A second program (programs/w32k2.ts) does it in two sessions: each has its
// own driver, table and screen; the screen follows the active session.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot, type BootResult } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { buildSystem32 } from '../../images/system32.ts';
import { msg, program } from './usermode.ts';

const le16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const le32 = (b: Uint8Array, at: number) => (le16(b, at) | (le16(b, at + 2) << 16)) >>> 0;
const put16 = (b: Uint8Array, at: number, v: number) => { b[at] = v & 255; b[at + 1] = (v >> 8) & 255; };

/** The file offset of `rva` in a PE image. */
function fileOffset(image: Uint8Array, rva: number): number {
  const nt = le32(image, 0x3c);
  const sections = le16(image, nt + 6);
  const table = nt + 24 + le16(image, nt + 20);
  for (let i = 0; i < sections; i++) {
    const s = table + i * 40;
    const va = le32(image, s + 12), raw = le32(image, s + 16), ptr = le32(image, s + 20);
    if (rva >= va && rva < va + raw) return ptr + rva - va;
  }
  throw new Error(`rva ${rva.toString(16)} is in no section's raw data`);
}

/** A copy with the first occurrence of the ASCII `from` replaced by `to` (same length). */
function replaceAscii(image: Uint8Array, from: string, to: string): Uint8Array {
  const copy = image.slice();
  const text = Buffer.from(copy).toString('latin1');
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`${from} is not in the image`);
  copy.set(Buffer.from(to, 'latin1'), at);
  return copy;
}

/** The malformed images: file name -> bytes. */
function malformed(good: Uint8Array): Map<string, Uint8Array> {
  const nt = le32(good, 0x3c);
  const badMz = good.slice(); badMz[0] = 0x58;
  const badPe = good.slice(); badPe[nt + 1] = 0x58;
  const badMachine = good.slice(); put16(badMachine, nt + 4, 0x8664);
  const truncated = good.slice(0, 0x600);
  // The first relocation entry of the first block becomes type 10 (DIR64).
  const badReloc = good.slice();
  const relocRva = le32(good, nt + 24 + 96 + 5 * 8);
  const firstEntry = fileOffset(good, relocRva) + 8;
  put16(badReloc, firstEntry, (le16(good, firstEntry) & 0xfff) | 0xa000);
  return new Map([
    ['badmz.sys', badMz], ['badpe.sys', badPe], ['badmachine.sys', badMachine], ['truncated.sys', truncated],
    ['badreloc.sys', badReloc],
    ['badimport.sys', replaceAscii(good, 'KeBugCheckEx', 'KeBugCheckEy')],
    ['baddll.sys', replaceAscii(good, 'ntoskrnl.exe', 'ntoskrnX.exe')],
  ]);
}

// "Hi" then Enter: Shift down, H, H up, Shift up, I, I up, Enter, Enter up.
const KEYS = [0x2a, 0x23, 0xa3, 0xaa, 0x17, 0x97, 0x1c, 0x9c];

describe('win32k.sys from ring 3 (session 0)', () => {
  let lines: string[] = [];
  let all: string[] = [];
  let result: BootResult;

  beforeAll(async () => {
    const images = await buildSystem32();
    const good = images.get('win32k.sys')!;
    const files = new Map<string, Uint8Array>([['\\Windows\\System32\\win32k.sys', good]]);
    for (const [name, bytes] of malformed(good)) files.set(`\\Windows\\System32\\${name}`, bytes);
    const disk = buildDisk({ files });
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'w32k.exe', bytes: await program('w32k') }], write: false });
    let machine: { keys(codes: number[]): void } | undefined;
    result = await boot({
      kernel: kernelImage, disk, until: 'w32k: done', timeoutMs: 90000, screen: true,
      onReady: (m) => { machine = m; },
      onLine: (line) => { if (line.endsWith('w32k: ready for keys')) machine?.keys(KEYS); },
    });
    all = msg(result.lines);
    lines = all.filter((l) => l.startsWith('w32k: ')).map((l) => l.slice(6));
    expect(result.stop, all.join('\n')).toBeUndefined();
    expect(result.reached, all.join('\n')).toBe(true);
  }, 180000);

  /** Every wanted line, in this order (others may come between). */
  const inOrder = (want: string[]) => {
    let at = -1;
    for (const w of want) {
      const i = lines.indexOf(w, at + 1);
      expect(i, `"${w}" after line ${at} in:\n${lines.join('\n')}`).toBeGreaterThan(at);
      at = i;
    }
  };

  it('shadow services answer STATUS_INVALID_SYSTEM_SERVICE until win32k.sys is loaded', () => {
    inOrder(['write before load 0xC000001C', 'read key before load 0xC000001C', 'write after refusals 0xC000001C']);
  });

  it('loading needs SeLoadDriverPrivilege and a UNICODE_STRING', () => {
    inOrder([
      'load without privilege 0xC0000061',
      'enable SeLoadDriverPrivilege 0x00000000',
      'short length 0xC0000004',
      'kernel pointer 0xC0000005',
    ]);
  });

  it('malformed images are refused with NT\'s status and a log line, and the kernel goes on', () => {
    inOrder([
      'missing file 0xC0000034',
      'bad MZ 0xC000012F',
      'bad PE signature 0xC0000130',
      'wrong machine 0xC000007B',
      'truncated 0xC000007B',
      'bad relocation 0xC000007B',
      'unknown import 0xC0000263',
      'other DLL 0xC0000135',
    ]);
    const refused = all.filter((l) => / refused: /.test(l));
    expect(refused.length).toBeGreaterThanOrEqual(8);
    expect(all.some((l) => l.includes('badreloc.sys refused: relocation type not HIGHLOW'))).toBe(true);
    expect(all).toContain('mm: ntoskrnl.exe exports no KeBugCheckEy');
    expect(all).toContain('mm: driver imports from ntoskrnX.exe, which is not loaded');
  });

  it('loads once: relocated, imports resolved, DriverEntry registered 7 services; a second load is refused', () => {
    inOrder(['load 0x00000000', 'load again 0xC000010E']);
    const loaded = all.find((l) => l.startsWith('mm: session 0: \\SystemRoot\\System32\\win32k.sys loaded at '));
    expect(loaded, all.join('\n')).toMatch(/ imports from ntoskrnl\.exe\), shadow table registered$/);
    expect(all).toContain('win32k: session 0: 7 services from 0x1000, 80x25 screen');
  });

  it('writes on the session screen: VGA text memory shows it, with the attributes asked', () => {
    inOrder(['clear 0x00000000', 'attribute 0x1E 0x00000000', 'write 0x00000000', 'cursor 10,5 0x00000000', 'write at 10,5 0x00000000']);
    const screen = result.screen!;
    expect(screen.rows[0]).toBe('Hello from session 0'.padEnd(80));
    expect(screen.rows[1]).toBe('second line'.padEnd(80));
    expect(screen.rows[5]).toBe(`${' '.repeat(10)}at 10,5${' '.repeat(7)}tab`.padEnd(80)); // the tab stops at column 24
    expect(screen.attributes[0][0]).toBe(0x1e);
    expect(screen.attributes[5][10]).toBe(0x07);
    // The kernel's log echo stopped when win32k took the screen: no log line on it.
    expect(screen.rows.some((r) => r.includes('w32k: '))).toBe(false);
  });

  it('checks its arguments', () => {
    inOrder([
      'odd length 0xC000000D', 'kernel text 0xC0000005', 'cursor 80,0 0xC000000D', 'attribute 0x100 0xC000000D',
      'active session 0x00000000', 'active is 0', 'active session, kernel pointer 0xC0000005',
      'switch to session 7 0xC000000D', 'switch to session 0 0x00000000',
      'poll a key 0x00000102', 'read key, kernel pointer 0xC0000005',
    ]);
  });

  it('keys typed on the PS/2 keyboard arrive as KEY_EVENT_RECORDs', () => {
    inOrder([
      'key down vk 0x00000010 scan 0x0000002A char 0 state 0x00000010',
      'key down vk 0x00000048 scan 0x00000023 char 72 state 0x00000010', // Shift+H: 'H'
      'key up vk 0x00000048 scan 0x00000023 char 72 state 0x00000010',
      'key up vk 0x00000010 scan 0x0000002A char 0 state 0x00000000',
      'key down vk 0x00000049 scan 0x00000017 char 105 state 0x00000000', // 'i'
      'key up vk 0x00000049 scan 0x00000017 char 105 state 0x00000000',
      'key down vk 0x0000000D scan 0x0000001C char 13 state 0x00000000',
      'key up vk 0x0000000D scan 0x0000001C char 13 state 0x00000000',
      'done',
    ]);
  });
});

describe('win32k.sys in two sessions', () => {
  let lines: string[] = [];
  let all: string[] = [];
  let result: BootResult;
  const shots = new Map<string, string[]>();

  beforeAll(async () => {
    const images = await buildSystem32();
    const disk = buildDisk({ files: new Map([['\\Windows\\System32\\win32k.sys', images.get('win32k.sys')!]]) });
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'w32k2.exe', bytes: await program('w32k2') }], write: false });
    let machine: { keys(codes: number[]): void; screen(): { rows: string[] } | undefined } | undefined;
    result = await boot({
      kernel: kernelImage, disk, until: 'ps: session 1 ended', timeoutMs: 90000, screen: true,
      onReady: (m) => { machine = m; },
      onLine: (line) => {
        for (const mark of ['session 1 written', 'look at session 1']) {
          if (line.endsWith(`w32k2: ${mark}`)) shots.set(mark, machine?.screen()?.rows ?? []);
        }
        if (line.endsWith('w32k2: look at session 1')) machine?.keys([0x1e, 0x9e]); // 'a'
      },
    });
    all = msg(result.lines);
    lines = all.filter((l) => l.startsWith('w32k2: ')).map((l) => l.slice(7));
    expect(result.stop, all.join('\n')).toBeUndefined();
    expect(result.reached, all.join('\n')).toBe(true);
  }, 180000);

  it('each session loads its own copy: no shadow services in session 1 until it does, once per session', () => {
    const want = [
      'enable SeLoadDriverPrivilege 0x00000000', 'session 0 load 0x00000000', 'session 0 write 0x00000000',
      'create session 0x00000000', 'now in session 1', 'session 1 write before load 0xC000001C',
      'session 1 load 0x00000000', 'session 1 load again 0xC000010E', 'active 0',
    ];
    let at = -1;
    for (const w of want) { const i = lines.indexOf(w, at + 1); expect(i, `${w} in\n${lines.join('\n')}`).toBeGreaterThan(at); at = i; }
    expect(all.some((l) => l.startsWith('mm: session 0: \\SystemRoot\\System32\\win32k.sys loaded at 0xBF800000 ('))).toBe(true);
    expect(all.some((l) => l.startsWith('mm: session 1: \\SystemRoot\\System32\\win32k.sys loaded at 0xBF800000 ('))).toBe(true);
    expect(all).toContain('win32k: session 1: 7 services from 0x1000, 80x25 screen');
  });

  it('the screen is the active session\'s: session 1 writes off screen until it is switched to, and back', () => {
    expect(shots.get('session 1 written')![0]).toBe("This is session 0's screen".padEnd(80));
    expect(lines).toContain('switch to session 1 0x00000000');
    expect(lines).toContain('active 1');
    expect(shots.get('look at session 1')![0]).toBe('Session 1 has its own screen'.padEnd(80));
    expect(lines).toContain('switch to session 0 0x00000000');
    expect(result.screen!.rows[0]).toBe("This is session 0's screen".padEnd(80));
    expect(result.screen!.rows.join('')).not.toContain('and more');
    expect(all).toContain('ps: active session 0 -> 1');
    expect(all).toContain('ps: active session 1 -> 0');
  });

  it('a key typed while session 1 is active goes to session 1', () => {
    expect(lines).toContain('session 1 key 0x00000000 vk 0x00000041 char 97');
  });

  it('the session ends with its last process, and its driver with it', () => {
    expect(all.some((l) => /^ps: session 1 ended: \d+ pages? of session space freed$/.test(l))).toBe(true);
  });
});
