// The MinGW-w64 test programs (test/mingw/*.c): native NT programs built by
// a standard Windows toolchain, linked against MinGW's own libntdll.a import
// library, which run unmodified on our kernel and ntdll.dll
// (test/boot/mingw.test.ts).
//
//   i686-w64-mingw32-gcc -nostdlib -ffreestanding -O2 -Wl,--subsystem,native
//     -e _NtProcessStartup@4 prog.c -lntdll -o prog.exe
//
// CLI: npx tsx test/mingw/build.ts [OUTDIR]   (writes OUTDIR/NAME.exe; default build/mingw)

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MINGW_DIR = dirname(fileURLToPath(import.meta.url));
export const MINGW_GCC = 'i686-w64-mingw32-gcc';

/** The compiler command line for one program (after the compiler's name). */
export function mingwArgs(source: string, out: string): string[] {
  return ['-nostdlib', '-ffreestanding', '-O2', '-Wall', '-Wl,--subsystem,native', '-e', '_NtProcessStartup@4',
    source, '-lntdll', '-o', out];
}

/** The program sources: NAME.c in test/mingw, as NAME.exe. */
export function mingwSources(): string[] {
  return readdirSync(MINGW_DIR).filter((n) => n.endsWith('.c')).sort();
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }).status === 0;
}

/**
 * Every test/mingw/*.c compiled (in a temporary directory) into NAME.exe ->
 * bytes; or, without the compiler on PATH, the reason.
 */
export function mingwPrograms(): { images: Map<string, Uint8Array> } | { missing: string } {
  if (!onPath(MINGW_GCC)) return { missing: `${MINGW_GCC} not on PATH (apt-get install gcc-mingw-w64-i686)` };
  const dir = mkdtempSync(join(tmpdir(), 'mingw-'));
  try {
    const images = new Map<string, Uint8Array>();
    for (const source of mingwSources()) {
      const exe = source.replace(/\.c$/, '.exe');
      try {
        execFileSync(MINGW_GCC, mingwArgs(join(MINGW_DIR, source), join(dir, exe)), { cwd: dir, stdio: 'pipe' });
      } catch (e) {
        const err = e as { stderr?: Buffer };
        throw new Error(`${MINGW_GCC} ${source}: ${err.stderr?.toString() ?? e}`);
      }
      images.set(exe, new Uint8Array(readFileSync(join(dir, exe))));
    }
    return { images };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && /test[\\/]mingw[\\/]build\.ts$/.test(process.argv[1])) {
  const out = resolve(process.argv[2] ?? join(MINGW_DIR, '../../build/mingw'));
  const r = mingwPrograms();
  if ('missing' in r) { console.error(`skipped: ${r.missing}`); process.exit(1); }
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of r.images) { writeFileSync(join(out, name), bytes); console.log(`${join(out, name)}: ${bytes.length} bytes`); }
}
