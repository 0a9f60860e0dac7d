// Paging to pagefile.sys (kernel/mm/paging.ts): an 8 MiB machine, two
// processes at once (programs/paging.ts, twice), each committing twice the
// physical pages the memory manager has and writing a value of (process, page, word)
// into every word, then reading every page back. Every word must come back;
// the paging file must have been used (its peak), every paged-out page
// freed with the processes' memory; a commit past the commit limit fails
// with STATUS_COMMITMENT_LIMIT. CHAOS=SEED runs it on the chaos kernel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { msg, program } from './usermode.ts';

const MEMORY_MB = 8;

describe('paging to pagefile.sys with little RAM', () => {
  let all: string[] = [];
  /** On a failure: the memory manager's lines and the log's end, to tell which step ran out. */
  const context = (pid: string, lines: string[]): string =>
    [`${pid}: ${lines.join(' | ')}`, ...all.filter((l) => l.startsWith('mm: ')), '...', ...all.slice(-20)].join('\n');
  let physical = 0;
  let byPid = new Map<string, string[]>();

  beforeAll(async () => {
    const bytes = await program('paging');
    const chaos = process.env.CHAOS;
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'paging1.exe', bytes }, { name: 'paging2.exe', bytes }], write: false, chaos: chaos !== undefined });
    const r = await boot({ kernel: kernelImage, disk: buildDisk({ fat: 'fat16', sizeMB: 48 }), memoryMB: MEMORY_MB, until: 'ke: idle loop', timeoutMs: 900000,
      cmdline: chaos !== undefined ? `chaos=${chaos}` : undefined });
    all = msg(r.lines);
    expect(r.stop, all.slice(-30).join('\n')).toBeUndefined();
    expect(r.reached, all.slice(-30).join('\n')).toBe(true);
    physical = Number(/^mm: page frame database: (\d+) pages/.exec(all.find((l) => l.startsWith('mm: page frame database: ')) ?? '')?.[1]);
    for (const l of all) {
      const m = /^paging[12]: pid (\d+) (.*)$/.exec(l);
      if (!m) continue;
      if (!byPid.has(m[1])) byPid.set(m[1], []);
      byPid.get(m[1])!.push(m[2]);
    }
  }, 1000000);
  afterAll(() => { byPid = new Map(); });

  it('runs two processes; one makes the paging file, the other finds it made', () => {
    expect([...byPid.keys()].length, all.join('\n')).toBe(2);
    const creates = [...byPid.values()].map((lines) => lines.find((l) => l.startsWith('create ')));
    expect(creates.filter((c) => c === 'create 0x00000000').length).toBe(1);
    expect(all).toContainEqual(expect.stringMatching(/^mm: paging file \\\?\?\\C:\\pagefile\.sys: 28672 KiB .*the modified page writer pages to it$/));
  });

  it('each commits twice the available pages and reads every word back as written', () => {
    for (const [pid, lines] of byPid) {
      const commit = lines.find((l) => l.startsWith('commit ') && l.includes('physical'));
      const m = /^commit (\d+) pages: twice the (\d+) physical pages \((\d+) available\); limit grew by (\d+)$/.exec(commit ?? '');
      expect(m, context(pid, lines)).not.toBeNull();
      const pages = Number(m![1]);
      expect(pages).toBe(2 * Number(m![2]));
      expect(Number(m![2])).toBe(physical);
      expect(Number(m![4])).toBe(28 * 256);
      expect(lines, context(pid, lines)).toContain('allocate 0x00000000');
      expect(lines, context(pid, lines)).toContain(`wrote ${pages} pages`);
      expect(lines, context(pid, lines)).toContain(`checked ${pages} pages: 0 pages wrong (0 words)`);
    }
  });

  it('the pages went through the paging file and the commit charge stayed within the limit', () => {
    for (const [pid, lines] of byPid) {
      const use = lines.find((l) => l.startsWith('paging file total '));
      const m = /^paging file total (\d+) in use (\d+) peak (\d+)$/.exec(use ?? '');
      expect(m, context(pid, lines)).not.toBeNull();
      expect(Number(m![1])).toBe(28 * 256);
      // Twice the physical pages cannot all be in memory: at least half of them went out at once.
      const pages = Number(/^commit (\d+)/.exec(lines.find((l) => l.startsWith('commit ') && l.includes('physical'))!)![1]);
      expect(Number(m![3])).toBeGreaterThanOrEqual(pages / 2);
      expect(lines).toContain('commit past the limit 0xC000012D (STATUS_COMMITMENT_LIMIT)');
      expect(lines).toContain('free 0x00000000');
    }
  });
});
