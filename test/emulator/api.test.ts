// The Node API (the package's entry point, emulator/node/index.ts) on the
// real kernel: a .reg overlay and a file put into a copy of the disk, the
// parsed log, the disk as the guest left it, the VGA text screen.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { buildDisk, openDisk } from '../../images/build.ts';
import { sleepingSmssImage } from '../pe/tiny.ts';
import { boot } from '../../emulator/node/index.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bootUntil, expectLine, expectNoLine, expectStop, forgetSnapshots, machine, SNAPSHOT_DIR, snapshotKey, snapshotStats } from './helpers.ts';

let kernel: Uint8Array;
let disk: Uint8Array;

beforeAll(async () => {
  kernel = (await buildKernel({ write: false })).kernelImage;
  disk = buildDisk({ files: new Map([['\\Windows\\System32\\smss.exe', sleepingSmssImage()]]) });
}, 600_000);

const OVERLAY = 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ApiTest]\r\n"one"=dword:00000001\r\n"two"="2"\r\n';

describe('boot() from the package entry point', () => {
  it('applies reg and add to a copy of the disk, parses the log, returns the disk and the screen', async () => {
    const until = /cm: \\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet/;
    const [plain, edited] = await Promise.all([
      boot({ kernel, disk, until, timeout: 60 }),
      boot({
        kernel,
        disk,
        until,
        timeout: 60,
        reg: { text: OVERLAY, fileName: 'apitest.reg' },
        add: { '\\Windows\\hello.txt': new TextEncoder().encode('hello, disk\r\n') },
        screen: true,
      }),
    ]);
    for (const r of [plain, edited]) {
      expect(r.reason).toBe('marker');
      expect(r.decodedStop).toBeUndefined();
      expect(r.events.length).toBe(r.lines.length);
      expect(r.bootLog.milestones.map((m) => m.id)).toContain('hive');
    }
    const counts = (r: typeof plain) => {
      const e = r.events.find((x) => x.component === 'cm' && x.message.startsWith('loaded '))!;
      const m = /: (\d+) keys, (\d+) values/.exec(e.message)!;
      return [Number(m[1]), Number(m[2])];
    };
    // the overlay's key and two values are in the hive the kernel loaded
    expect(counts(edited)).toEqual([counts(plain)[0] + 1, counts(plain)[1] + 2]);
    // the file is on the disk the guest left, the input image was not changed
    expect(new TextDecoder().decode(openDisk(edited.disk!).readPath('\\Windows\\hello.txt'))).toBe('hello, disk\r\n');
    expect(() => openDisk(disk).readPath('\\Windows\\hello.txt')).toThrow();
    // the screen: banner on row 0, white on blue; the log echoed below it in grey on black
    expect(edited.screen!.rows[0]).toContain('NT-style kernel 0.1 (wasm2x86)');
    expect(edited.screen!.attributes[0][1]).toBe(0x1f);
    expect(edited.screen!.rows.some((row) => row.includes('cm: loaded'))).toBe(true);
    expect(plain.screen).toBeUndefined();
  });

  it('a snapshot taken at the marker restores with the log before it', async () => {
    const first = await boot({ kernel, disk, until: 'ps: session manager started', snapshot: true, timeout: 60 });
    expect(first.snapshot).toBeDefined();
    expect(first.snapshot!.log).toContain('ps: session manager started');
    const again = await boot({ kernel, disk, restore: first.snapshot, until: 'ke: idle loop', timeout: 60 });
    expect(again.reason).toBe('marker');
    // the lines before the snapshot are part of the result, once each
    expect(again.lines.filter((l) => l.includes('ps: session manager started'))).toHaveLength(1);
    expect(again.bootLog.milestones.map((m) => m.id)).toEqual(expect.arrayContaining(['kernel', 'hive', 'smss', 'idle']));
  });
});

describe('boot test helpers (test/boot/helpers.ts)', () => {
  it('bootUntil boots to `from` once, then every case starts from the snapshot', async () => {
    const m = machine({ kernel, disk });
    const before = { ...snapshotStats };
    const a = await bootUntil(m, 'ke: idle loop', { from: 'ps: session manager started' });
    const b = await bootUntil(m, /ke: idle/, { from: 'ps: session manager started' });
    // one boot to `from` (or its state read back from build/cache/snapshots), two runs from it
    expect(snapshotStats.taken + snapshotStats.loaded - before.taken - before.loaded).toBe(1);
    expect(snapshotStats.restored - before.restored).toBe(2);
    expectLine(a, 'ke: idle loop');
    expectLine(a, /ps: System process \(pid 4\)/); // from before the snapshot
    expectNoLine(a, '*** STOP');
    expect(() => expectLine(a, 'winlogon: session 1: logon screen')).toThrow(/no line matches/);
    expect(() => expectNoLine(a, 'ke: idle loop')).toThrow(/a line matches/);
    expect(b.reason).toBe('marker');
    expect(b.lines.filter((l) => l.includes('ps: session manager started'))).toHaveLength(1);
  });

  it('a snapshot is kept under build/cache/snapshots by the machine\'s contents and read back from there', async () => {
    if (process.env.SNAPSHOT_CACHE === '0') return; // the cache is off: nothing to check
    const m = machine({ kernel, disk, memoryMB: 24 }); // a machine of this test's own
    const from = 'ps: session manager started';
    const key = snapshotKey(m, from);
    expect(snapshotKey(machine({ kernel, disk, memoryMB: 32 }), from)).not.toBe(key);
    expect(snapshotKey(m, 'ke: idle loop')).not.toBe(key);
    const a = await bootUntil(m, 'ke: idle loop', { from });
    expect(existsSync(join(SNAPSHOT_DIR, `${key}.state`))).toBe(true);
    expect(existsSync(join(SNAPSHOT_DIR, `${key}.log`))).toBe(true);
    forgetSnapshots(); // as a new run would: nothing in memory
    const before = { ...snapshotStats };
    const b = await bootUntil(m, 'ke: idle loop', { from });
    expect(snapshotStats.taken - before.taken).toBe(0);
    expect(snapshotStats.loaded - before.loaded).toBe(1);
    for (const r of [a, b]) {
      expectLine(r, 'ke: idle loop');
      expect(r.lines.filter((l) => l.includes(from))).toHaveLength(1);
    }
    // the log before the snapshot is the same lines
    const upTo = (r: typeof a) => r.lines.slice(0, r.lines.findIndex((l) => l.includes(from)) + 1);
    expect(upTo(b)).toEqual(upTo(a));
  });

  it('expectStop checks the code and parameters of the decoded bug check', async () => {
    const noSmss = buildDisk({});
    const r = await bootUntil(machine({ kernel, disk: noSmss }), 'ke: idle loop');
    expectStop(r, 0x6d);
    expect(r.decodedStop!.params[0].explained).toMatch(/^STATUS_/);
    expect(() => expectStop(r, 0x6d, { p1: 0x12345678 })).toThrow(/p1 of SESSION1_INITIALIZATION_FAILED/);
    expect(() => expectStop(r, 0xef)).toThrow(/bug check code/);
  });
});
