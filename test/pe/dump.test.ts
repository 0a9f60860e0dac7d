// The dump CLI (scripts/pe/dump.ts): its text for the samples, and its exit
// status and message for a broken image.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { peDump } from '../../scripts/pe/dump.ts';
import { peRead } from '../../scripts/pe/reader.ts';
import { sampleDll, sampleExe } from './samples.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pe-dump-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('pe dump', () => {
  it('prints headers, sections and imports of the sample exe', () => {
    const text = peDump(peRead(sampleExe().bytes));
    expect(text).toMatch(/^ImageBase\s+0x00400000$/m);
    expect(text).toMatch(/^Subsystem\s+1 \(native\)$/m);
    expect(text).toMatch(/^ {3}3 \.bss {5}rva 0x00006000 vsize 0x00002800 file 0x00000000 raw 0x00000000 {2}bss R W$/m);
    expect(text).toMatch(/^ {2}ntdll\.dll {2}\(ILT 0x[0-9a-f]{8}, IAT 0x00009000\)$/m);
    expect(text).toMatch(/^ {4}0x00009000 {2}NtDisplayString {2}\(hint 271\)$/m);
    expect(text).toMatch(/^ {4}0x00009008 {2}#42$/m);
    expect(text).toMatch(/^ {2}10 fixups in 4 pages$/m);
  });

  it('prints exports of the sample dll', () => {
    const text = peDump(peRead(sampleDll().bytes));
    expect(text).toMatch(/^ {2}sample\.dll {2}ordinal base 5, 7 functions, 6 names$/m);
    expect(text).toMatch(/^ +7 {2}-> NTDLL\.RtlAllocateHeap {2}RtlAllocateHeap$/m);
    expect(text).toMatch(/^ +12 {2}0x00001010 {2}\(no name\)$/m);
  });

  it('runs as a CLI and names the broken rule', () => {
    const good = join(tmp, 'good.exe');
    const bad = join(tmp, 'bad.exe');
    writeFileSync(good, sampleExe().bytes);
    writeFileSync(bad, sampleExe().bytes.slice(0, 0x100));
    const cli = (file: string) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/pe/dump.ts', file], { encoding: 'utf8' });
    const ok = cli(good);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Imports:');
    const broken = cli(bad);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/R4 optional-size: .* \[STATUS_INVALID_IMAGE_FORMAT \(0xC000007B\)\]/);
  });
});
