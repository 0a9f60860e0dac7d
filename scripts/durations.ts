// Rewrites test/durations.json (the order test/sequencer.ts starts test files
// in, for a checkout that has no vitest results cache of its own, as CI's).
//
//   npx vitest run                      (the whole suite), then
//   npx tsx scripts/durations.ts        from vitest's results cache: each file's
//                                       duration as the sequencer reads it, its
//                                       beforeAll hooks included
//   npx tsx scripts/durations.ts REPORT.json   from a `--reporter=json` report
//                                       (its times leave out beforeAll: a file that
//                                       boots in beforeAll looks almost free)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const seconds = (ms: number) => Math.max(0.1, Math.round(ms / 100) / 10);
const out: Record<string, number> = {};
const report = process.argv[2];
if (report) {
  const json = JSON.parse(readFileSync(report, 'utf8')) as { testResults: Array<{ name: string; startTime: number; endTime: number }> };
  for (const r of json.testResults) out[relative(ROOT, r.name).split('\\').join('/')] = seconds(r.endTime - r.startTime);
} else {
  // node_modules/.vite/vitest/<hash>/results.json: [":test/x.test.ts", { duration, failed }] pairs
  const cacheDir = join(ROOT, 'node_modules', '.vite', 'vitest');
  let dirs: string[] = [];
  try { dirs = readdirSync(cacheDir); } catch { /* no cache */ }
  for (const dir of dirs) {
    let results: Array<[string, { duration?: number }]> = [];
    try { results = (JSON.parse(readFileSync(join(cacheDir, dir, 'results.json'), 'utf8')) as { results: typeof results }).results; } catch { continue; }
    for (const [key, r] of results) if (r.duration) out[key.slice(key.indexOf(':') + 1)] = seconds(r.duration);
  }
  if (Object.keys(out).length === 0) { console.error('durations: no vitest results cache; run the suite first, or give a --reporter=json report'); process.exit(2); }
}
const sorted = Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
writeFileSync(join(ROOT, 'test', 'durations.json'), JSON.stringify(sorted, null, 1) + '\n');
console.log(`test/durations.json: ${Object.keys(sorted).length} files`);
