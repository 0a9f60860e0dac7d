// The I/O side of the kernel on real emulated hardware: the ATA driver finds
// v86's IDE disk (IDENTIFY, interrupt-driven on IRQ 14), reads the MBR that
// images/build.ts wrote, and a boot without a disk goes on without one.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildKernel } from '../../scripts/build.ts';
import { boot } from '../../emulator/node/boot.ts';
import { buildDisk } from '../../images/build.ts';
import { msg } from './usermode.ts';

let kernel: Uint8Array;
beforeAll(async () => { kernel = (await buildKernel({ write: false })).kernelImage; }, 120000);

describe('ATA driver', () => {
  it('identifies the primary master and reads the partition table through IRQ 14', async () => {
    const disk = buildDisk({ sizeMB: 48 });
    const r = await boot({ kernel, disk, until: 'ke: idle loop', timeoutMs: 30000 });
    expect(r.stop).toBeUndefined();
    const lines = msg(r.lines);
    const sectors = disk.length / 512;
    expect(lines).toContain(`io: ATA primary master "v86 ATA HD", ${sectors} sectors (48 MiB), PIO LBA28 on IRQ 14`);
    // The partition the image builder made, as the MBR on the disk says.
    const view = new DataView(disk.buffer, disk.byteOffset + 446);
    const type = view.getUint8(4), first = view.getUint32(8, true), count = view.getUint32(12, true);
    expect(lines).toContain(`io: partition 1: type 0x${type.toString(16).toUpperCase().padStart(8, '0')}, LBA ${first}, ${count} sectors`);
    expect(lines.filter((l) => l.startsWith('io: partition'))).toHaveLength(1);
  }, 60000);

  it('boots on without a disk', async () => {
    const r = await boot({ kernel, until: 'ke: idle loop', timeoutMs: 30000 });
    expect(r.stop).toBeUndefined();
    expect(r.reached).toBe(true);
    expect(msg(r.lines)).toContain('io: no ATA disk on the primary channel');
  }, 60000);
});
