// Pool quotas (kernel/ex/quota.ts) from ring 3: programs/quota.ts takes its
// own process to the paged and then the nonpaged limit, twice, and prints
// what NtQueryInformationProcess says it uses. Every call past a limit is
// refused with STATUS_QUOTA_EXCEEDED (the event, a key open, a file open),
// the machine goes on, and closing everything gives the usage back: paged to
// the byte where it started, nonpaged to where the first round left it (the
// handle table keeps the entries it grew, charged once). Io's and image
// building's pool is the caller's too (a file open costs more than its file
// object; an image section's peak includes the file read whole; a read's
// buffer is refused at the limit), a key create refused for quota leaves
// no key, and a reservation or a datagram past the limit is refused as
// quota (STATUS_QUOTA_EXCEEDED), not as memory.
import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { msg, program } from './usermode.ts';
import { helloImage } from '../pe/tiny.ts';

const STATUS_QUOTA_EXCEEDED = '0xC0000044';
const PAGED_LIMIT = 1024 * 1024;
const NONPAGED_LIMIT = 512 * 1024;

describe('pool quotas', () => {
  it('a process that makes objects until refused gets STATUS_QUOTA_EXCEEDED, the system goes on, and its usage comes back', async () => {
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'quota', bytes: await program('quota') }], write: false });
    // A valid image with 60,000 bytes after its sections: building its section reads all of it.
    const big = new Uint8Array(helloImage().length + 60000);
    big.set(helloImage());
    const disk = buildDisk({ sizeMB: 8, files: new Map([['\\Data\\quota.txt', new TextEncoder().encode('quota\n')], ['\\Data\\big.exe', big]]) });
    const r = await boot({ kernel: kernelImage, disk, until: 'ke: idle loop', timeoutMs: 240000 });
    expect(r.stop).toBeUndefined();
    expect(r.reached).toBe(true);
    const lines = msg(r.lines);
    const out = lines.filter((l) => l.startsWith('quota: ')).map((l) => l.slice(7));
    const text = out.join('\n');
    expect(out).toContain('query limits 0x00000000');
    expect(out).toContain(`limits: paged ${PAGED_LIMIT} nonpaged ${NONPAGED_LIMIT}`);
    expect(out).toContain('vm counters, wrong length 0xC0000004');
    // Io's pool for an open (the file's name, the file system's per-open data) is charged beyond the
    // file object, and given back on close; building an image section charged the file read whole.
    const file = /^file: usage grew (\d+), the object's charge (\d+)$/m.exec(text);
    expect(file, text).not.toBeNull();
    expect(Number(file![1])).toBeGreaterThan(Number(file![2]));
    expect(out).toContain('file closed: back 1');
    expect(out).toContain('image section 0x00000000');
    const image = /^image: peak was (\d+) above the usage, rose to (\d+)$/m.exec(text);
    expect(image, text).not.toBeNull();
    expect(Number(image![1])).toBeLessThan(big.length);
    expect(Number(image![2])).toBeGreaterThanOrEqual(big.length);
    // One event: the usage grows by what the object says it was charged, and shrinks back.
    const ev = /^event: usage grew (\d+), its NonPagedPoolCharge (\d+), PagedPoolCharge (\d+)$/.exec(out.find((l) => l.startsWith('event: ')) ?? '');
    expect(ev, text).not.toBeNull();
    expect(Number(ev![1])).toBeGreaterThan(0);
    expect(Number(ev![1])).toBe(Number(ev![2]));
    expect(Number(ev![3])).toBe(0);
    // Its own regions (image, data, stack, TEB, PEB) are charged from the start.
    expect(Number(/^round 1 before: paged 0 nonpaged (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(out).toContain('closed: back 1');
    const rounds = [1, 2].map((n) => {
      const num = (re: RegExp) => { const m = re.exec(text); expect(m, `${re}\n${text}`).not.toBeNull(); return m!.slice(1).map((x) => (x.startsWith('0x') ? x : Number(x))); };
      const [pagedBefore, nonPagedBefore] = num(new RegExp(`^round ${n} before: paged (\\d+) nonpaged (\\d+)$`, 'm')) as number[];
      const [named, namedStatus, pagedAtLimit] = num(new RegExp(`^round ${n}: named events (\\d+) then (0x[0-9A-F]{8}) paged (\\d+)$`, 'm'));
      const [unnamed, unnamedStatus, nonPagedAtLimit] = num(new RegExp(`^round ${n}: unnamed events (\\d+) then (0x[0-9A-F]{8}) nonpaged (\\d+)$`, 'm'));
      const [key, file] = num(new RegExp(`^round ${n}: open key (0x[0-9A-F]{8}) open file (0x[0-9A-F]{8})$`, 'm'));
      // A key create refused for quota left no key behind.
      expect(out).toContain(`round ${n}: create key ${STATUS_QUOTA_EXCEEDED}`);
      expect(out).toContain(`round ${n}: the refused key 0xC0000034`); // STATUS_OBJECT_NAME_NOT_FOUND
      const [pagedAfter, nonPagedAfter, failures] = num(new RegExp(`^round ${n} after: paged (\\d+) nonpaged (\\d+) close failures (\\d+)$`, 'm')) as number[];
      expect(namedStatus).toBe(STATUS_QUOTA_EXCEEDED);
      expect(unnamedStatus).toBe(STATUS_QUOTA_EXCEEDED);
      expect(key).toBe(STATUS_QUOTA_EXCEEDED);
      expect(file).toBe(STATUS_QUOTA_EXCEEDED);
      // Each 1000-character name costs over 2000 bytes of paged quota: the paged limit holds a few hundred.
      expect(named as number).toBeGreaterThan(200);
      expect(named as number).toBeLessThan(PAGED_LIMIT / 2000);
      expect(pagedAtLimit as number).toBeLessThanOrEqual(PAGED_LIMIT);
      expect(pagedAtLimit as number).toBeGreaterThan(PAGED_LIMIT - 2200);
      expect(unnamed as number).toBeGreaterThan(1000);
      expect(nonPagedAtLimit as number).toBeLessThanOrEqual(NONPAGED_LIMIT);
      expect(nonPagedAtLimit as number).toBeGreaterThan(NONPAGED_LIMIT - 1024);
      expect(failures).toBe(0);
      expect(pagedAfter).toBe(pagedBefore);
      return { nonPagedBefore, nonPagedAfter, named, unnamed };
    });
    // The second round: the same objects fit, and the usage comes back to the byte.
    expect(rounds[1].named).toBe(rounds[0].named);
    expect(rounds[1].nonPagedBefore).toBe(rounds[0].nonPagedAfter);
    expect(rounds[1].nonPagedAfter).toBe(rounds[1].nonPagedBefore);
    expect(out).toContain('an event after it all 0x00000000');
    expect(out).toContain('lower nonpaged limit 0x00000000');
    expect(out).toContain(`event over the lowered limit ${STATUS_QUOTA_EXCEEDED}`);
    // Past the quota, a reservation, a read's buffer and a datagram are refused as quota, not as memory.
    expect(out).toContain(`reserve over the lowered limit ${STATUS_QUOTA_EXCEEDED}`);
    expect(out).toContain('open the file again 0x00000000');
    expect(out).toContain('a port 0x00000000');
    expect(out).toContain(`read over the lowered limit ${STATUS_QUOTA_EXCEEDED}`);
    expect(out).toContain(`datagram over the lowered limit ${STATUS_QUOTA_EXCEEDED}`);
    // A process's children share its quota block: the lowered limit is theirs, and what they reserve counts against it.
    expect(out).toContain('a child 0x00000000');
    expect(out).toContain('the child\'s nonpaged limit is ours 1');
    expect(out).toContain(`the child's reserve over the lowered limit ${STATUS_QUOTA_EXCEEDED}`);
    // The registry's own quota: 4 MiB of keys and values, whoever set them.
    expect(out).toContain('volatile key 0x00000000');
    expect(out).toContain('registry: 1 MiB values 3 then 0xC000009A');
    expect(out).toContain('delete the key 0x00000000');
    expect(out).toContain('a 1 MiB value again 0x00000000');
    // The process ended and its pool went with it: the kernel's own count is back.
    const m = /^ps: boot processes ended: 1; pool in use (\d+) bytes before them, (\d+) after$/.exec(lines.find((l) => l.startsWith('ps: boot processes ended')) ?? '');
    expect(m, lines.join('\n')).not.toBeNull();
    expect(Number(m![2])).toBe(Number(m![1]));
  }, 300000);
});
