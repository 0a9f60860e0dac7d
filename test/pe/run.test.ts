// Linked PE images run in ring 3 in v86: until the kernel has its PE
// loader, test/pe/uimg.ts maps them (relocating where they were linked
// elsewhere, binding each IAT slot) into one boot module. An .exe linked at
// another base runs relocated to 0x00400000; an .exe calls a DLL that runs
// relocated from 0x10000000: its exports with i32 and i64 arguments and
// results (stdcall), its start function (run by DllMain), its own ntdll
// imports, and its trap handler raising an exception through its IAT. And
// two of the ring-3 boot tests' programs (threads: func_address and thread
// starts; namespace) print the same lines linked as PE as they do as UIMG.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { buildUserImage } from '../../scripts/pe/link.ts';
import { buildUserProgram } from '../../scripts/userprog.ts';
import { boot } from '../../emulator/node/boot.ts';
import { peToUimg } from './uimg.ts';

const programs = join(__dirname, 'programs');
const msg = (lines: string[]) => lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));

/** Boots the kernel with these boot modules until the idle loop; the log lines without timestamps. */
async function bootWith(bootModules: { name: string; bytes: Uint8Array }[]): Promise<string[]> {
  const { kernelImage } = await buildKernel({ bootModules, write: false });
  const r = await boot({ kernel: kernelImage, until: 'ke: idle loop', timeoutMs: 60000 });
  expect(r.stop).toBeUndefined();
  expect(r.reached).toBe(true);
  return msg(r.lines);
}

describe('linked PE images in ring 3', () => {
  const reference = ['threads', 'namespace']; // boot test programs, also linked as PE
  const source = (n: string) => join(__dirname, '..', 'boot', 'programs', `${n}.ts`);
  let lines: string[] = [];
  const out = (name: string, from = lines) => from.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));

  // One boot for every PE image: the programs do not share named objects.
  beforeAll(async () => {
    const hello = await buildUserImage(join(programs, 'hello.ts'), { imageBase: 0x01230000 });
    const usedll = await buildUserImage(join(programs, 'usedll.ts'));
    const mathlib = await buildUserImage(join(programs, 'mathlib.ts'), { kind: 'dll' });
    lines = await bootWith([
      { name: 'hello.exe', bytes: peToUimg(hello.bytes, [], 0x00400000) },
      { name: 'usedll.exe', bytes: peToUimg(usedll.bytes, [{ name: 'mathlib.dll', bytes: mathlib.bytes }]) },
      ...await Promise.all(reference.map(async (n) => ({ name: `${n}.exe`, bytes: peToUimg((await buildUserImage(source(n))).bytes) }))),
    ]);
  }, 240000);

  it('an .exe relocated at load: static data with pointers, a jump table, the heap, an indirect call', () => {
    expect(out('hello')).toEqual(['zero', 'one', 'two', 'three', expect.stringMatching(/^(none|one|pair|few|some|many)$/)]);
    expect(lines).toContainEqual(expect.stringMatching(/^ps: process \d+ \(hello\) exited with status 0x00000000$/));
  });

  it('an .exe calling a relocated DLL: stdcall exports, its start function, its imports, its trap handler', () => {
    expect(out('usedll')).toEqual([
      'add 42',
      `mul64 ${0x12345678 * 0x1000}`,
      'names 5 4 5',
      'classify 10 11 17 19 23 -1 ',
      'start 42',
      expect.stringMatching(/^yield (0|1073741860)$/), // STATUS_SUCCESS or STATUS_NO_YIELD_PERFORMED
      'check 0',
    ]);
    // The DLL's trap handler: NtRaiseException(STATUS_ILLEGAL_INSTRUCTION) through the DLL's IAT ends the process.
    expect(lines).toContainEqual(expect.stringMatching(/^ps: process \d+ \(usedll\) exited with status 0xC000001D$/));
  });

  it('boot test programs print the same as PE images as they do as UIMG images', async () => {
    const uimg = await bootWith(await Promise.all(reference.map(async (n) => ({ name: `${n}.exe`, bytes: await buildUserProgram(source(n)) }))));
    for (const n of reference) {
      const exit = (from: string[]) => from.filter((l) => l.includes(`(${n}) exited`)).map((l) => l.replace(/process \d+/, 'process N'));
      expect(out(n).length).toBeGreaterThan(10);
      expect(out(n)).toEqual(out(n, uimg));
      expect(exit(lines)).toEqual(exit(uimg));
      expect(exit(lines)).toHaveLength(1);
    }
  }, 180000);
});
