// npm run bench: the figures issue by issue, measured in one run, each beside
// its reference as a ratio.
//
//  1. Build: wall time of the whole pipeline (asc + translate + link), image size.
//  2. Boot: wall time and guest instructions to `ke: idle loop`, against the
//     floor (the smallest multiboot image that prints one serial line).
//  3. Translator quality: guest instructions of compute kernels translated by
//     wasm2x86, against the same algorithms compiled by gcc -O2 -m32
//     (measured between port-0xF5 marks; gcc is a bench-only reference).
//
// Guest instruction counts do not depend on host speed; wall times do (median of runs).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKernel, ROOT } from './build.ts';
import { buildTestProgram } from './testprog.ts';
import { assemble } from './wasm2x86/emit.ts';
import { reg, imm, EAX, EDX, type Insn } from './wasm2x86/x86.ts';
import { boot, type BootResult } from '../emulator/node/boot.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }
const fmtMs = (ms: number) => `${ms.toFixed(0)} ms`;
const fmtM = (n: number) => `${(n / 1e6).toFixed(3)} M`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/** The floor: a multiboot image that prints one log line and powers off. */
function floorImage(): Uint8Array {
  const msg = '[    0.000000] ke: floor\n';
  const code: Insn[] = [
    { op: 'label', target: 'hdr' },
    { op: 'dd', ops: [imm(0x1BADB002), imm(0x00010000), imm(-(0x1BADB002 + 0x00010000) | 0), imm(0, 'hdr'), imm(0x100000), imm(0, 'end'), imm(0, 'end'), imm(0, 'entry')] },
    { op: 'label', target: 'entry' },
    { op: 'mov', ops: [reg(EDX), imm(0x3F8)] },
    ...[...msg].flatMap((c): Insn[] => [{ op: 'mov', ops: [reg(EAX), imm(c.charCodeAt(0))] }, { op: 'out', ops: [reg(EDX, 2), reg(EAX, 1)] }]),
    { op: 'mov', ops: [reg(EDX), imm(0xF4)] }, { op: 'mov', ops: [reg(EAX), imm(0)] }, { op: 'out', ops: [reg(EDX, 2), reg(EAX, 1)] },
    { op: 'label', target: 'halt' }, { op: 'cli' }, { op: 'hlt' }, { op: 'jmp', target: 'halt' },
    { op: 'label', target: 'end' },
  ];
  return assemble(code, 0x100000).code;
}

async function bootMedian(kernel: Uint8Array, until?: string): Promise<{ wall: number; instr: number; last: BootResult }> {
  const walls: number[] = [], instrs: number[] = [];
  let last!: BootResult;
  for (let i = 0; i < RUNS; i++) {
    last = await boot({ kernel, until, timeoutMs: 20000, cmdline: 'poweroff' });
    if (!last.reached && last.exitCode === undefined) throw new Error(`bench: boot did not finish (${last.reason}): ${last.log.slice(-300)}`);
    walls.push(last.wallMs); instrs.push(last.instructions);
  }
  return { wall: median(walls), instr: median(instrs), last };
}

/** Instructions between marks (2k-1, 2k) for each k. */
function markDeltas(r: BootResult): Map<number, number> {
  const at = new Map(r.marks.map((m) => [m.value, m.instructions]));
  const out = new Map<number, number>();
  for (const [v, n] of at) if (v % 2 === 1 && at.has(v + 1)) out.set((v + 1) / 2, at.get(v + 1)! - n);
  return out;
}

function gccReference(): { bin: string } | { skip: string } {
  try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); } catch { return { skip: 'gcc not installed' }; }
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const elf = join(dir, 'k.elf'), bin = join(dir, 'k.bin');
  try {
    execFileSync('gcc', ['-O2', '-m32', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-nostdlib', '-static',
      `-Wl,-T,${join(ROOT, 'scripts/bench/kernels.ld')}`, '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments',
      '-o', elf, join(ROOT, 'scripts/bench/kernels.c')], { stdio: 'pipe' });
    execFileSync('objcopy', ['-O', 'binary', elf, bin]);
  } catch (e) { return { skip: `gcc -m32 failed: ${(e as Error).message.split('\n')[0]}` }; }
  return { bin };
}

async function main() {
  console.log('== build');
  const t0 = performance.now();
  const built = await buildKernel();
  const buildMs = performance.now() - t0;
  console.log(`pipeline (asc + wasm2x86 + link): ${fmtMs(buildMs)}  [${Object.entries(built.times).map(([k, v]) => `${k} ${fmtMs(v)}`).join(', ')}]`);
  const floor = floorImage();
  console.log(`ntoskrnl.bin: ${built.kernelImage.length} bytes; floor image: ${floor.length} bytes (${ratio(built.kernelImage.length, floor.length)})`);

  console.log('== boot (median of %d)', RUNS);
  const k = await bootMedian(built.kernelImage, 'ke: idle loop');
  const f = await bootMedian(floor, 'ke: floor');
  console.log(`boot to "ke: idle loop": ${fmtMs(k.wall)}, ${fmtM(k.instr)} guest instructions`);
  console.log(`floor (one serial line): ${fmtMs(f.wall)}, ${fmtM(f.instr)} guest instructions`);
  console.log(`ratio kernel/floor: wall ${ratio(k.wall, f.wall)}, instructions ${ratio(k.instr, f.instr)}`);

  console.log('== translator vs gcc -O2 -m32 (guest instructions in the measured function)');
  const names: Array<[number, string, string]> = [[1, 'crc32', 'crc32 16 KiB'], [2, 'copy', 'word copy 16 KiB'], [3, 'sort', 'insertion sort 600 ints'], [4, 'hash', 'fnv1a32 8 KiB']];
  const ours = new Map<number, number>();
  for (const [i, prog] of names) {
    const p = await buildTestProgram(join(ROOT, 'test/wasm2x86/programs', `${prog}.ts`));
    const r = await boot({ kernel: p.image, timeoutMs: 60000, disableJit: true });
    const d = markDeltas(r).get(1);
    if (d === undefined) throw new Error(`bench: ${prog} gave no marks (${r.reason}) ${r.log.slice(-200)}`);
    ours.set(i, d);
  }
  const ref = gccReference();
  let gcc: Map<number, number> | undefined;
  if ('skip' in ref) console.log(`(gcc reference skipped: ${ref.skip})`);
  else {
    const r = await boot({ kernel: new Uint8Array(readFileSync(ref.bin)), timeoutMs: 60000, disableJit: true });
    gcc = markDeltas(r);
  }
  const ratios: number[] = [];
  for (const [i, , label] of names) {
    const o = ours.get(i)!, g = gcc?.get(i);
    if (g) ratios.push(o / g);
    console.log(`${label.padEnd(26)} wasm2x86 ${String(o).padStart(9)}   gcc -O2 ${g === undefined ? '      n/a' : String(g).padStart(9)}   ratio ${g ? ratio(o, g) : 'n/a'}`);
  }
  if (ratios.length) console.log(`geometric mean ratio: ${Math.exp(ratios.reduce((a, b) => a + Math.log(b), 0) / ratios.length).toFixed(2)}x`);
}

main().catch((e) => { console.error(`bench: FAILED: ${e.stack ?? e}`); process.exit(1); });
