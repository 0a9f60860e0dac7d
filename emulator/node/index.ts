// The package's entry point: boot the machine from Node (CI written in
// JavaScript, tests, tools). `npm start` is a thin layer over the same call.
//
//   import { boot } from 'nt-smss-wasm86';
//   const r = await boot({ reg: 'my.reg', add: { '\\Windows\\System32\\hello.exe': 'hello.exe' },
//                          until: 'smss: BootExecute', timeout: 30 });
//   r.events        every serial line, parsed (time, component, message)
//   r.decodedStop   the bug check, named and explained, if there was one
//   r.disk          the disk image as the guest left it
//
// Without `kernel` and `disk`, the build's build/ntoskrnl.bin and
// build/disk.img are used (`npm run build` makes them); `disk: null` boots
// without a disk.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot as bootMachine, type BootOptions, type BootResult } from './boot.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_KERNEL = join(ROOT, 'build', 'ntoskrnl.bin');
export const DEFAULT_DISK = join(ROOT, 'build', 'disk.img');

export interface BootArgs extends Omit<BootOptions, 'kernel' | 'disk'> {
  /** multiboot kernel: bytes or a file path (default build/ntoskrnl.bin) */
  kernel?: Uint8Array | string;
  /** IDE disk: bytes or a file path (default build/disk.img); null for none */
  disk?: Uint8Array | string | null;
}

/** Boots the machine; see BootOptions and BootResult for every field. */
export async function boot(args: BootArgs = {}): Promise<BootResult> {
  const kernel = args.kernel ?? DEFAULT_KERNEL;
  if (typeof kernel === 'string' && !existsSync(kernel)) throw new Error(`kernel not found: ${kernel} (npm run build makes it)`);
  const disk = args.disk === null ? undefined : args.disk ?? (existsSync(DEFAULT_DISK) ? DEFAULT_DISK : undefined);
  return bootMachine({ ...args, kernel, disk });
}

export type { BootOptions, BootResult, EndReason, RegSource, Snapshot } from './boot.ts';
export type { DecodedStop, LogEvent, Milestone, ProcessInfo, SessionInfo, TimelineEntry } from '../core/bootlog.ts';
export { BootLog, parseBootLog, describeStop } from '../core/bootlog.ts';
export { summaryText, timelineText, treeText } from '../core/logtext.ts';
