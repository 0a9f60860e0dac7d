// A guest-instruction profiler for the kernel paths the bench measures:
// boots a kernel carrying a bench program in QEMU, one instruction per
// translation block with every block's execution logged (`-d exec,nochain
// -singlestep`), and counts executed instructions per kernel function. Two
// runs (ITERATIONS = 0 and = N) are subtracted, so what is printed is the cost
// of one iteration of the program's loop, function by function.
//
//   npx tsx scripts/bench/profile.ts syscall [N]     (N defaults to 200)
//   npx tsx scripts/bench/profile.ts yield yield     (two programs, both run)
//   npx tsx scripts/bench/profile.ts marks [DISK]    (the boot with build/disk.img or DISK
//       attached and "benchmarks" on its command line: the kernel's functions
//       between each pair of KeBenchmarkMark calls, i.e. the mount (0x12-0x13)
//       and the SYSTEM hive load (0x10-0x11); the run stops after MARKS calls
//       (env, default 4))
//
// Instruction counts agree with v86's counter as long as both count a `rep`
// string instruction the same way (QEMU logs one block per iteration: a `rep
// movsd` of 4 dwords shows as 4 here, as 1 in v86).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildKernel, ROOT } from '../build.ts';
import { buildUserProgram } from '../userprog.ts';

let copies = 0;
async function program(name: string, n: number): Promise<Uint8Array> {
  const src = join(ROOT, 'scripts/bench/programs', `${name}.ts`);
  // A copy per call: the same program may be built twice at once (`yield yield`).
  const copy = join(ROOT, 'scripts/bench/programs', `.${name}-prof-${n}-${copies++}.ts`);
  writeFileSync(copy, readFileSync(src, 'utf8').replace(/const ITERATIONS: u32 = \d+;/, `const ITERATIONS: u32 = ${n};`));
  try { return await buildUserProgram(copy); } finally { unlinkSync(copy); }
}

/** Function start addresses, sorted, with names from the wat (f<index> -> $name). */
function symbols(labels: Map<string, number>, wat: string): Array<[number, string]> {
  const names = new Map<string, string>();
  let index = 0;
  for (const line of wat.split('\n')) {
    if (/^ \(import "[^"]+" "[^"]+" \(func/.test(line)) index++;
    else { const m = /^ \(func \$(\S+)/.exec(line); if (m) { names.set(`f${index}`, m[1]); index++; } }
  }
  const out: Array<[number, string]> = [];
  for (const [label, addr] of labels) {
    if (label.includes('$')) continue; // local labels inside runtime routines
    out.push([addr, names.get(label) ?? label]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** Per-address execution counts of one QEMU run to power-off (or, with `window`, one map per stretch between mark calls). */
async function trace(image: Uint8Array, dir: string, tag: string,
  window?: { disk: string; mark: number; marks: number }): Promise<Map<number, number>[]> {
  const kernel = join(dir, `${tag}.bin`), fifo = join(dir, `${tag}.fifo`);
  writeFileSync(kernel, image);
  execFileSync('mkfifo', [fifo]);
  const extra = window ? ['-drive', `file=${window.disk},format=raw,if=ide,snapshot=on`] : [];
  const q = spawn('qemu-system-i386', ['-kernel', kernel, '-serial', window ? `file:${join(dir, 'serial.log')}` : 'null', '-display', 'none', '-append', window ? 'poweroff benchmarks' : 'poweroff',
    '-device', `isa-debug-exit,iobase=0xf4,iosize=${window ? '0x01' : '0x04'}`, '-no-reboot', '-m', '64', ...extra, '-singlestep', '-icount', 'shift=0,sleep=off', '-d', 'exec,nochain', '-D', fifo], { stdio: 'ignore' });
  const exited = new Promise((r) => q.on('exit', r));
  const maps: Map<number, number>[] = [new Map()];
  let counts = maps[0], seen = 0;
  const rl = createInterface({ input: (await import('node:fs')).createReadStream(fifo) });
  for await (const line of rl) {
    const m = /\[[0-9a-f]+\/([0-9a-f]+)\//.exec(line);
    if (!m) continue;
    const pc = parseInt(m[1], 16);
    if (window && pc === window.mark) {
      seen++;
      maps.push(counts = new Map());
      if (seen >= window.marks) { q.kill(); break; }
    }
    counts.set(pc, (counts.get(pc) ?? 0) + 1);
  }
  await exited;
  return maps;
}

/** `profile.ts marks [DISK]`: the kernel's functions between the KeBenchmarkMark calls of one boot. */
async function marks(disk: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'profile-'));
  try {
    const built = await buildKernel({ write: false });
    const syms = symbols(built.labels!, built.wat!);
    const mark = syms.find(([, n]) => /KeBenchmarkMark$/.test(n));
    if (!mark) throw new Error('no KeBenchmarkMark in the kernel');
    const maps = await trace(built.kernelImage, dir, 'marks', { disk, mark: mark[0], marks: Number(process.env.MARKS ?? 4) });
    const owner = ownerOf(syms);
    console.log(`${maps.length - 1} mark calls; serial log:\n${readFileSync(join(dir, 'serial.log'), 'latin1').split('\n').slice(-8).join('\n')}`);
    for (let w = 1; w + 1 < maps.length + 1 && w < maps.length; w += 2) {
      const per = new Map<string, number>();
      for (const [pc, c] of maps[w]) per.set(owner(pc), (per.get(owner(pc)) ?? 0) + c);
      const rows = [...per].sort((a, b) => b[1] - a[1]);
      const total = rows.reduce((a, [, c]) => a + c, 0);
      console.log(`between mark call ${w} and ${w + 1} (QEMU, one instruction per block): ${total} instructions`);
      for (const [name, c] of rows) if (c * 200 >= total) console.log(`${String(c).padStart(10)}  ${name}`);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

function ownerOf(syms: Array<[number, string]>): (pc: number) => string {
  return (pc: number): string => {
    if (pc < 0x80000000) return pc >= 0x7C900000 && pc < 0x7D000000 ? 'ntdll.dll' : pc >= 0x7FFE0000 && pc < 0x7FFF0000 ? 'SharedUserData' : 'user';
    let lo = 0, hi = syms.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (syms[mid][0] <= pc) lo = mid; else hi = mid - 1; }
    return syms[lo][1];
  };
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === 'marks') { await marks(args[1] ?? join(ROOT, 'build/disk.img')); return; }
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 200);
  const names = args.filter((a) => !/^\d+$/.test(a));
  if (names.length === 0) names.push('syscall');
  const dir = mkdtempSync(join(tmpdir(), 'profile-'));
  try {
    const runs = await Promise.all([0, n].map(async (k) => {
      const modules = await Promise.all(names.map(async (p, i) => ({ name: `${p}${i}.exe`, bytes: await program(p, k) })));
      const built = await buildKernel({ bootModules: modules, write: false });
      return { built, counts: (await trace(built.kernelImage, dir, `run${k}`))[0] };
    }));
    const syms = symbols(runs[1].built.labels!, runs[1].built.wat!);
    const owner = ownerOf(syms);
    const per = new Map<string, number>();
    for (const [k, sign] of [[1, 1], [0, -1]] as const) {
      for (const [pc, c] of runs[k].counts) per.set(owner(pc), (per.get(owner(pc)) ?? 0) + sign * c);
    }
    const rows = [...per].filter(([, c]) => c !== 0).sort((a, b) => b[1] - a[1]);
    let total = 0;
    for (const [, c] of rows) total += c;
    console.log(`per iteration of ${names.join(' + ')} (difference of ${n} and 0 iterations; QEMU one instruction per block):`);
    for (const [name, c] of rows) if (Math.abs(c / n) >= 0.05) console.log(`${(c / n).toFixed(2).padStart(10)}  ${name}`);
    console.log(`${(total / n).toFixed(2).padStart(10)}  total`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

main().catch((e) => { console.error(e); process.exit(1); });
