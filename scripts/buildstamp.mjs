// `npm run build` starts here: a rebuild with nothing changed is skipped.
//
// The build's inputs are every file under kernel/, scripts/, images/ and
// smss/ plus package-lock.json and tsconfig.json (the toolchain's versions).
// A successful plain build (scripts/build.ts, no options) writes their
// content hash to build/cache/build.stamp; the next `npm run build` without
// options hashes them again (plain Node, no TypeScript loader: about 0.1 s)
// and, when the hash is the same and build/ntoskrnl.bin and build/disk.img
// are there, says so and stops. Anything else (an option such as --chaos or
// --dump, a changed file, a missing output, BUILD_STAMP=0) runs the build.
//
// Plain JavaScript on purpose: loading tsx and the translator's modules
// alone takes longer than the whole check. A build runs in this process
// (scripts/tsx.mjs, then scripts/build.ts).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['kernel', 'scripts', 'images', 'smss', 'package-lock.json', 'tsconfig.json'];
const OUTPUTS = ['build/ntoskrnl.bin', 'build/disk.img'];
const STAMP = join(ROOT, 'build', 'cache', 'build.stamp');

/** Files under `path` (relative to the root), sorted; dot files (editor and bench copies) left out. */
function files(path) {
  const full = join(ROOT, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [full];
  return readdirSync(full).filter((n) => !n.startsWith('.')).sort().flatMap((n) => files(join(path, n)));
}

/** The content hash of every build input (names and bytes). */
export function buildInputsHash() {
  const hash = createHash('sha256');
  for (const f of INPUTS.flatMap(files)) hash.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  return hash.digest('hex');
}

/** Called by scripts/build.ts after a plain build succeeded, with the hash taken before it started. */
export function writeBuildStamp(hash) {
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(`${STAMP}.${process.pid}`, hash);
  renameSync(`${STAMP}.${process.pid}`, STAMP);
}

function upToDate(hash) {
  if (process.env.BUILD_STAMP === '0') return false;
  if (!OUTPUTS.every((o) => existsSync(join(ROOT, o)))) return false;
  try { return readFileSync(STAMP, 'utf8') === hash; } catch { return false; }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const t0 = performance.now();
  if (args.length === 0) {
    const hash = buildInputsHash();
    if (upToDate(hash)) {
      console.error(`build: nothing changed (inputs ${hash.slice(0, 12)}, checked in ${((performance.now() - t0) / 1000).toFixed(2)} s): build/ntoskrnl.bin and build/disk.img are current`);
      process.exit(0);
    }
  }
  // The build in this process: scripts/tsx.mjs (binaryen first, then tsx), then
  // scripts/build.ts, which runs its main() when it is the process's script.
  // Not awaited: build.ts imports this module, which must have finished evaluating.
  const build = join(ROOT, 'scripts', 'build.ts');
  process.argv = [process.argv[0], build, ...args];
  import('./tsx.mjs').then(() => import(pathToFileURL(build).href)).catch((e) => { console.error(`build: FAILED: ${e.message}`); process.exit(1); });
}
