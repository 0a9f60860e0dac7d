// The order test files start in: the longest first (two workers finish
// together instead of one running a 3-minute file alone at the end). A file's
// length is its duration in vitest's results cache when this checkout has run
// it before, else its figure in test/durations.json (seconds, from a whole
// run; `npx tsx scripts/durations.ts` rewrites it), else 10 s.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const UNKNOWN_S = 10;

function table(root: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(join(root, 'test', 'durations.json'), 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const known = table(root);
    const cache = this.ctx.cache;
    const seconds = (spec: TestSpecification): number => {
      const rel = relative(root, spec.moduleId).split('\\').join('/');
      const cached = cache.getFileTestResults(`${spec.project.name}:${rel}`);
      if (cached && cached.duration > 0) return cached.duration / 1000;
      return known[rel] ?? UNKNOWN_S;
    };
    const withTime = files.map((spec) => ({ spec, s: seconds(spec) }));
    withTime.sort((a, b) => b.s - a.s || (a.spec.moduleId < b.spec.moduleId ? -1 : 1));
    return withTime.map((x) => x.spec);
  }
}
