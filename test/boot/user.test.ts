// Ring 3: user processes (boot modules built by scripts/userprog.ts) call
// native services through int 0x2e, get statuses back for hostile input, and
// end with the right NTSTATUS when they fault; the kernel keeps running.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { sysentSource, SYSENT_PATH } from '../../scripts/services.ts';
import { boot } from '../../emulator/node/boot.ts';
import { msg, program, run } from './usermode.ts';

describe('user mode', () => {
  it('the service table in the kernel matches the service list', () => {
    expect(readFileSync(SYSENT_PATH, 'utf8')).toBe(sysentSource());
  });

  it('services answer, and hostile pointers or numbers get a status back', async () => {
    const lines = await run([['svctest.exe', 'services']]);
    const out = lines.filter((l) => l.startsWith('svctest: ')).map((l) => l.slice(9));
    expect(out).toEqual([
      'hello from ring 3',
      'delay 0x00000000',
      'slept at least 30 ms 0x00000001',
      'counter 0x00000000',
      'frequency 0x000F4240',
      expect.stringMatching(/^yield 0x(00000000|40000024)$/),
      'kernel pointer 0xC0000005',
      'unmapped pointer 0xC0000005',
      'misaligned pointer 0xC0000005',
      'time into kernel 0xC0000005',
      'unknown service 0xC000001C',
      'bad argument block 0xC0000005',
      'status after all that 0xC0000005',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^ps: process \d+ \(svctest\) exited with status 0x00000000$/));
  }, 120000); // the first test builds the kernel (asc alone takes 40-50 s on a busy machine)

  it('SharedUserData: the sysenter stub at 0x7FFE0300, version fields, nothing allocated over it, read-only', async () => {
    const lines = await run([['shared.exe', 'shareddata']]);
    const out = lines.filter((l) => l.startsWith('shared: ')).map((l) => l.slice(8));
    expect(out).toEqual([
      'SystemCall 0x0000008B 0x000000D4 0x0000000F 0x00000034 0x000000C3', // mov edx, esp; sysenter; ret
      'version 0x00000005.0x00000001 machine 0x0000014C',
      'close through the sysenter stub 0xC0000008',
      'allocate over it 0xC0000018',                                      // STATUS_CONFLICTING_ADDRESSES
      'write to it',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/\(shared\) exited with status 0xC0000005$/));
  }, 60000);

  it('privileged instructions and bad accesses end the process with their NTSTATUS; the kernel goes on', async () => {
    const lines = await run([
      ['cli.exe', 'cli'], ['hlt.exe', 'hlt'], ['outport.exe', 'outport'], ['nullread.exe', 'nullread'], ['kwrite.exe', 'kwrite'],
      ['divzero.exe', 'divzero'], ['badop.exe', 'badop'],
    ]);
    const exit = (name: string) => lines.find((l) => l.includes(`(${name}) exited`));
    for (const n of ['cli', 'hlt', 'outport']) {
      expect(exit(n)).toMatch(/exited with status 0xC0000096$/);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ps: process \\d+ \\(${n}\\): unhandled exception 0xC0000096 \\(general protection\\) at 0x004`)));
      expect(lines).not.toContain(`${n}: still running after ${n === 'outport' ? 'out' : n}`);
    }
    expect(exit('nullread')).toMatch(/exited with status 0xC0000005$/);
    expect(lines).toContainEqual(expect.stringMatching(/\(nullread\): unhandled exception 0xC0000005 \(page fault\) at 0x004[0-9A-F]{5}, address 0x00000000$/));
    expect(exit('kwrite')).toMatch(/exited with status 0xC0000005$/);
    expect(lines).toContainEqual(expect.stringMatching(/\(kwrite\): unhandled exception 0xC0000005 \(page fault\) at 0x004[0-9A-F]{5}, address 0x80100000$/));
    expect(lines).not.toContain('kwrite: wrote kernel memory');
    expect(exit('divzero')).toMatch(/exited with status 0xC0000094$/);
    expect(lines).toContainEqual(expect.stringMatching(/\(divzero\): unhandled exception 0xC0000094 \(integer divide by zero\) at 0x004[0-9A-F]{5}$/));
    expect(lines).toContainEqual(expect.stringMatching(/\(badop\): unhandled exception 0xC000001D \(illegal instruction\) at 0x004[0-9A-F]{5}$/));
    expect(lines).not.toContain('divzero: divided by zero');
    expect(exit('badop')).toMatch(/exited with status 0xC000001D$/);
    expect(lines).not.toContain('badop: after unreachable');
    expect(lines).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 7; pool in use (\d+) bytes before them, \1 after$/));
  }, 60000);

  it('a critical process that ends stops the system with 0xEF; cleared, it ends cleanly', async () => {
    const lines = await run([['uncritical.exe', 'uncritical']]);
    const out = lines.filter((l) => l.startsWith('uncritical: ')).map((l) => l.slice(12));
    expect(out).toEqual([
      'clear critical 0x00000000',
      'query 0x00000000 length 24',
      expect.stringMatching(/^exit status 0x00000103 peb 0x7FFDF000 pid \d+$/),
      'wrong length 0xC0000004',
      'bad class 0xC0000003',
      'bad handle 0xC0000008',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/\(uncritical\) exited with status 0x00000000$/));
    const bootModules = [{ name: 'critical.exe', bytes: await program('critical') }];
    const { kernelImage } = await buildKernel({ bootModules, write: false });
    const r = await boot({ kernel: kernelImage, timeoutMs: 20000 });
    expect(r.stop?.code).toBe(0xEF);
    expect(r.log).toContain('CRITICAL_PROCESS_DIED');
    expect(msg(r.lines)).toContain('critical: set critical 0x00000000');
    expect(r.log).toMatch(/process \d+ \(critical\) exited with status 0x00000000/);
  }, 60000);

  it('virtual memory: reserve, commit, query, protect, decommit, release; a write to a read-only page faults', async () => {
    const lines = await run([['vm.exe', 'vm']]);
    const out = lines.filter((l) => l.startsWith('vm: ')).map((l) => l.slice(4));
    const at = (label: string) => out.find((l) => l.startsWith(label + ' 0x'));
    expect(at('reserve')).toBe('reserve 0x00000000');
    expect(at('reserved size')).toBe('reserved size 0x00040000');
    expect(at('64 KiB aligned')).toBe('64 KiB aligned 0x00000001');
    expect(at('commit')).toBe('commit 0x00000000');
    expect(at('zeroed')).toBe('zeroed 0x00000001');
    expect(at('kept')).toBe('kept 0x00000001');
    const region = Number(/alloc (0x[0-9A-F]+)/.exec(at('query reserved')!)![1]);
    const hex = (n: number) => '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
    expect(at('query reserved')).toBe(`query reserved 0x00000000 base ${hex(region)} alloc ${hex(region)} size 0x00010000 state 0x00002000 protect 0x00000000`);
    expect(at('query committed')).toBe(`query committed 0x00000000 base ${hex(region + 0x10000)} alloc ${hex(region)} size 0x00002000 state 0x00001000 protect 0x00000004`);
    expect(at('overlapping reserve')).toBe('overlapping reserve 0xC0000018');
    expect(at('bad protection')).toBe('bad protection 0xC0000045');
    expect(at('bad handle')).toBe('bad handle 0xC0000008');
    expect(at('kernel pointer')).toBe('kernel pointer 0xC0000005');
    expect(at('release not at base')).toBe('release not at base 0xC000009F');
    expect(at('protect')).toBe('protect 0x00000000');
    expect(at('old protection')).toBe('old protection 0x00000004');
    expect(at('query read-only')).toBe(`query read-only 0x00000000 base ${hex(region + 0x10000)} alloc ${hex(region)} size 0x00001000 state 0x00001000 protect 0x00000002`);
    expect(at('still readable')).toBe('still readable 0x00000001');
    expect(at('decommit')).toBe('decommit 0x00000000');
    expect(at('query decommitted')).toMatch(/ state 0x00002000 protect 0x00000000$/);
    expect(at('release')).toBe('release 0x00000000');
    expect(at('query released')).toMatch(/^query released 0x00000000 .* state 0x00010000 /);
    expect(out).toContain('writing the read-only page');
    expect(out).not.toContain('wrote a read-only page');
    expect(lines).toContainEqual(expect.stringMatching(/\(vm\): unhandled exception 0xC0000005 \(page fault\) at 0x004[0-9A-F]{5}, address 0x[0-9A-F]{8}$/));
    expect(lines).toContainEqual(expect.stringMatching(/\(vm\) exited with status 0xC0000005$/));
  }, 60000);

  it('system information: basic figures and the process list with image names, ids and thread counts', async () => {
    const lines = await run([['sysinfo.exe', 'sysinfo'], ['spinc.exe', 'spin']]);
    const out = lines.filter((l) => l.startsWith('sysinfo: ')).map((l) => l.slice(9));
    expect(out[0]).toBe('basic 0x00000000 page 4096 granularity 0x00010000 user 0x00010000-0x7FFEFFFF processors 1');
    expect(out[1]).toBe('too small 0xC0000004 needed 1');
    expect(out[2]).toBe('processes 0x00000000');
    const procs = out.filter((l) => l.startsWith('pid '));
    expect(procs[0]).toBe('pid 0 threads 1 session 0 name (none) tid 0');
    expect(procs[1]).toMatch(/^pid 4 threads [1-9]\d* session 0 name System tid [1-9]/);
    expect(procs).toContainEqual(expect.stringMatching(/^pid \d+ threads 1 session 0 name sysinfo\.exe tid \d+$/));
    expect(procs).toContainEqual(expect.stringMatching(/^pid \d+ threads 1 session 0 name spinc\.exe tid \d+$/));
    expect(out[out.length - 1]).toMatch(/^thread 0x00000000 teb 0x7FFDE000 priority 8$/);
  }, 60000);

  it('a waiter wakes on an event another process sets; WaitAll, WaitAny, timeouts, semaphores, timers, bad handles', async () => {
    const lines = await run([['evwaiter.exe', 'evwaiter'], ['evsetter.exe', 'evsetter']]);
    const out = lines.filter((l) => l.startsWith('evwaiter: ')).map((l) => l.slice(10));
    expect(out).toEqual([
      expect.stringMatching(/^open shared event 0x(00000000|40000000)$/),
      'handle is a multiple of 4 0x00000001',
      'wait for the other process 0x00000000',
      'wait all, one set 0x00000102',
      'wait any, first set 0x00000000',
      'wait any, second set 0x00000001',
      'wait all, both set 0x00000000',
      'semaphore 0x00000000',
      'take it 0x00000000',
      'empty now 0x00000102',
      'past the limit 0xC0000047',
      'timer 0x00000000',
      'timer fires 0x00000000',
      'close a bad handle 0xC0000008',
      'a kernel handle 0xC0000008',
      'wait on a bad handle 0xC0000008',
      'bad handle array 0xC0000005',
      'close 0x00000000',
      'closed twice 0xC0000008',
    ]);
    const set = lines.findIndex((l) => l === 'evsetter: set 0x00000000');
    const woke = lines.findIndex((l) => l === 'evwaiter: wait for the other process 0x00000000');
    expect(set).toBeGreaterThan(0);
    expect(woke).toBeGreaterThan(set);
  }, 60000);

  it('a mutant whose owner process ends is abandoned: the next waiter gets STATUS_ABANDONED', async () => {
    const lines = await run([['mtxowner.exe', 'mtxowner'], ['mtxwaiter.exe', 'mtxwaiter']]);
    expect(lines).toContain('mtxowner: own 0x00000000');
    expect(lines).toContain('mtxwaiter: wait 0x00000080');
    expect(lines).toContain('mtxwaiter: release 0x00000000');
    expect(lines).toContain('mtxwaiter: release again 0xC0000046');
    expect(lines.indexOf('mtxowner: ending while owning it')).toBeLessThan(lines.indexOf('mtxwaiter: wait 0x00000080'));
  }, 60000);

  it('1,000 create/close cycles of each object type (threads, sections and process handles too) leave pool and pages as they were', async () => {
    const lines = await run([['churn.exe', 'churn']], 60000);
    expect(lines).toContain('churn: cycles done, failures 0');
    const m = /^ps: boot processes ended: 1; pool in use (\d+) bytes before them, (\d+) after$/.exec(lines.find((l) => l.startsWith('ps: boot processes ended')) ?? '');
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBe(Number(m![1]));
    const pages = /^ps: free pages (\d+) before them, (\d+) after$/.exec(lines.find((l) => l.startsWith('ps: free pages')) ?? '');
    expect(pages).not.toBeNull();
    expect(Number(pages![2])).toBe(Number(pages![1]));
  }, 90000);

  it('threads: create suspended and resume, two CPU-bound threads progress, an owner thread dying abandons its mutant, suspend, terminate by handle', async () => {
    const lines = await run([['threads.exe', 'threads']], 60000);
    const out = lines.filter((l) => l.startsWith('threads: ')).map((l) => l.slice(9));
    expect(out).toEqual([
      'resume 0x00000000', 'previous suspend count 0x00000001',
      'the worker ran while main spun 0x00000001',
      'wait for the worker 0x00000000', 'worker exit status 0x00000000', 'main ran while the worker ran 0x00000001',
      'owner takes the mutant 0x00000000', 'wait for the owner 0x00000000', 'owner exit status 0x00000007',
      'abandoned 0x00000080', 'release 0x00000000',
      'suspend 0x00000000', 'resume it 0x00000000', 'count was 0x00000001',
      'terminate the sleeper 0x00000000', 'its handle is signalled 0x00000000', 'sleeper exit status 0x00000055',
      'current thread info 0x00000000',
      'open by id 0x00000000', 'same thread 0x00000001', 'no such thread 0xC000000B',
      'set priority 0x00000000', 'priority now 0x0000000C', 'priority 0 0xC000000D', 'hide from debugger 0x00000000', 'unknown class 0xC0000003',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/\(threads\) exited with status 0x00000000$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 1; pool in use (\d+) bytes before them, \1 after$/));
  }, 90000);

  it('the AssemblyScript heap shared by four preempted threads: every block and string they were given is theirs alone', async () => {
    const lines = await run([['asheap.exe', 'asheap']], 120000);
    expect(lines.filter((l) => l.startsWith('asheap: ')), lines.join('\n')).toEqual(['asheap: threads 4 rounds 24000 errors 0']);
    expect(lines).toContainEqual(expect.stringMatching(/\(asheap\) exited with status 0x00000000$/));
  }, 150000);

  it('process handles: open by id, query, terminate another process, wait for it, exit status', async () => {
    const lines = await run([['victim.exe', 'victim'], ['procctl.exe', 'procctl']], 60000);
    const out = lines.filter((l) => l.startsWith('procctl: ')).map((l) => l.slice(9));
    expect(out).toEqual([
      'found the victim 0x00000001', 'open it 0x00000000', 'query it 0x00000000', 'it is running 0x00000103', 'same pid 0x00000001',
      'terminate it 0x00000000', 'wait for its end 0x00000000', 'its exit status 0x00000042', 'close 0x00000000',
      'no such process 0xC000000B', 'self by pseudo handle 0x00000000', 'wait on self times out 0x00000102',
    ]);
    expect(lines).toContain('victim: running until terminated');
    expect(lines).not.toContain('victim: should not get here');
    expect(lines).toContainEqual(expect.stringMatching(/\(victim\) exited with status 0x00000042$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 2; pool in use (\d+) bytes before them, \1 after$/));
  }, 60000);

  it('the object namespace from ring 3: directories, links, case, OPENIF, enumeration, names, duplication, lifetime', async () => {
    const lines = await run([['namespace.exe', 'namespace']]);
    const out = lines.filter((l) => l.startsWith('namespace: ')).map((l) => l.slice(11));
    expect(out).toEqual([
      'create directory 0x00000000', 'create link 0x00000000', 'create through the link 0x00000000',
      'open case-insensitively 0x00000000', 'exact case fails 0xC000003A', // the first component already differs: path not found
      'again without OPENIF 0xC0000035', 'again with OPENIF 0x40000000', 'missing path 0xC000003A',
      'query directory 0x00000000', 'entry Ev type Event', 'no more entries 0x8000001A',
      'query name 0x00000000', 'name \\BaseNamedObjects\\Test\\Ev',
      'open link 0x00000000', 'query link 0x00000000', 'target \\BaseNamedObjects\\Test',
      'duplicate 0x00000000', 'different handle 0x00000001', 'close the copy 0x00000000',
      'kernel buffer 0xC0000005', 'kernel name 0xC0000005',
      'gone after the last close 0xC0000034', 'the directory too 0xC0000034',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 1; pool in use (\d+) bytes before them, \1 after$/));
  }, 60000);

  it('one process reads, writes, allocates, queries, protects and frees another\'s memory', async () => {
    const lines = await run([['tgt.exe', 'tgt'], ['writer.exe', 'writer']]);
    const out = lines.filter((l) => l.startsWith('writer: ')).map((l) => l.slice(8));
    expect(out).toEqual([
      'open 0x00000000', 'read its image base 0x00000000', 'image base 0x00400000', 'write 0x00000000', 'written 0x00000004',
      'into the kernel 0xC0000005', 'from an unmapped page 0xC0000005', 'across the end of SharedUserData 0x8000000D', 'read before it stopped 0x00001000',
      'bad handle 0xC0000008',
      'allocate there 0x00000000', 'write there 0x00000000', 'read back 0x00000000', 'value 0x11223344',
      'query there 0x00000000', 'state 0x00001000', 'not here 0x00000001',
      'protect there 0x00000000', 'old 0x00000004', 'free there 0x00000000',
    ]);
    expect(lines).toContain('tgt: wait 0x00000000');
    expect(lines).toContain('tgt: value 0xCAFEF00D');
  }, 60000);

  it('NtCreateProcessEx copies a process (inheritable handles too); its thread runs there with its own memory and exit status', async () => {
    const lines = await run([['forker.exe', 'forker']]);
    const out = lines.filter((l) => l.startsWith('forker: ')).map((l) => l.slice(8));
    expect(out).toEqual([
      'copy this process 0x00000000', 'stack there 0x00000000', 'its first frame 0x00000000', 'its thread 0x00000000',
      'in the copy: marker 7, parameter 0x0000ABCD, a different process 1',
      'inheritable handle works there 0x00000000', 'the other one does not 0xC0000008',
      'wait for it 0x00000000', 'its exit status 0x00000033', 'the event it set 0x00000000', 'marker here 7',
      'from a data section 0xC0000049', 'bad parent 0xC0000008',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^ps: process \d+ created as a copy of process \d+$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ps: boot processes ended: 1; pool in use (\d+) bytes before them, \1 after$/));
    const pages = /^ps: free pages (\d+) before them, (\d+) after$/.exec(lines.find((l) => l.startsWith('ps: free pages')) ?? '');
    expect(Number(pages![2])).toBe(Number(pages![1]));
  }, 60000);

  it('two CPU-bound ring-3 processes both make progress (preemption)', async () => {
    const lines = await run([['spina.exe', 'spin'], ['spinb.exe', 'spin']], 60000);
    const order = lines.filter((l) => /^spin[ab]: (round|done)/.test(l)).map((l) => l.slice(0, 5));
    expect(order.filter((n) => n === 'spina')).toHaveLength(5);
    expect(order.filter((n) => n === 'spinb')).toHaveLength(5);
    // Interleaved: b reports before a is done, and a before b is done.
    expect(order.indexOf('spinb')).toBeLessThan(order.lastIndexOf('spina'));
    expect(order.indexOf('spina')).toBeLessThan(order.lastIndexOf('spinb'));
  }, 90000);
});
