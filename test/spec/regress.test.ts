// Regression scripts (test/spec/regress/*.wast): each a minimized translator
// failure (most found by the translator fuzzer, `npm run fuzz -- translator`),
// in the spec suite's format. Every script's expectations hold in V8, and every
// assertion passes as x86 in v86; a script names the bug it keeps fixed.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWast } from './runner.ts';
import { runInV8 } from './v8.ts';

const DIR = join(import.meta.dirname, 'regress');
const SCRIPTS = readdirSync(DIR).filter((f) => f.endsWith('.wast')).sort();

describe('translator regression scripts', () => {
  it('exist', () => expect(SCRIPTS.length).toBeGreaterThanOrEqual(4));
  for (const f of SCRIPTS) {
    it(f, async () => {
      const v8 = await runInV8(join(DIR, f));
      expect(v8.failed).toEqual([]);
      expect(v8.passed).toBeGreaterThan(0);
      const r = await runWast(join(DIR, f));
      expect(r.failed.map((o) => `line ${o.line}: ${o.command}: ${o.detail}`)).toEqual([]);
      expect([...r.skipped.keys()]).toEqual([]);
      // Every assertion ran: the V8 count plus one per module instantiated.
      expect(r.passed).toBeGreaterThanOrEqual(v8.passed);
    }, 60000);
  }
});
