import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildWeb } from '../../emulator/browser/build.ts';

it('bundles the browser page with v86 and its wasm', async () => {
  const out = mkdtempSync(join(tmpdir(), 'web-test-'));
  try {
    await buildWeb(out);
    for (const f of ['index.html', 'main.js', 'v86.wasm']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('src="main.js"');
    expect(readFileSync(join(out, 'main.js'), 'utf8')).toContain('serial0-output-byte');
    for (const f of ["page.css", "xterm.css"]) expect(existsSync(join(out, f)), f).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
