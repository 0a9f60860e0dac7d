// npm run fuzz -- [fuzzer] [options]: the project's fuzzers, by name (default: services).
//
//   services [--seed N] [--calls N] [--boots N] [--jobs N] [--progress N]
//       the ring-3 services fuzzer (test/boot/programs/svcfuzz.ts, scripts/fuzz/services.ts):
//       --calls in all (default 20000), split over --boots boots (default: one per 50000
//       calls) of seeds seed, seed+1, ..., in --jobs worker processes (default 2).
//       `npm run fuzz -- --calls 1000000` is the long run.
//   hives | fat | images | autochk | formats [--seed N] [--boots N]
//       mutated regf hives, FAT volumes (to the mount, and to autochk), PE images
//       (scripts/fuzz/formats.ts), one boot per seed (seed, seed+1, ...); `formats` runs the four.
//   translator [--seed N] [--modules N] [--batch N] [--minimize N] [--out DIR] [--no-bulk]
//       random valid modules, Node's WebAssembly against wasm2x86's x86 in v86
//       (scripts/fuzz/translator.ts); minimized failures go to DIR
//       (default build/fuzz) as .wast scripts.
//
// Fuzzers of the kernel's services and on-disk formats register here too.
// Exit code 0: no failure; 1: failures (listed); 2: usage.

import { join } from 'node:path';
import { fuzzTranslator } from './fuzz/translator.ts';
import { fuzzServicesRun } from './fuzz/services.ts';
import { FORMAT_FUZZERS } from './fuzz/formats.ts';

const ROOT = join(import.meta.dirname, '..');

interface Fuzzer { usage: string; run(args: Map<string, string>): Promise<number> }

const FUZZERS: Record<string, Fuzzer> = {
  services: {
    usage: '[services] [--seed N] [--calls N] [--boots N] [--jobs N] [--progress N]   (the default fuzzer)',
    async run(args) {
      const seed = Number(args.get('seed') ?? Date.now() % 1000000);
      const calls = Number(args.get('calls') ?? 20000);
      const boots = Number(args.get('boots') ?? Math.max(1, Math.ceil(calls / 50000)));
      const jobs = Number(args.get('jobs') ?? 2);
      const perBoot = Math.ceil(calls / boots);
      const progress = Number(args.get('progress') ?? Math.min(10000, Math.max(1000, Math.floor(perBoot / 10))));
      if (![seed, calls, boots, jobs, progress].every((n) => Number.isInteger(n) && n >= 0) || boots < 1) { console.error('services: numbers expected'); return 2; }
      console.log(`[fuzz services] seed ${seed}: ${calls} calls in ${boots} boots of ${perBoot} (seeds ${seed}..${seed + boots - 1}), ${jobs} workers`);
      const r = await fuzzServicesRun({ seed, boots, calls: perBoot, jobs, progress, log: (s) => console.log(`[fuzz services] ${s}`) });
      const never = [...r.counts.values()].filter((c) => c.calls === 0).map((c) => c.name);
      const noSuccess = [...r.counts.values()].filter((c) => c.calls > 0 && c.ok === 0).map((c) => c.name);
      console.log(`[fuzz services] seed ${seed}: ${r.calls} calls, ${r.outcomes.length} boots, ${r.stops} bug checks, ${r.failures} failed boots, ` +
        `${r.outcomes.reduce((a, o) => a + o.stalls, 0)} stalls, ${r.seconds.toFixed(0)} s`);
      console.log(`[fuzz services] services called: ${[...r.counts.values()].filter((c) => c.calls > 0).length} of ${r.counts.size}` +
        (never.length ? `; never: ${never.join(', ')}` : '') + (noSuccess.length ? `; never succeeded: ${noSuccess.join(', ')}` : ''));
      if (args.has('counts')) for (const c of r.counts.values()) console.log(`  ${c.name.padEnd(32)} ${String(c.calls).padStart(8)} calls ${String(c.ok).padStart(7)} ok ${String(c.av).padStart(7)} access violations`);
      for (const o of r.outcomes.filter((x) => !x.ok)) console.log(`  seed ${o.seed}: ${o.what}${o.file ? ` (${o.file})` : ''}`);
      return r.failures ? 1 : 0;
    },
  },
  ...Object.fromEntries(['hives', 'fat', 'images', 'autochk', 'formats'].map((name) => [name, {
    usage: `${name} [--seed N] [--boots N]`,
    async run(args: Map<string, string>) {
      const seed = Number(args.get('seed') ?? Date.now() % 1000000);
      const boots = Number(args.get('boots') ?? 4);
      const kinds = name === 'formats' ? (['hives', 'fat', 'images', 'autochk'] as const) : [name as keyof typeof FORMAT_FUZZERS];
      let failed = 0, mutations = 0, runs = 0;
      const t0 = Date.now();
      for (const kind of kinds) {
        for (let i = 0; i < boots; i++) {
          const o = await FORMAT_FUZZERS[kind](seed + i);
          runs++; mutations += o.mutations;
          if (!o.ok) failed++;
          console.log(`[fuzz ${kind}] seed ${seed + i}: ${o.what} (${o.mutations} mutations, ${o.seconds.toFixed(0)} s)` +
            (o.ok ? '' : `\n  ${o.detail.join('\n  ')}\n  last lines:\n    ${o.last.join('\n    ')}${o.file ? `\n  log: ${o.file}` : ''}`));
        }
      }
      console.log(`[fuzz ${name}] seed ${seed}: ${runs} boots, ${mutations} mutations, ${failed} failed, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      return failed ? 1 : 0;
    },
  } satisfies Fuzzer])),
  translator: {
    usage: 'translator [--seed N] [--modules N] [--batch N] [--minimize N] [--out DIR] [--no-bulk]',
    async run(args) {
      const seed = Number(args.get('seed') ?? Date.now() % 1000000);
      const modules = Number(args.get('modules') ?? 200);
      const log = (s: string) => console.log(s);
      const r = await fuzzTranslator({
        seed, modules, batch: args.has('batch') ? Number(args.get('batch')) : undefined,
        minimize: args.has('minimize') ? Number(args.get('minimize')) : undefined,
        outDir: args.get('out') ?? join(ROOT, 'build/fuzz'), noBulk: args.has('no-bulk'), log,
      });
      console.log(`[fuzz translator] seed ${seed}: ${r.modules} modules, ${r.calls} calls, ${r.crashes} translator crashes, ` +
        `${r.disagreements} disagreements, ${r.invalid} invalid (generator), ${r.boots} boots, ${(r.ms / 1000).toFixed(1)} s`);
      for (const f of r.failures.slice(0, 20)) console.log(`  module ${f.index}: ${f.kind}: ${f.detail.slice(0, 200)}${f.file ? ` -> ${f.file}` : ''}`);
      return r.failures.length || r.invalid ? 1 : 0;
    },
  },
};

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  // No fuzzer named (the first argument an option, or nothing): the services fuzzer.
  const [name, ...rest] = argv.length === 0 || argv[0].startsWith('--') ? ['services', ...argv] : argv;
  const fuzzer = FUZZERS[name];
  if (!fuzzer) {
    console.error(`usage: npm run fuzz -- [fuzzer] [options]   (the fuzzer defaults to services)\n${Object.values(FUZZERS).map((f) => '  ' + f.usage).join('\n')}`);
    return 2;
  }
  const args = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) { console.error(`unexpected argument ${a}`); return 2; }
    const next = rest[i + 1];
    if (next !== undefined && !next.startsWith('--')) { args.set(a.slice(2), next); i++; } else args.set(a.slice(2), '');
  }
  return fuzzer.run(args);
}

process.exitCode = await main();
