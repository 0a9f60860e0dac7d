// npx tsx test/spec/cli.ts [name | path ...]: runs spec scripts from wasm-spec/
// (all of them without arguments), or any .wast file given by a path with a
// slash (test/spec/regress/...), and prints each one's counts and failures.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runWast, summarize } from './runner.ts';
import { SPEC_DIR } from './files.ts';

const names = process.argv.slice(2);
const files = names.length ? names.map((n) => (n.endsWith('.wast') ? n : `${n}.wast`)) : readdirSync(SPEC_DIR).filter((f) => f.endsWith('.wast')).sort();
let failed = 0;
for (const f of files) {
  const r = await runWast(f.includes('/') ? resolve(f) : join(SPEC_DIR, f));
  console.log(summarize(r) + ` [${r.wallMs.toFixed(0)} ms]`);
  for (const m of r.modules.skipped) console.log(`  module at line ${m.line} skipped: ${m.reason}`);
  for (const o of r.failed.slice(0, 30)) console.log(`  FAIL line ${o.line}: ${o.command}: ${o.detail}`);
  if (r.failed.length > 30) console.log(`  ... ${r.failed.length - 30} more`);
  failed += r.failed.length;
}
process.exitCode = failed ? 1 : 0;
