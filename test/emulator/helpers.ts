// Helpers for boot tests: boot a machine to a milestone once, keep its state
// (a v86 snapshot) for the rest of the worker, and start each further case
// from there; assertions on the log that print the log when they fail.
//
//   const m = machine({ kernel, disk });
//   const r = await bootUntil(m, 'ke: idle loop', { from: 'ps: session manager started' });
//   expectLine(r, /smss: Session Manager running/);
//   expectNoLine(r, /LDR:/);
//   expectStop(await bootUntil(m2, 'ke: idle loop'), 0x6d, { p1: 0xC0000034 });
//
// `from` names the milestone where the snapshot is taken: the first call boots
// to it and saves the state; every call (the first included) then restores
// it and runs on to `until`. Snapshots are kept per worker, by the machine's
// contents (kernel, disk, command line, memory) and `from`. A machine
// without a disk is booted in full every time (v86 0.5 cannot restore one).

import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { boot, type BootOptions, type BootResult, type Snapshot } from '../../emulator/node/boot.ts';
import { hex32 } from '../../emulator/core/log.ts';
import type { Marker } from '../../emulator/core/monitor.ts';

export interface Machine {
  kernel: Uint8Array;
  disk?: Uint8Array;
  cmdline?: string;
  memoryMB?: number;
}

export function machine(m: Machine): Machine {
  return m;
}

const snapshots = new Map<string, Promise<Snapshot | undefined>>();
/** How many boots the snapshots saved in this worker (for tests of the helpers). */
export const snapshotStats = { taken: 0, restored: 0 };

function keyOf(m: Machine, from: Marker): string {
  const h = createHash('sha256');
  h.update(m.kernel);
  h.update(m.disk ?? new Uint8Array(0));
  h.update(`\0${m.cmdline ?? ''}\0${m.memoryMB ?? ''}\0${String(from)}`);
  return h.digest('hex');
}

export interface BootUntilOptions extends Omit<BootOptions, 'kernel' | 'disk' | 'cmdline' | 'memoryMB' | 'until' | 'restore' | 'snapshot'> {
  /** take (or reuse) a snapshot at this milestone and start from it */
  from?: Marker;
}

/** Boots `m` until `until` (from a snapshot at `from` when given and possible). */
export async function bootUntil(m: Machine, until: Marker, opts: BootUntilOptions = {}): Promise<BootResult> {
  const { from, ...rest } = opts;
  const base = { kernel: m.kernel, disk: m.disk, cmdline: m.cmdline, memoryMB: m.memoryMB, timeoutMs: 60_000, ...rest };
  if (from !== undefined && m.disk) {
    const key = keyOf(m, from);
    let snap = snapshots.get(key);
    if (!snap) {
      snap = boot({ ...base, until: from, snapshot: true }).then((r) => {
        if (r.reason !== 'marker' || !r.snapshot) return undefined; // a boot that never gets there: no snapshot
        snapshotStats.taken++;
        return r.snapshot;
      });
      snapshots.set(key, snap);
    }
    const state = await snap;
    if (state) {
      snapshotStats.restored++;
      return boot({ ...base, until, restore: state });
    }
  }
  return boot({ ...base, until });
}

function showLog(r: BootResult): string {
  return `\n--- the log (${r.reason}) ---\n${r.lines.join('\n')}\n---`;
}

/** A line matches `pattern` (a substring or a RegExp); returns the first such line. */
export function expectLine(r: BootResult, pattern: string | RegExp): string {
  const found = r.lines.find((l) => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l)));
  expect(found, `no line matches ${String(pattern)}${showLog(r)}`).toBeDefined();
  return found!;
}

/** No line matches `pattern`. */
export function expectNoLine(r: BootResult, pattern: string | RegExp): void {
  const found = r.lines.find((l) => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l)));
  expect(found, `a line matches ${String(pattern)}: ${found}${showLog(r)}`).toBeUndefined();
}

/** The run ended in a bug check with this code (and these parameters, where given). */
export function expectStop(r: BootResult, code: number, params: { p1?: number; p2?: number; p3?: number; p4?: number } = {}): void {
  expect(r.decodedStop, `no bug check; expected ${hex32(code)}${showLog(r)}`).toBeDefined();
  const s = r.decodedStop!;
  expect(hex32(s.code), `bug check code${showLog(r)}`).toBe(hex32(code));
  ['p1', 'p2', 'p3', 'p4'].forEach((p, i) => {
    const want = params[p as keyof typeof params];
    if (want !== undefined) expect(hex32(s.params[i].value), `${p} of ${s.name}`).toBe(hex32(want));
  });
}
