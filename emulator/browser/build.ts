// Bundles the browser page into a directory that any static file server can
// serve: index.html, page.css, main.js (v86, xterm, the log library and the
// image builder bundled by esbuild), xterm.css, v86.wasm (+ fallback), and
// the kernel and disk images if they exist. Nothing is fetched from elsewhere.
//
//   npm run serve                                  (builds and serves it)
//   npx tsx emulator/browser/build.ts [OUTDIR]     (default build/web)
//   then any static server, e.g.  python3 -m http.server -d build/web

import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

export async function buildWeb(outDir = join(ROOT, 'build', 'web'), images: { kernel?: string; disk?: string } = {}): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(HERE, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(outDir, 'main.js'),
    // libv86 only reaches these under Node, behind runtime checks
    external: ['node:*', 'fs', 'crypto', 'perf_hooks'],
    logLevel: 'warning',
  });
  copyFileSync(join(HERE, 'index.html'), join(outDir, 'index.html'));
  copyFileSync(join(HERE, 'page.css'), join(outDir, 'page.css'));
  copyFileSync(createRequire(import.meta.url).resolve('@xterm/xterm/css/xterm.css'), join(outDir, 'xterm.css'));
  const wasmDir = dirname(createRequire(import.meta.url).resolve('v86/build/v86.wasm'));
  for (const f of ['v86.wasm', 'v86-fallback.wasm']) copyFileSync(join(wasmDir, f), join(outDir, f));
  for (const [f, given] of [['ntoskrnl.bin', images.kernel], ['disk.img', images.disk]] as const) {
    const src = given ?? join(ROOT, 'build', f);
    if (existsSync(src) && resolve(src) !== resolve(join(outDir, f))) copyFileSync(src, join(outDir, f));
  }
  return outDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildWeb(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stderr.write(`web page in ${out}\n`);
}
