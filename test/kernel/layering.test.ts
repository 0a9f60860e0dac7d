// The kernel's layers (README, "Layers"), checked on the import graph of
// kernel/: no file imports a component above its own (only the generated
// kernel/ke/sysent.ts may), and no private name (Mi*, Ki*, Obp*, Exp*, ...)
// is imported outside its component. The tree still has a few upward edges
// from before the order was written down: they are listed here, and the
// test fails on any edge that is not on the list, so the list can only
// shrink; private imports are none. Each check is also run on a planted
// upward or private import, to show it catches one.

import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeEdges, LAYERS, privateImports, readImportGraph, upwardEdges, type Edge } from './layering.ts';

const KERNEL = join(dirname(fileURLToPath(import.meta.url)), '../../kernel');

// Upward imports: none left (46 when the order was written down; the last,
// se/token.ts -> ps/, went when Ps's token services moved to ps/pstoken.ts and
// Se read a process's token through a routine Ps hands in).

/** Private names imported across components when the rule was written down (to be removed, never added to). */
// Private names imported across components: none left (25 when the rule was
// written down; the last went when issue 11's layering was finished).

describe('kernel layering', () => {
  const graph = readImportGraph(KERNEL);

  it('reads the import graph: every component is in the layer order', () => {
    expect(graph.length).toBeGreaterThan(300);
    const components = new Set(graph.flatMap((e) => [e.from, e.to]).map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
    expect([...components].filter((c) => !LAYERS.includes(c))).toEqual([]);
    expect(graph).toContainEqual({ from: 'ke/trap.ts', to: 'sdk/context.ts' });
  });

  it('has no upward import (only the generated sysent.ts may import upward)', () => {
    expect(describeEdges(upwardEdges(graph))).toEqual([]);
  });

  it('catches a planted upward import, and lets sysent.ts and downward imports be', () => {
    const planted: Edge = { from: 'rtl/unicode.ts', to: 'ob/obp.ts' };
    expect(describeEdges(upwardEdges([...graph, planted]))).toEqual(['rtl/unicode.ts -> ob/obp.ts']);
    const small: Edge[] = [
      { from: 'ke/wait.ts', to: 'ps/psmain.ts' },     // up: ke is below ps
      { from: 'ps/psmain.ts', to: 'ke/wait.ts' },     // down
      { from: 'ke/sysent.ts', to: 'ps/psmain.ts' },   // the generated service table
      { from: 'sdk/pe.ts', to: 'sdk/ntdef.ts' },      // within a component
      { from: 'main.ts', to: 'ps/psinit.ts' },        // the boot order, at the top
      { from: 'sdk/list.ts', to: 'main.ts' },         // up to the top
      { from: 'io/iosys.ts', to: 'drivers/disk.ts' }, // up: Io is below its drivers
      { from: 'drivers/disk.ts', to: 'io/iomgr.ts' }, // down: a driver makes its devices through Io
    ];
    expect(describeEdges(upwardEdges(small))).toEqual(['io/iosys.ts -> drivers/disk.ts', 'ke/wait.ts -> ps/psmain.ts', 'sdk/list.ts -> main.ts']);
  });

  it('kernel/sdk imports nothing outside itself (any image may use it)', () => {
    expect(graph.filter((e) => e.from.startsWith('sdk/') && !e.to.startsWith('sdk/'))).toEqual([]);
  });

  it('imports no private name across components', () => {
    expect(privateImports(KERNEL)).toEqual([]);
  });

  it('catches a planted private import, and lets one inside its component and main.ts\'s Ki* be', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layering-'));
    try {
      mkdirSync(join(dir, 'ke'));
      mkdirSync(join(dir, 'mm'));
      writeFileSync(join(dir, 'ke/a.ts'), 'export function KiSecret(): void {}\nexport function KeOpen(): void {}\n');
      writeFileSync(join(dir, 'ke/b.ts'), 'import { KiSecret } from "./a";\n');                 // same component
      writeFileSync(join(dir, 'mm/c.ts'), 'import { KeOpen, KiSecret } from "../ke/a";\n');    // planted
      writeFileSync(join(dir, 'main.ts'), 'import { KiSecret } from "./ke/a";\n');             // the boot may
      expect(privateImports(dir)).toEqual(['mm/c.ts imports KiSecret from ke/a.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
