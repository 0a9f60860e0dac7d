// `npm start`: boots the kernel in v86 and shows its serial log.
// Run with: npx tsx emulator/node/cli.ts [options]

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot, type BootResult } from './boot.ts';
import { formatStop, hex32 } from '../core/log.ts';
import { describeMarker } from '../core/monitor.ts';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS } from '../core/options.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_KERNEL = 'build/ntoskrnl.bin';
const DEFAULT_DISK = 'build/disk.img';

export const EXIT = {
  OK: 0,
  FAIL: 1, // timeout without the marker, guest exit code != 0, halt without the marker
  BUGCHECK: 2,
  CRASH: 3,
  USAGE: 4, // bad option, missing file, failed build
} as const;

const HELP = `Usage: npm start -- [options]
       npx tsx emulator/node/cli.ts [options]

Boots the multiboot kernel in v86 (no BIOS) and prints its COM1 log live.

Options:
  --kernel FILE      multiboot kernel image (default ${DEFAULT_KERNEL})
  --disk FILE        IDE primary master image (default ${DEFAULT_DISK} if it exists);
                     the file itself is never written (see --save-disk)
  --no-disk          boot without a disk
  --until TEXT       end the run with success once a serial line contains TEXT
  --timeout S        give up after S seconds (default ${DEFAULT_TIMEOUT_MS / 1000})
  --memory MB        guest RAM in MiB (default ${DEFAULT_MEMORY_MB})
  --cmdline TEXT     multiboot command line
  --save-disk FILE   after the run, write the disk image as the guest left it
  --build            run the build (npx tsx scripts/build.ts) first; this also
                     happens when the default kernel file is missing
  --quiet            do not echo the serial log (the summary is still printed)
  --help             show this text

The run ends at the first of: the --until marker; a bug check block
(*** STOP: ... and its name line); a guest write to port 0xF4 (exit code);
the guest halting with interrupts off (cli; hlt); an emulator crash; the timeout.
A one-line summary goes to stderr.

Exit codes:
  0  --until marker reached; or the guest wrote 0 to port 0xF4; or, without
     --until, the run ended (timeout or halt) after at least one serial line
     with no bug check and no crash
  1  timeout or halt without the marker (or with no serial output at all),
     or a nonzero value written to port 0xF4
  2  bug check (STOP code printed)
  3  emulator crash
  4  usage error, missing kernel, or failed build
`;

export interface CliOptions {
  kernel?: string;
  disk?: string;
  noDisk: boolean;
  until?: string;
  timeoutS: number;
  memoryMB: number;
  cmdline?: string;
  saveDisk?: string;
  build: boolean;
  quiet: boolean;
  help: boolean;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = {
    noDisk: false,
    timeoutS: DEFAULT_TIMEOUT_MS / 1000,
    memoryMB: DEFAULT_MEMORY_MB,
    build: false,
    quiet: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    const number = (): number => {
      const text = value();
      const n = Number(text);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${arg}: not a positive number: ${text}`);
      return n;
    };
    switch (arg) {
      case '--kernel': o.kernel = value(); break;
      case '--disk': o.disk = value(); break;
      case '--no-disk': o.noDisk = true; break;
      case '--until': o.until = value(); break;
      case '--timeout': o.timeoutS = number(); break;
      case '--memory':
        o.memoryMB = number();
        if (!Number.isInteger(o.memoryMB) || o.memoryMB < 2 || o.memoryMB > 2047) {
          throw new UsageError(`--memory: a whole number of MiB in 2..2047, got ${o.memoryMB}`);
        }
        break;
      case '--cmdline': o.cmdline = value(); break;
      case '--save-disk': o.saveDisk = value(); break;
      case '--build': o.build = true; break;
      case '--quiet': case '-q': o.quiet = true; break;
      case '--help': case '-h': o.help = true; break;
      default: throw new UsageError(`unknown option: ${argv[i]} (see --help)`);
    }
  }
  if (o.until === '') throw new UsageError('--until needs a non-empty text');
  return o;
}

/** The exit code for a finished run (see HELP). */
export function exitCodeFor(r: BootResult, hadUntil: boolean): number {
  if (r.crash !== undefined) return EXIT.CRASH;
  if (r.stop) return EXIT.BUGCHECK;
  if (r.reached) return EXIT.OK;
  if (r.exitCode !== undefined) return r.exitCode === 0 ? EXIT.OK : EXIT.FAIL;
  if (hadUntil) return EXIT.FAIL;
  return r.lines.length > 0 ? EXIT.OK : EXIT.FAIL;
}

function stats(r: BootResult): string {
  return `after ${(r.wallMs / 1000).toFixed(2)} s, ${(r.instructions / 1e6).toFixed(1)} M instructions`;
}

/** The one-line summary printed to stderr. */
export function summary(r: BootResult, until?: string, timeoutS?: number): string {
  if (r.crash !== undefined) return `boot: emulator crashed ${stats(r)}: ${r.crash}`;
  if (r.stop) return `boot: ${formatStop(r.stop)} ${stats(r)}`;
  if (r.reached) return `boot: reached ${describeMarker(until ?? '')} ${stats(r)}`;
  if (r.exitCode !== undefined) {
    return r.exitCode === 0
      ? `boot: guest powered off (port 0xF4 = 0) ${stats(r)}`
      : `boot: guest exit code ${r.exitCode} (${hex32(r.exitCode)}) ${stats(r)}`;
  }
  const missed = until !== undefined ? `, ${describeMarker(until)} not seen` : '';
  const lines = `${r.lines.length} line${r.lines.length === 1 ? '' : 's'}`;
  if (r.halted) return `boot: halted with interrupts off ${stats(r)}, ${lines}${missed}`;
  const limit = timeoutS ?? +(r.wallMs / 1000).toFixed(2);
  return `boot: timed out after ${limit} s, ${(r.instructions / 1e6).toFixed(1)} M instructions, ${lines}${missed}`;
}

function runBuild(): void {
  const script = join(ROOT, 'scripts', 'build.ts');
  if (!existsSync(script)) throw new UsageError(`cannot build: ${script} does not exist`);
  process.stderr.write('boot: building (npx tsx scripts/build.ts)\n');
  const r = spawnSync('npx', ['tsx', 'scripts/build.ts'], { cwd: ROOT, stdio: 'inherit' });
  if (r.error) throw new UsageError(`cannot build: ${r.error.message}`);
  if (r.status !== 0) throw new UsageError(`build failed (exit ${r.status ?? r.signal})`);
}

export async function main(argv: string[]): Promise<number> {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`boot: ${(err as Error).message}\n`);
    return EXIT.USAGE;
  }
  if (o.help) {
    process.stdout.write(HELP);
    return EXIT.OK;
  }
  try {
    const kernel = o.kernel !== undefined ? resolve(o.kernel) : join(ROOT, DEFAULT_KERNEL);
    // The default kernel and disk are built when either is missing (tests write the kernel alone).
    const defaultDiskMissing = !o.noDisk && o.disk === undefined && !existsSync(join(ROOT, DEFAULT_DISK));
    if (o.build || (o.kernel === undefined && (!existsSync(kernel) || defaultDiskMissing))) runBuild();
    if (!existsSync(kernel)) throw new UsageError(`kernel not found: ${kernel}`);
    let disk: string | undefined;
    if (!o.noDisk) {
      if (o.disk !== undefined) {
        disk = resolve(o.disk);
        if (!existsSync(disk)) throw new UsageError(`disk image not found: ${disk}`);
      } else if (existsSync(join(ROOT, DEFAULT_DISK))) {
        disk = join(ROOT, DEFAULT_DISK);
      }
    }
    if (o.saveDisk !== undefined && disk === undefined) throw new UsageError('--save-disk needs a disk image');

    const result = await boot({
      kernel,
      disk,
      memoryMB: o.memoryMB,
      until: o.until,
      timeoutMs: o.timeoutS * 1000,
      cmdline: o.cmdline,
      saveDisk: o.saveDisk !== undefined ? resolve(o.saveDisk) : undefined,
      onLine: o.quiet ? undefined : (line) => process.stdout.write(line + '\n'),
    });
    process.stderr.write(summary(result, o.until, o.timeoutS) + '\n');
    return exitCodeFor(result, o.until !== undefined);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`boot: ${err.message}\n`);
      return EXIT.USAGE;
    }
    process.stderr.write(`boot: ${(err as Error)?.stack ?? err}\n`);
    return EXIT.CRASH;
  }
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // stdout may be a pipe still draining; exit once it has been flushed
    process.stdout.write('', () => process.exit(code));
  });
}
