// A SYSTEM hive with a real key called CurrentControlSet where the kernel
// puts its link (what a tool that does not map regedit's name would build):
// the kernel logs it, takes it out and goes on with the link to the control
// set Select\Current names, instead of stopping with 0x67.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildKernel, ROOT } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { regTreeFromSources } from '../../images/registry/hive.ts';
import { regfWrite } from '../../images/registry/regf.ts';
import { regDwordData, regNewKey, REG_DWORD } from '../../images/registry/regfile.ts';
import { msg, program } from './usermode.ts';

describe('a literal CurrentControlSet key in the SYSTEM hive', () => {
  it('is logged and replaced by the link; the boot goes on', async () => {
    const tree = regTreeFromSources([{ text: readFileSync(join(ROOT, 'images/registry/SYSTEM.reg')), fileName: 'SYSTEM.reg' }]);
    const stray = regNewKey('CurrentControlSet');
    stray.subkeys.set('CONTROL', regNewKey('Control'));
    stray.values.set('STRAY', { name: 'Stray', type: REG_DWORD, data: regDwordData(1) });
    tree.subkeys.set('CURRENTCONTROLSET', stray);
    const systemHive = regfWrite(tree, { fileName: '\\SystemRoot\\System32\\Config\\SYSTEM' });
    const { kernelImage } = await buildKernel({ bootModules: [{ name: 'dirtywrite.exe', bytes: await program('dirtywrite') }], write: false });
    const r = await boot({ kernel: kernelImage, disk: buildDisk({ systemHive }), until: 'ke: idle loop', timeoutMs: 150000 });
    expect(r.stop).toBeUndefined();
    expect(r.reached).toBe(true);
    const lines = msg(r.lines).filter((l) => l.startsWith('cm: '));
    expect(lines).toContain('cm: SYSTEM\\CurrentControlSet is a real key in the hive (1 subkeys, 1 values), not the link: removed, the link takes its place');
    const at = lines.findIndex((l) => l.includes('is a real key'));
    expect(lines[at + 1]).toBe('cm: \\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet -> ControlSet001');
  }, 300000);
});
