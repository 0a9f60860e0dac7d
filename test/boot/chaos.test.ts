// The chaos kernel (build/chaos/ntoskrnl.bin, kernel/chaos.ts): with
// `chaos=SEED` it forces thread switches at pseudo-random function entries
// and loop heads, far more often than the clock. A correct kernel must still
// boot to the logon screen and log on, with no bug check and no stall (a stall
// runs into the timeout). `npm run stress -- --chaos SEED` runs many such boots.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { DEFAULT_USER, messages, standardMachine } from './helpers.ts';

let kernel: Uint8Array;
let disk: Uint8Array;
beforeAll(async () => {
  kernel = (await buildKernel({ write: false, chaos: true })).kernelImage;
  disk = (await standardMachine()).disk!;
}, 300_000);

/** The last "ke: chaos: P points: S forced switches, ..." counts. */
function counts(lines: string[]): { points: number; switches: number } | undefined {
  const m = messages(lines).map((l) => /^ke: chaos: (\d+) points: (\d+) forced switches/.exec(l)).filter(Boolean).at(-1);
  return m ? { points: Number(m[1]), switches: Number(m[2]) } : undefined;
}

describe('chaos kernel', () => {
  it('with chaos=SEED boots to the logon screen and logs on, with forced switches (more than 20)', async () => {
    const r = await boot({
      kernel, disk, cmdline: 'chaos=20261207', until: 'nsh: session 1: prompt', timeoutMs: 240_000,
      input: [{ after: 'winlogon: session 1: user name:', text: `${DEFAULT_USER.user}\r` }, { after: 'winlogon: session 1: password:', text: `${DEFAULT_USER.password}\r` }],
    });
    expect(r.decodedStop, r.lines.slice(-20).join('\n')).toBeUndefined();
    expect(r.reached, `${r.reason}:\n${r.lines.slice(-20).join('\n')}`).toBe(true);
    const lines = messages(r);
    expect(lines).toContain('ke: chaos: seed 20261207 (0x01352957): a forced switch to any ready thread at one probe in 100 on average (function entries and loop heads)');
    expect(lines.some((l) => l.startsWith('winlogon: session 1: Administrator logged on'))).toBe(true);
    const c = counts(r.lines);
    expect(c, 'no chaos count line').toBeDefined();
    console.log(`chaos: ${c!.points} points, ${c!.switches} forced switches by the last count line`);
    expect(c!.points).toBeGreaterThanOrEqual(500);
    expect(c!.switches).toBeGreaterThan(20);
  }, 300_000);

  it('without chaos= it forces no switch', async () => {
    const r = await boot({ kernel, disk, until: 'ps: session manager started', timeoutMs: 60_000 });
    expect(r.reached).toBe(true);
    const lines = messages(r);
    expect(lines).toContain('ke: chaos: off (chaos kernel; chaos=SEED turns forced switches on)');
    expect(counts(r.lines)).toBeUndefined();
  }, 120_000);
});
