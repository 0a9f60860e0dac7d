// Leaks measured where they would show (programs/leaks.ts): one ring-3 loop
// makes and releases files, registry keys, tokens, processes from an image,
// image-section views, LPC connections and threads, and after each round
// samples the pool (its pages and the allocations not yet freed, from
// SystemPerformanceInformation), the free physical pages and its own pool
// quota usage. After the first rounds (caches, the handle table and the
// registry's cells reaching their size) every sample must be the same.
import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { sampleExe } from '../pe/samples.ts';
import { msg, program } from './usermode.ts';

/** Rounds left out as warm-up. */
const WARM_UP = 3;

describe('leaks, sampled inside a running loop', () => {
  it('files, keys, tokens, processes from images, image views, ports and threads: pool, pages and quota flat after warm-up', async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'leaks', bytes: await program('leaks') }], write: false });
    const disk = buildDisk({ sizeMB: 8, files: new Map([
      ['\\Data\\keep.txt', new TextEncoder().encode('keep\n')],
      ['\\Images\\good.exe', sampleExe({ imageBase: 0x10000000 }).bytes],
    ]) });
    const r = await boot({ kernel: kernelImage, disk, until: 'ke: idle loop', timeoutMs: 400000 });
    expect(r.stop).toBeUndefined();
    const lines = msg(r.lines);
    const out = lines.filter((l) => l.startsWith('leaks: ')).map((l) => l.slice(7));
    expect(out, out.join('\n')).toContain('done, failures 0');
    const samples = out.map((l) => /^sample (\d+) available (\d+) poolpages (\d+) poolblocks (\d+) quota (\d+)\/(\d+)$/.exec(l)).filter((m) => m !== null)
      .map((m) => ({ round: Number(m![1]), available: Number(m![2]), poolPages: Number(m![3]), poolBlocks: Number(m![4]), paged: Number(m![5]), nonPaged: Number(m![6]) }));
    console.log(samples.map((s) => `round ${s.round}: available ${s.available} pool pages ${s.poolPages} blocks ${s.poolBlocks} quota ${s.paged}/${s.nonPaged}`).join('\n'));
    expect(samples.map((s) => s.round)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Something was in use while it ran (the loop's own handles and objects are counted).
    expect(samples[0].poolBlocks).toBeGreaterThan(0);
    const steady = samples.slice(WARM_UP);
    for (const s of steady) {
      expect(s.poolBlocks, `pool allocations in use at round ${s.round}`).toBe(steady[0].poolBlocks);
      expect(s.poolPages, `pool pages at round ${s.round}`).toBe(steady[0].poolPages);
      expect(s.available, `free physical pages at round ${s.round}`).toBe(steady[0].available);
      expect(s.paged, `paged quota at round ${s.round}`).toBe(steady[0].paged);
      expect(s.nonPaged, `nonpaged quota at round ${s.round}`).toBe(steady[0].nonPaged);
    }
  }, 480000);
});
