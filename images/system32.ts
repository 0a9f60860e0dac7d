// The programs of \Windows\System32, built from AssemblyScript into PE32
// images by scripts/pe/link.ts (ntdll.dll by scripts/pe/ntdll.ts), written to
// build/system32/ and put on every disk image the build makes.
//
//   ntdll.dll   images/system32/ntdll/   the native API: service stubs, Rtl, the loader
//   smss.exe    smss/                    the Session Manager
//   autochk.exe images/system32/autochk/ the FAT checker smss runs from BootExecute
//   csrss.exe   images/system32/csrss/   the Windows subsystem's server (ApiPort, SbApiPort, hard errors)
//   wininit.exe, services.exe, lsass.exe, eventlog.exe, winlogon.exe, defshell.exe
//               images/system32/NAME/ (with native/, their shared floor): session 0's
//               initialization, the service control manager, the local security
//               authority, the event log service, the logon process, the default shell
//   nsh.exe     images/system32/nsh/     the native command shell (winlogon's Shell)
//   win32k.sys  images/system32/win32k/  the session text screen and keyboard (kernel mode)
//
// Each image is kept under build/system32 with a fingerprint of everything
// it is made from (its sources, the linker, the translator, the service
// list): an unchanged program is not linked again.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { buildNtdll } from '../scripts/pe/ntdll.ts';
import { buildUserImage } from '../scripts/pe/link.ts';
import { writeStatusNames } from '../scripts/statusnames.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface SystemImage {
  /** File name in System32. */
  name: string;
  /** The directories (from the repository root) its sources are in. */
  sources: string[];
  build: () => Promise<Uint8Array>;
}

/** What the linker output depends on besides a program's own sources. */
const TOOLCHAIN = ['scripts/pe', 'scripts/wasm2x86', 'scripts/services.ts', 'scripts/userprog.ts', 'scripts/asc.ts', 'node_modules/assemblyscript/package.json'];

export const SYSTEM32: SystemImage[] = [
  { name: 'ntdll.dll', sources: ['images/system32/ntdll'], build: async () => (await buildNtdll()).bytes },
  { name: 'smss.exe', sources: ['smss', 'kernel/sdk'], build: async () => (await buildUserImage('smss/smss.ts', { name: 'smss.exe' })).bytes },
  { name: 'autochk.exe', sources: ['images/system32/autochk'], build: async () => (await buildUserImage('images/system32/autochk/autochk.ts', { name: 'autochk.exe' })).bytes },
  { name: 'csrss.exe', sources: ['images/system32/csrss', 'smss/ntapi.ts', 'kernel/sdk'], build: async () => (await buildUserImage('images/system32/csrss/csrss.ts', { name: 'csrss.exe' })).bytes },
  ...['wininit', 'services', 'lsass', 'eventlog', 'winlogon', 'defshell'].map((n) => ({
    name: `${n}.exe`,
    sources: [`images/system32/${n}`, 'images/system32/native', 'kernel/sdk'],
    build: async () => (await buildUserImage(`images/system32/${n}/${n}.ts`, { name: `${n}.exe` })).bytes,
  })),
  // The shell gives its heap back after each command (nsh/heap.ts); 8 pages bound one command's use.
  { name: 'nsh.exe', sources: ['images/system32/nsh', 'images/system32/native', 'kernel/sdk'], build: async () => (await buildUserImage('images/system32/nsh/nsh.ts', { name: 'nsh.exe', heapPages: 8 })).bytes },
  { name: 'win32k.sys', sources: ['images/system32/win32k', 'kernel/sdk/ntuser.ts', 'kernel/sdk/intrinsics.ts'], build: async () => (await buildUserImage('images/system32/win32k/win32k.ts', { name: 'win32k.sys', kind: 'sys', heapPages: 1 })).bytes },
];

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [full];
  return readdirSync(full).sort().flatMap((n) => files(join(path, n))).filter((f) => !f.endsWith('.md'));
}

function fingerprint(image: SystemImage): string {
  const hash = createHash('sha256');
  for (const f of [...image.sources, ...TOOLCHAIN].flatMap(files)) hash.update(relative(ROOT, f)).update(readFileSync(f));
  return hash.digest('hex').slice(0, 20);
}

/** build/system32/NAME, the image's file; NAME.fingerprint beside it says what it was made from. */
const SYSTEM32_DIR = join(ROOT, 'build', 'system32');

function systemImage(name: string): SystemImage {
  const image = SYSTEM32.find((i) => i.name === name);
  if (!image) throw new Error(`no System32 image ${name}`);
  return image;
}

/** The image's bytes when build/system32 holds them for `want`'s fingerprint. */
function builtImage(name: string, want: string): Uint8Array | undefined {
  const path = join(SYSTEM32_DIR, name);
  try {
    if (readFileSync(`${path}.fingerprint`, 'utf8') === want) return new Uint8Array(readFileSync(path));
  } catch { /* not built yet */ }
  return undefined;
}

/** One System32 image, built when missing or out of date (build/system32/NAME). */
export async function buildSystemImage(name: string, log?: (line: string) => void): Promise<Uint8Array> {
  const image = systemImage(name);
  const path = join(SYSTEM32_DIR, name);
  const want = fingerprint(image);
  let bytes = builtImage(name, want);
  if (!bytes) {
    mkdirSync(SYSTEM32_DIR, { recursive: true });
    const t0 = performance.now();
    bytes = await image.build();
    // Written under a temporary name and renamed: parallel test workers and build threads may build at once.
    writeFileSync(`${path}.${process.pid}.${threadId}`, bytes);
    renameSync(`${path}.${process.pid}.${threadId}`, path);
    writeFileSync(`${path}.fingerprint.${process.pid}.${threadId}`, want);
    renameSync(`${path}.fingerprint.${process.pid}.${threadId}`, `${path}.fingerprint`);
    log?.(`build: system32\\${image.name} ${bytes.length} bytes (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return bytes;
}

/**
 * About how many seconds each image's AssemblyScript compile and link take
 * from clean (`npm run build` on 2026-12-08, one after another at load 3): a
 * parallel build (scripts/buildpool.ts) starts the longest first.
 */
const BUILD_SECONDS: Record<string, number> = {
  'smss.exe': 3.8, 'ntdll.dll': 3.6, 'autochk.exe': 3.2, 'nsh.exe': 3.2, 'csrss.exe': 2.2,
  'lsass.exe': 0.9, 'services.exe': 0.8, 'winlogon.exe': 0.8, 'win32k.sys': 0.7, 'wininit.exe': 0.6,
};

/** The images missing or out of date in build/system32, the longest to build first (for scripts/buildpool.ts). */
export function staleSystemImages(): string[] {
  // the generated status names first: they are part of some images' fingerprints
  writeStatusNames();
  return SYSTEM32.filter((image) => !builtImage(image.name, fingerprint(image)))
    .map((image) => image.name)
    .sort((a, b) => (BUILD_SECONDS[b] ?? 0.5) - (BUILD_SECONDS[a] ?? 0.5));
}

/**
 * Every System32 image: image name -> bytes, built when missing or out of
 * date (build/system32/NAME, with NAME.fingerprint beside it), one after another.
 */
export async function buildSystem32(log?: (line: string) => void): Promise<Map<string, Uint8Array>> {
  if (writeStatusNames()) log?.('build: regenerated images/system32/native/status.ts from kernel/sdk/ntstatus.ts');
  const out = new Map<string, Uint8Array>();
  for (const image of SYSTEM32) out.set(image.name, await buildSystemImage(image.name, log));
  return out;
}

/** The System32 images as disk files (\Windows\System32\NAME). */
export async function system32Files(log?: (line: string) => void): Promise<Map<string, Uint8Array>> {
  const images = await buildSystem32(log);
  return new Map([...images].map(([name, bytes]) => [`\\Windows\\System32\\${name}`, bytes]));
}
