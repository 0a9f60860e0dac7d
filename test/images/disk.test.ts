// The disk image builder (images/build.ts): MBR + FAT + the Windows tree and
// the SYSTEM hive from images/registry/SYSTEM.reg with overlays; read back by
// our readers and, where installed, by fsck.fat and hivexsh.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDisk, listDisk, openDisk, SYSTEM_HIVE_PATH } from '../../images/build.ts';
import { MbrReadPartition } from '../../images/disk/mbr.ts';
import { RegfReader } from '../../images/registry/regf-reader.ts';
import { regExport } from '../../images/registry/hive.ts';

const tmp = mkdtempSync(join(tmpdir(), 'disk-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function has(tool: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }); return true; } catch { return false; }
}

describe('disk image', () => {
  const overlay = `Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager]\r\n"BootExecute"=-\r\n"TestValue"=dword:0000002a\r\n`;
  const image = buildDisk({
    overlays: [{ text: overlay, fileName: 'overlay.reg' }],
    files: new Map([['\\Windows\\System32\\hello.txt', new TextEncoder().encode('hello, disk\n')]]),
  });

  it('has the Windows tree, the extra file and the hive', () => {
    expect(image.length).toBe(32 << 20);
    const list = listDisk(image);
    for (const p of ['\\Windows\\', '\\Windows\\System32\\', '\\Windows\\System32\\config\\', '\\Windows\\System32\\drivers\\', '\\Windows\\TEMP\\']) expect(list).toContain(p);
    expect(list).toContain('\\Windows\\System32\\hello.txt  12');
    expect(new TextDecoder().decode(openDisk(image).readPath('\\windows\\system32\\HELLO.TXT'))).toBe('hello, disk\n');
    expect(MbrReadPartition(image).startLba).toBe(2048);
  });

  it('the hive is SYSTEM.reg with the overlay applied', () => {
    const text = regExport(new RegfReader(openDisk(image).readPath(SYSTEM_HIVE_PATH)).tree());
    expect(text).toContain('[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]');
    expect(text).toContain('"Current"=dword:00000001');
    expect(text).toContain('[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager\\DOS Devices]');
    expect(text).toContain('"TestValue"=dword:0000002a');
    expect(text).not.toContain('"BootExecute"');
    // Without the overlay BootExecute is there.
    const plain = regExport(new RegfReader(openDisk(buildDisk()).readPath(SYSTEM_HIVE_PATH)).tree());
    expect(plain).toContain('"BootExecute"=hex(7):');
  });

  it('is the same bytes every time', () => {
    expect(Buffer.compare(Buffer.from(buildDisk()), Buffer.from(buildDisk()))).toBe(0);
  });

  it('fsck.fat finds nothing wrong', (ctx) => {
    if (!has('fsck.fat')) { console.log('skipped: fsck.fat (dosfstools) is not installed'); ctx.skip(); }
    const part = join(tmp, 'part.img');
    writeFileSync(part, MbrReadPartition(image).volume);
    const out = execFileSync('fsck.fat', ['-n', part], { encoding: 'utf8' });
    expect(out).not.toMatch(/error|corrupt|invalid/i);
  });

  it('hivexsh reads the hive', (ctx) => {
    if (!has('hivexsh')) { console.log('skipped: hivexsh (libhivex-bin) is not installed'); ctx.skip(); }
    const hive = join(tmp, 'SYSTEM');
    writeFileSync(hive, openDisk(image).readPath(SYSTEM_HIVE_PATH));
    const out = execFileSync('hivexsh', [hive], { input: 'cd \\ControlSet001\\Control\\Session Manager\\Environment\nlsval\n', encoding: 'utf8' });
    expect(out).toContain('"OS"="Windows_NT"');
  });
});
