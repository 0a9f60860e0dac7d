// Reentrancy of Ps's services (the rule in CONTRACTS.md: no per-call state
// in module memory): ring-3 programs run several threads, or processes, at
// one priority through the same services with inputs of their own and check
// every answer (test/boot/programs/psrace.ts, sessrace.ts); test/boot/reentrancy.test.ts has the other components'.
import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { msg, program } from './usermode.ts';

/** Boots these (module name, program) pairs to the idle loop, on the chaos kernel (chaos=SEED) when asked; no STOP allowed. */
async function run(modules: Array<[string, string]>, chaos: boolean, timeoutMs: number): Promise<string[]> {
  const bootModules = await Promise.all(modules.map(async ([name, src]) => ({ name, bytes: await program(src) })));
  const { kernelImage } = await buildKernel({ bootModules, write: false, chaos });
  const r = await boot({ kernel: kernelImage, cmdline: chaos ? 'chaos=20261207' : undefined, until: 'ke: idle loop', timeoutMs });
  const lines = msg(r.lines);
  expect(r.stop, lines.slice(-30).join('\n')).toBeUndefined();
  expect(r.reached, lines.slice(-30).join('\n')).toBe(true);
  // Chaos on: the seed line (the count lines come every 1,000 points, which a short run may not reach).
  if (chaos) expect(lines).toContainEqual(expect.stringMatching(/^ke: chaos: seed 20261207 /));
  return lines;
}

const out = (lines: string[], program: string) => lines.filter((l) => l.startsWith(`${program}: `)).map((l) => l.slice(program.length + 2));

describe.each([false, true])('ps reentrancy (chaos kernel: %s)', (chaos) => {
  it('four threads create threads and query device maps at once: every TEB and every drive map is the caller\'s own', async () => {
    const lines = await run([['psrace.exe', 'psrace']], chaos, 400000);
    const said = out(lines, 'psrace');
    expect(said.slice(0, 5)).toEqual(['link R: 0x00000000', 'directory 0x00000000', 'link Q: 0x00000000', 'link Global 0x00000000', 'set the device map 0x00000000']);
    // Q: alone in the process's own map; Q: and R: with the global ones.
    const maps = said.map((l) => /^drive maps: own and global 0x([0-9A-F]{8}), own only 0x([0-9A-F]{8})$/.exec(l)).find((m) => m);
    expect(maps, said.join('\n')).toBeTruthy();
    const all = parseInt(maps![1], 16), own = parseInt(maps![2], 16);
    expect(own, said.join('\n')).toBe(1 << 16);
    expect(all, said.join('\n')).toBe((1 << 16) | (1 << 17));
    for (let i = 0; i < 4; i++) {
      expect(said, said.join('\n')).toContain(`worker ${i}: 150 iterations, wrong TEBs 0, wrong device maps 0, failed calls 0`);
    }
    expect(lines).toContainEqual(expect.stringMatching(/\(psrace\) exited with status 0x00000000$/));
  }, 600000);
});

// The chaos kernel (kernel/ke/chaos.ts) forces thread switches at pseudo-random function entries and loop
// heads, where the clock alone rarely lands. With the old module-level names in pssession.ts the session
// race stalled the product kernel (one run of two) and stopped the chaos kernel with REFERENCE_BY_POINTER (0x18).
describe.each([false, true])('ps reentrancy, sessions (chaos kernel: %s)', (chaos) => {
  it('two processes make and leave sessions at once: each is in the session it was given, with that session\'s directories', async () => {
    const lines = await run([['sessa.exe', 'sessrace'], ['sessb.exe', 'sessrace']], chaos, 400000);
    for (const who of ['sessa', 'sessb']) {
      expect(out(lines, who), out(lines, who).join('\n')).toEqual(['open token 0x00000000', 'enable SeLoadDriverPrivilege 0x00000000', 'sessions made 40, in the wrong session 0, directories missing 0, failed calls 0']);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`\\(${who}\\) exited with status 0x00000000$`)));
    }
    // The two made sessions while the other's existed: ids above 1 were given.
    expect(lines).toContainEqual(expect.stringMatching(/^ps: session 2 created by process \d+ \(sess[ab]\.exe\): \\Sessions\\2$/));
  }, 600000);
});
