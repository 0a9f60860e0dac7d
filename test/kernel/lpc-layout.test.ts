// kernel/sdk/lpc.ts against MinGW-w64's headers (ddk/ntifs.h, ntstatus.h):
// the x86 layouts of PORT_MESSAGE, PORT_VIEW and REMOTE_PORT_VIEW, the
// public message maximum, and every LPC status in kernel/sdk/ntstatus.ts.
// The offsets are computed from the AssemblyScript classes' field order and
// types, and checked with _Static_assert by i686-w64-mingw32-gcc (skipped,
// with the tool's name, where it is missing).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build.ts';

const GCC = 'i686-w64-mingw32-gcc';
const sdk = readFileSync(join(ROOT, 'kernel/sdk/lpc.ts'), 'utf8');
const status = readFileSync(join(ROOT, 'kernel/sdk/ntstatus.ts'), 'utf8');
const SIZES: Record<string, number> = { u8: 1, u16: 2, i16: 2, u32: 4, i32: 4, usize: 4, i64: 8 };

/** Field offsets of an @unmanaged class of the SDK file, natural alignment as on x86. */
function layout(name: string, text = sdk): { fields: Array<[string, number]>; size: number } {
  const body = new RegExp(`@unmanaged export class ${name} \\{([^}]*)\\}`).exec(text)![1];
  let at = 0;
  const fields: Array<[string, number]> = [];
  for (const [, field, type] of body.matchAll(/(\w+): (\w+);/g)) {
    const size = SIZES[type];
    at = Math.ceil(at / size) * size;
    fields.push([field, at]);
    at += size;
  }
  return { fields, size: at };
}
const constant = (text: string, name: string) => Number(new RegExp(`export const ${name}: \\w+ = (0x[0-9A-Fa-f]+|\\d+);`).exec(text)![1]);

/** MinGW's member path for our flattened field names. */
const MEMBER: Record<string, string> = {
  DataLength: 'u1.s1.DataLength', TotalLength: 'u1.s1.TotalLength', Type: 'u2.s2.Type', DataInfoOffset: 'u2.s2.DataInfoOffset',
  UniqueProcess: 'ClientId.UniqueProcess', UniqueThread: 'ClientId.UniqueThread',
};

describe('kernel/sdk/lpc.ts', () => {
  it('PORT_MESSAGE is the 24-byte x86 header, its offset constants agree with the class', () => {
    const m = layout('PORT_MESSAGE');
    expect(m.size).toBe(24);
    expect(constant(sdk, 'SIZEOF_PORT_MESSAGE')).toBe(24);
    const offsets = Object.fromEntries(m.fields);
    expect(constant(sdk, 'PORT_MESSAGE_TOTAL_LENGTH')).toBe(offsets.TotalLength);
    expect(constant(sdk, 'PORT_MESSAGE_TYPE')).toBe(offsets.Type);
    expect(constant(sdk, 'PORT_MESSAGE_CLIENT_ID')).toBe(offsets.UniqueProcess);
    expect(constant(sdk, 'PORT_MESSAGE_MESSAGE_ID')).toBe(offsets.MessageId);
    expect(constant(sdk, 'PORT_MESSAGE_CLIENT_VIEW_SIZE')).toBe(offsets.ClientViewSize);
    expect(layout('PORT_VIEW').size).toBe(constant(sdk, 'SIZEOF_PORT_VIEW'));
    expect(layout('REMOTE_PORT_VIEW').size).toBe(constant(sdk, 'SIZEOF_REMOTE_PORT_VIEW'));
  });

  it('agrees with MinGW-w64 (offsets, sizes, PORT_MAXIMUM_MESSAGE_LENGTH, LPC statuses)', (ctx) => {
    if (spawnSync(GCC, ['--version']).status !== 0) { console.log(`skipped: ${GCC} not installed`); ctx.skip(); return; }
    const lines = ['#include <ntifs.h>', '#include <stddef.h>'];
    const check = (cond: string, what: string) => lines.push(`_Static_assert(${cond}, "${what}");`);
    for (const name of ['PORT_MESSAGE', 'PORT_VIEW', 'REMOTE_PORT_VIEW']) {
      const l = layout(name);
      check(`sizeof(${name}) == ${l.size}`, `sizeof ${name}`);
      for (const [field, at] of l.fields) check(`offsetof(${name}, ${MEMBER[field] ?? field}) == ${at}`, `${name}.${field}`);
    }
    check('offsetof(PORT_MESSAGE, CallbackId) == PORT_MESSAGE_CALLBACK_ID_OURS', 'CallbackId');
    lines.splice(2, 0, `#define PORT_MESSAGE_CALLBACK_ID_OURS ${constant(sdk, 'PORT_MESSAGE_CALLBACK_ID')}`);
    check(`PORT_MAXIMUM_MESSAGE_LENGTH == ${constant(sdk, 'PORT_MAXIMUM_MESSAGE_LENGTH')}`, 'PORT_MAXIMUM_MESSAGE_LENGTH');
    const group = status.slice(status.indexOf('// ---- LPC'));
    const names = [...group.matchAll(/export const (STATUS_\w+): u32 = (0x[0-9A-F]+);/g)];
    expect(names.length).toBeGreaterThanOrEqual(9);
    for (const [, name, value] of names) check(`${name} == (NTSTATUS)${value}`, name);
    const dir = mkdtempSync(join(tmpdir(), 'lpcsdk-'));
    try {
      writeFileSync(join(dir, 'check.c'), lines.join('\n') + '\n');
      const r = spawnSync(GCC, ['-I/usr/share/mingw-w64/include/ddk', '-c', join(dir, 'check.c'), '-o', join(dir, 'check.o')], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(lines.filter((l) => l.startsWith('_Static_assert')).length).toBeGreaterThan(25);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('kernel/lpc/lpcp.ts', () => {
  it('the LPC service frame fits the bytes the KTHREAD keeps for it, before the scratch arena', () => {
    const lpcp = readFileSync(join(ROOT, 'kernel/lpc/lpcp.ts'), 'utf8');
    const thread = readFileSync(join(ROOT, 'kernel/ke/thread.ts'), 'utf8');
    const frame = layout('LPCP_SERVICE_FRAME', lpcp);
    expect(frame.fields.map(([f]) => f)).toEqual(['Out', 'Status', 'Message', 'ReceivedType', 'Timeout']);
    expect(frame.size).toBeLessThanOrEqual(constant(thread, 'KTHREAD_LPC_FRAME_SIZE'));
    expect(thread).toMatch(/KTHREAD_SCRATCH_ARENA: u32 = \(KTHREAD_LPC_FRAME \+ KTHREAD_LPC_FRAME_SIZE \+ 7\)/);
    // Nothing in LPC addresses the thread's service scratch by raw offset any more.
    for (const f of ['lpcp.ts', 'connect.ts', 'send.ts', 'reply.ts', 'create.ts']) {
      expect(readFileSync(join(ROOT, 'kernel/lpc', f), 'utf8')).not.toMatch(/KTHREAD_SERVICE_SCRATCH|LpcpScratch/);
    }
  });
});
