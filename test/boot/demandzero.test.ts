// Demand-zero private commits and the commit charge taken at commit time
// (kernel/mm/virtual.ts, mm/procmm.ts, mm/pfn.ts). programs/dzero.ts commits
// 512 pages and reads every fourth one: the commit takes no page frame but
// raises the commit charge by 512, a read takes one frame per page and the
// pages read as zero; kernel accesses (NtWriteVirtualMemory,
// NtReadVirtualMemory, a service's out-parameter) take theirs the same way;
// NtProtectVirtualMemory and NtQueryVirtualMemory see untouched pages as
// committed with their protection; a decommit gives back the charge of
// every page and the frames of the touched ones. programs/commitrace.ts:
// two threads commit at once, each 3/4 of what is left under the limit;
// exactly one gets STATUS_COMMITMENT_LIMIT, every round. programs/lazysec.ts:
// a 64-page section's pages come on first touch (kernel/mm/segment.ts),
// charged at its creation, shared by its views.
import { describe, expect, it } from 'vitest';
import { run } from './usermode.ts';

describe('demand-zero commits and the commit charge', () => {
  it('a commit takes no frames but is charged; pages read as zero and take a frame on first touch', async () => {
    const lines = await run([['dzero.exe', 'dzero']], 60000);
    const out = lines.filter((l) => l.startsWith('dzero: ')).map((l) => l.slice(7));
    const figures = (what: string) => {
      const m = new RegExp(`^${what}: frames taken (\\d+) committed \\+(\\d+)$`).exec(out.find((l) => l.startsWith(`${what}:`)) ?? '');
      expect(m, `${what}\n${out.join('\n')}`).not.toBeNull();
      return { frames: Number(m![1]), committed: Number(m![2]) };
    };
    expect(out).toContain('commit 0x00000000');
    // 512 pages committed: at most a page table and pool taken, the charge up by the 512 and those.
    const commit = figures('after the commit');
    expect(commit.frames).toBeLessThanOrEqual(3);
    expect(commit.committed).toBe(512 + commit.frames);
    expect(out).toContain('region: 0x00000000 state 0x00001000 protect 0x00000004 pages 512');
    // 128 pages read: a frame each, all zero; the charge does not move (those pages were charged).
    const read = figures('after reading every fourth page');
    expect(read.frames).toBeGreaterThanOrEqual(128);
    expect(read.frames).toBeLessThanOrEqual(130);
    expect(read.committed).toBe(read.frames - 128);
    expect(out).toContain('nonzero words 0');
    expect(out).toContain('kernel write 0x00000000 read back');
    expect(out).toContain('kernel read 0x00000000 zeroes');
    expect(out).toContain("out-parameter 0x00000000 size in it 512");
    const kernel = figures('after 3 kernel accesses');
    expect(kernel.frames).toBe(3);
    expect(kernel.committed).toBe(0);
    expect(out).toContain('protect read-only 0x00000000 old 0x00000004');
    expect(out).toContain('page 5: 0x00000000 state 0x00001000 protect 0x00000002 pages 1');
    expect(out).toContain('page 5 nonzero words 0');
    expect(out).toContain('protect no access 0x00000000');
    expect(out).toContain('page 6: 0x00000000 state 0x00001000 protect 0x00000001 pages 1');
    expect(out).toContain('kernel read of page 6 0xC0000005');
    expect(out).toContain('protect read/write 0x00000000 old 0x00000001');
    expect(out).toContain('page 6 word 0x0000600D');
    // The upper half: 256 pages, 64 of them read: 64 frames back, 256 pages of charge back.
    expect(out).toContain('decommit 0x00000000');
    expect(out).toContain('after the decommit: frames freed 64 committed -256');
    expect(out).toContain('upper half: 0x00000000 state 0x00002000 protect 0x00000000 pages 256');
    expect(out).toContain('release 0x00000000');
    expect(out).toContain('after the release: committed -256');
    expect(lines).toContainEqual(expect.stringMatching(/^ps: process \d+ \(dzero\) exited with status 0x00000000$/));
  }, 180000);

  it('a section takes its pages on first touch, charged at creation; two views share each page', async () => {
    const lines = await run([['lazysec.exe', 'lazysec']], 60000);
    const out = lines.filter((l) => l.startsWith('lazysec: ')).map((l) => l.slice(9));
    const figures = (what: string) => {
      const m = new RegExp(`^${what}: frames taken (\\d+) committed (\\d+)$`).exec(out.find((l) => l.startsWith(`${what}:`)) ?? '');
      expect(m, `${what}\n${out.join('\n')}`).not.toBeNull();
      return { frames: Number(m![1]), committed: Number(m![2]) };
    };
    expect(out).toContain('section 0x00000000');
    const section = figures('after the section');
    expect(section.frames).toBeLessThanOrEqual(2);                 // pool at most: no page of the section
    expect(section.committed).toBe(64 + section.frames);           // its 64 pages charged now
    expect(out.filter((l) => l === 'map 0x00000000 size 64').length).toBe(2);
    const views = figures('after two views');
    expect(views.frames).toBeLessThanOrEqual(3);                   // page tables and region records
    expect(views.committed).toBe(views.frames);
    expect(out).toContain('written through one view, read through the other 0x00C0FFEE');
    expect(out).toContain('page 10 nonzero words 0');
    expect(figures('after two pages touched')).toEqual({ frames: 2, committed: 0 });
    expect(out).toContain('kernel write 0x00000000 seen through the other view 0x53525150');
    expect(out).toContain('kernel read 0x00000000 first word 0x00000000');
    expect(figures('after two kernel accesses')).toEqual({ frames: 2, committed: 0 });
    expect(out).toContain('protect no access 0x00000000 old 0x00000004');
    expect(out).toContain('page 40: state 0x00001000 protect 0x00000001 type 0x00040000');
    expect(out).toContain('kernel read of page 40 0xC0000005');
    expect(out).toContain('page 40 through the other view 0x00000000');
    expect(out).toContain('unmap 0x00000000 0x00000000 close 0x00000000');
    // Five pages were taken (3, 10, 20, 30, 40): they and the 64 pages' charge go back, with any pool page freed.
    const end = /^after the views and the section: frames freed (\d+) committed -(\d+)$/.exec(out.find((l) => l.startsWith('after the views')) ?? '');
    expect(end, out.join('\n')).not.toBeNull();
    expect(Number(end![1])).toBeGreaterThanOrEqual(5);
    expect(Number(end![2]) - 64).toBe(Number(end![1]) - 5);
    expect(lines).toContainEqual(expect.stringMatching(/^ps: process \d+ \(lazysec\) exited with status 0x00000000$/));
  }, 180000);

  it('two threads committing at once near the limit: exactly one is refused, every round', async () => {
    const lines = await run([['commitrace.exe', 'commitrace']], 120000);
    const out = lines.filter((l) => l.startsWith('commitrace: ')).map((l) => l.slice(12));
    const left = /^left (\d+) pages; each thread commits (\d+)$/.exec(out[0] ?? '');
    expect(left, out.join('\n')).not.toBeNull();
    expect(2 * Number(left![2])).toBeGreaterThan(Number(left![1]));
    expect(out).toContain('rounds 20: exactly one refused 20, both passed 0, both refused 0, other 0');
    expect(lines).toContainEqual(expect.stringMatching(/^ps: process \d+ \(commitrace\) exited with status 0x00000000$/));
  }, 180000);
});
