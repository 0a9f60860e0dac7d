// Rewrites test/durations.json (the order test/sequencer.ts starts test files
// in) from a vitest JSON report:
//   npx vitest run --reporter=json --outputFile=/tmp/report.json
//   npx tsx scripts/durations.ts /tmp/report.json
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './build.ts';

const report = process.argv[2];
if (!report) {
  console.error('usage: npx tsx scripts/durations.ts REPORT.json');
  process.exit(2);
}
const json = JSON.parse(readFileSync(report, 'utf8')) as { testResults: Array<{ name: string; startTime: number; endTime: number }> };
const out: Record<string, number> = {};
for (const r of json.testResults) {
  const rel = relative(ROOT, r.name).split('\\').join('/');
  out[rel] = Math.max(0.1, Math.round((r.endTime - r.startTime) / 100) / 10);
}
const sorted = Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
writeFileSync(join(ROOT, 'test', 'durations.json'), JSON.stringify(sorted, null, 1) + '\n');
console.log(`test/durations.json: ${Object.keys(sorted).length} files`);
