// npm run fuzz -- <fuzzer> [options]: the project's fuzzers, by name.
//
//   translator [--seed N] [--modules N] [--batch N] [--minimize N] [--out DIR] [--no-bulk]
//       random valid modules, Node's WebAssembly against wasm2x86's x86 in v86
//       (scripts/fuzz/translator.ts); minimized failures go to DIR
//       (default build/fuzz) as .wast scripts.
//
// Fuzzers of the kernel's services and on-disk formats register here too.
// Exit code 0: no failure; 1: failures (listed); 2: usage.

import { join } from 'node:path';
import { fuzzTranslator } from './fuzz/translator.ts';

const ROOT = join(import.meta.dirname, '..');

interface Fuzzer { usage: string; run(args: Map<string, string>): Promise<number> }

const FUZZERS: Record<string, Fuzzer> = {
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
  const [name, ...rest] = process.argv.slice(2);
  const fuzzer = name ? FUZZERS[name] : undefined;
  if (!fuzzer) {
    console.error(`usage: npm run fuzz -- <fuzzer> [options]\n${Object.values(FUZZERS).map((f) => '  ' + f.usage).join('\n')}`);
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
