// `npm start`: boots the kernel in v86 and shows its serial log.
// Run with: npx tsx emulator/node/cli.ts [options]

import { spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { accessSync, constants, createWriteStream, existsSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot, type BootResult } from './boot.ts';
import { formatStop, hex32, parseLogLine } from '../core/log.ts';
import { describeMarker } from '../core/monitor.ts';
import { DEFAULT_MEMORY_MB } from '../core/options.ts';
import { describeStop } from '../core/bootlog.ts';
import { checkReg } from '../../images/disk/edit.ts';

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

/** The kernel debugger's TCP port with --kd. */
export const DEFAULT_KD_PORT = 8087;

/** With --until and no --timeout, give up after this many seconds. */
const DEFAULT_UNTIL_TIMEOUT_S = 10;

const HELP = `Usage: npm start -- [options]
       npx tsx emulator/node/cli.ts [options]

Boots the multiboot kernel in v86 (no BIOS) and prints its COM1 log live.

Options:
  --kernel FILE      multiboot kernel image (default ${DEFAULT_KERNEL})
  --disk FILE        IDE primary master image (default ${DEFAULT_DISK} if it exists);
                     the file itself is never written (see --save-disk)
  --no-disk          boot without a disk
  --reg FILE.reg     a .reg overlay on the SYSTEM hive of a fresh copy of the disk
                     (as images/build.ts --reg); may be repeated
  --add HOST=PATH    put the host file HOST into the copy at PATH, e.g.
                     --add hello.exe=\\Windows\\System32\\hello.exe; may be repeated
  --until TEXT       end the run with success once a serial line contains TEXT
  --timeout S        give up after S seconds (default: ${DEFAULT_UNTIL_TIMEOUT_S} with --until; none without)
  --memory MB        guest RAM in MiB (default ${DEFAULT_MEMORY_MB})
  --cmdline TEXT     multiboot command line
  --save-disk FILE   after the run, write the disk image as the guest left it
  --log FILE         write the serial log to FILE as it is received
  --json             print one JSON object per line (time, component, message;
                     a bug check as one object with the STOP decoded) instead of the text
  --snapshot FILE    save the machine state (v86) to FILE when --until is reached
  --restore FILE     start from a state saved with --snapshot instead of booting
                     (the same --kernel, --disk and --memory as when it was saved)
  --interactive      type into COM1 from stdin (the default when stdin is a terminal;
                     Ctrl+C ends the run); --no-interactive turns it off
  --screen           print the VGA text screen at the end
  --kd[=PORT|PATH]   expose the kernel debugger (COM2, JSON lines) on 127.0.0.1:PORT
                     (default ${DEFAULT_KD_PORT}, or a free port when that one is taken)
                     or on a unix socket PATH; \`npm run kd\` connects to it
  --build            run the build (npx tsx scripts/build.ts) first; this also
                     happens when the default kernel file is missing
  --quiet            do not echo the serial log (the summary is still printed)
  --help             show this text

The run ends at the first of: the --until marker; a bug check block
(*** STOP: ... and its name line); a guest write to port 0xF4 (exit code);
the guest halting with interrupts off (cli; hlt); an emulator crash; the
timeout; Ctrl+C. Without --until and --timeout a boot runs until the guest
powers off or you press Ctrl+C, and the last line says how far it got (the
last milestone, see README). A one-line summary goes to stderr.

Exit codes:
  0  --until marker reached; or the guest wrote 0 to port 0xF4; or, without
     --until, the run ended (Ctrl+C, timeout, halt or a reset of the
     machine, which ends the run) after at least one serial line with no
     bug check and no crash
  1  timeout, halt or reset without the marker (or with no serial output
     at all), or a nonzero value written to port 0xF4
  2  bug check (STOP code printed)
  3  emulator crash
  4  usage error, a missing or unreadable file, a bad .reg file, or a failed build
`;


export interface CliOptions {
  kernel?: string;
  disk?: string;
  noDisk: boolean;
  until?: string;
  /** undefined: the default (10 s with --until, none without) */
  timeoutS?: number;
  memoryMB: number;
  cmdline?: string;
  saveDisk?: string;
  reg: string[];
  add: Array<{ host: string; path: string }>;
  log?: string;
  json: boolean;
  snapshot?: string;
  restore?: string;
  /** undefined: when stdin is a terminal */
  interactive?: boolean;
  screen: boolean;
  /** --kd: a TCP port or a unix socket path for the kernel debugger */
  kd?: number | string;
  build: boolean;
  quiet: boolean;
  help: boolean;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = {
    noDisk: false,
    memoryMB: DEFAULT_MEMORY_MB,
    reg: [],
    add: [],
    json: false,
    screen: false,
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
      case '--reg': o.reg.push(value()); break;
      case '--add': {
        const text = value();
        const at = text.indexOf('=');
        const host = text.slice(0, at);
        const path = text.slice(at + 1);
        if (at <= 0 || !path.startsWith('\\') || path.length < 2) {
          throw new UsageError(`--add: expected HOST=\\PATH\\IN\\IMAGE (a backslash path), got ${text}`);
        }
        o.add.push({ host, path });
        break;
      }
      case '--log': o.log = value(); break;
      case '--json': o.json = true; break;
      case '--snapshot': o.snapshot = value(); break;
      case '--restore': o.restore = value(); break;
      case '--interactive': o.interactive = true; break;
      case '--no-interactive': o.interactive = false; break;
      case '--screen': o.screen = true; break;
      case '--kd': {
        if (inline === undefined || inline === '') { o.kd = DEFAULT_KD_PORT; break; }
        if (/^\d+$/.test(inline)) {
          const port = Number(inline);
          if (port < 1 || port > 65535) throw new UsageError(`--kd: a port in 1..65535, got ${inline}`);
          o.kd = port;
        } else o.kd = inline;
        break;
      }
      case '--build': o.build = true; break;
      case '--quiet': case '-q': o.quiet = true; break;
      case '--help': case '-h': o.help = true; break;
      default: throw new UsageError(`unknown option: ${argv[i]} (see --help)`);
    }
  }
  if (o.until === '') throw new UsageError('--until needs a non-empty text');
  if (o.snapshot !== undefined && o.until === undefined) throw new UsageError('--snapshot needs --until (the state is saved when it is reached)');
  if (o.noDisk && (o.reg.length || o.add.length)) throw new UsageError('--reg and --add need a disk image (not --no-disk)');
  if (o.noDisk && (o.snapshot !== undefined || o.restore !== undefined)) {
    throw new UsageError('--snapshot and --restore need a disk image (v86 0.5 cannot restore a machine without one)');
  }
  return o;
}

/** The exit code for a finished run (see HELP). */
export function exitCodeFor(r: BootResult, hadUntil: boolean): number {
  if (r.crash !== undefined) return EXIT.CRASH;
  if (r.stop) return EXIT.BUGCHECK;
  if (r.reached) return EXIT.OK;
  if (r.exitCode !== undefined) return r.exitCode === 0 ? EXIT.OK : EXIT.FAIL;
  if (r.reset) return hadUntil ? EXIT.FAIL : EXIT.OK;
  if (hadUntil) return EXIT.FAIL;
  return r.lines.length > 0 ? EXIT.OK : EXIT.FAIL;
}

function stats(r: BootResult): string {
  return `after ${(r.wallMs / 1000).toFixed(2)} s, ${(r.instructions / 1e6).toFixed(1)} M instructions`;
}

/** `; last milestone: Session Manager running at 0.235799 s` */
function howFar(r: BootResult): string {
  const m = r.bootLog.lastMilestone;
  return m ? `; last milestone: ${m.label} at ${m.seconds.toFixed(6)} s` : '; no milestone reached';
}

/** The one-line summary printed to stderr. */
export function summary(r: BootResult, until?: string, timeoutS?: number): string {
  if (r.reason === 'interrupted' && !r.stop) return `boot: stopped (Ctrl+C) ${stats(r)}${howFar(r)}`;
  if (r.crash !== undefined) return `boot: emulator crashed ${stats(r)}: ${r.crash}`;
  if (r.stop) return `boot: ${formatStop(r.stop)} ${stats(r)}`;
  if (r.reached) return `boot: reached ${describeMarker(until ?? '')} ${stats(r)}`;
  if (r.exitCode !== undefined) {
    return r.exitCode === 0
      ? `boot: guest powered off (port 0xF4 = 0) ${stats(r)}`
      : `boot: guest exit code ${r.exitCode} (${hex32(r.exitCode)}) ${stats(r)}`;
  }
  const missed = until !== undefined ? `, ${describeMarker(until)} not seen` : '';
  if (r.reset) return `boot: guest reset the machine (reboot) ${stats(r)}${missed}`;
  const lines = `${r.lines.length} line${r.lines.length === 1 ? '' : 's'}`;
  if (r.halted) return `boot: halted with interrupts off ${stats(r)}, ${lines}${missed}${howFar(r)}`;
  const limit = timeoutS ?? +(r.wallMs / 1000).toFixed(2);
  if (until === undefined) return `boot: ran for ${limit} s (--timeout), ${(r.instructions / 1e6).toFixed(1)} M instructions, ${lines}${howFar(r)}`;
  return `boot: timed out after ${limit} s, ${(r.instructions / 1e6).toFixed(1)} M instructions, ${lines}${missed}${howFar(r)}`;
}

/** The file's bytes, or a UsageError naming the option and why it cannot be read. */
function readable(file: string, flag: string): Buffer {
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code ?? String(err);
    throw new UsageError(`${flag}: cannot read ${file}: ${why}`);
  }
}

/** A UsageError when `file` cannot be written (its directory missing or read-only). */
function writable(file: string, flag: string): void {
  const dir = dirname(resolve(file));
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag}: cannot write ${file}: ${existsSync(dir) ? 'directory not writable' : 'no such directory'}`);
  }
}

/** A server for the kernel debugger's clients: a TCP port on 127.0.0.1 (a free one if taken) or a unix socket. */
function listenKd(where: number | string, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  return new Promise<Server>((resolveServer, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      if (typeof where === 'number' && err.code === 'EADDRINUSE') {
        server.removeAllListeners('error');
        server.once('error', (e) => reject(new UsageError(`--kd: cannot listen: ${e.message}`)));
        server.listen(0, '127.0.0.1', () => resolveServer(server));
        return;
      }
      reject(new UsageError(`--kd: cannot listen on ${where}: ${err.message}`));
    };
    server.once('error', fail);
    if (typeof where === 'number') server.listen(where, '127.0.0.1', () => resolveServer(server));
    else server.listen(where, () => resolveServer(server));
  });
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
    if ((o.reg.length || o.add.length) && disk === undefined) throw new UsageError('--reg and --add need a disk image');
    for (const f of o.reg) {
      const text = readable(f, '--reg');
      const bad = checkReg(text.toString('latin1').includes('\0') ? new TextDecoder('utf-16le').decode(text) : text.toString('utf8'), f);
      if (bad) throw new UsageError(`--reg: ${bad.message}`);
    }
    for (const a of o.add) readable(a.host, '--add');
    if (o.restore !== undefined) readable(o.restore, '--restore');
    if (o.kernel !== undefined) readable(kernel, '--kernel');
    if (o.disk !== undefined && disk) readable(disk, '--disk');
    for (const [flag, f] of [['--log', o.log], ['--snapshot', o.snapshot], ['--save-disk', o.saveDisk]] as const) {
      if (f !== undefined) writable(f, flag);
    }

    const logFile: WriteStream | undefined = o.log !== undefined ? createWriteStream(resolve(o.log), { encoding: 'latin1' }) : undefined;
    let logChunk = '';
    const interrupt = new AbortController();
    const onSigint = () => interrupt.abort();
    process.on('SIGINT', onSigint);
    const interactive = o.interactive ?? Boolean(process.stdin.isTTY);
    let sendToCom1: ((text: string) => void) | undefined;
    let pendingInput = '';
    const onStdin = (data: Buffer) => {
      const text = data.toString('latin1');
      if (text.includes('\x03')) return interrupt.abort(); // Ctrl+C in raw mode
      if (sendToCom1) sendToCom1(text);
      else pendingInput += text;
    };
    if (interactive) {
      if (process.stdin.isTTY) process.stdin.setRawMode(true);
      process.stdin.on('data', onStdin);
      process.stdin.resume();
    }
    let inStop = false;
    const emitJson = (line: string) => {
      const parsed = parseLogLine(line);
      if (parsed) return process.stdout.write(JSON.stringify({ time: parsed.seconds, component: parsed.component, message: parsed.message }) + '\n');
      if (line.includes('*** STOP:')) inStop = true;
      if (!inStop) process.stdout.write(JSON.stringify({ text: line }) + '\n');
    };

    // --kd: COM2's bytes to every connected client, the clients' bytes to COM2
    let kdServer: Server | undefined;
    const kdClients = new Set<Socket>();
    let sendToCom2: ((bytes: Uint8Array) => void) | undefined;
    const pendingKd: Uint8Array[] = [];
    if (o.kd !== undefined) {
      kdServer = await listenKd(o.kd, (socket) => {
        kdClients.add(socket);
        socket.on('data', (data: Buffer) => { if (sendToCom2) sendToCom2(new Uint8Array(data)); else pendingKd.push(new Uint8Array(data)); });
        socket.on('close', () => kdClients.delete(socket));
        socket.on('error', () => kdClients.delete(socket));
      });
      const where = kdServer.address();
      const shown = typeof where === 'string' ? where : `127.0.0.1:${where?.port}`;
      const arg = typeof where === 'string' ? `--socket ${where}` : `--port ${where?.port}`;
      process.stderr.write(`kd: kernel debugger (COM2, JSON lines) on ${shown}; \`npm run kd -- ${arg}\` gives a prompt\n`);
    }

    let result: BootResult;
    try {
      result = await boot({
        kernel,
        disk,
        memoryMB: o.memoryMB,
        until: o.until,
        timeout: o.timeoutS ?? (o.until !== undefined ? DEFAULT_UNTIL_TIMEOUT_S : Infinity),
        cmdline: o.cmdline,
        reg: o.reg.map((f) => resolve(f)),
        add: new Map(o.add.map((a) => [a.path, resolve(a.host)])),
        snapshot: o.snapshot !== undefined ? resolve(o.snapshot) : undefined,
        restore: o.restore !== undefined ? resolve(o.restore) : undefined,
        signal: interrupt.signal,
        screen: o.screen,
        kdOnTimeout: o.until !== undefined, // a missed milestone: show what every thread waits on
        saveDisk: o.saveDisk !== undefined ? resolve(o.saveDisk) : undefined,
        onReady: (machine) => {
          sendToCom1 = machine.send;
          if (pendingInput) machine.send(pendingInput);
          pendingInput = '';
          sendToCom2 = machine.kdSend;
          for (const bytes of pendingKd.splice(0)) machine.kdSend(bytes);
        },
        onKdByte: kdServer ? (b) => { for (const c of kdClients) c.write(Uint8Array.of(b)); } : undefined,
        onByte: logFile
          ? (b) => {
              logChunk += String.fromCharCode(b);
              if (b === 0x0a || logChunk.length >= 4096) { logFile.write(logChunk); logChunk = ''; }
            }
          : undefined,
        onLine: o.quiet ? undefined : o.json ? emitJson : (line) => process.stdout.write(line + '\n'),
      });
    } finally {
      if (kdServer) {
        for (const c of kdClients) c.destroy();
        await new Promise<void>((done) => kdServer!.close(() => done()));
      }
      process.off('SIGINT', onSigint);
      if (interactive) {
        process.stdin.off('data', onStdin);
        if (process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdin.pause();
      }
      if (logFile) await new Promise<void>((done) => logFile.end(logChunk, () => done()));
    }
    if (o.json && !o.quiet && result.decodedStop) process.stdout.write(JSON.stringify({ stop: result.decodedStop }) + '\n');
    if (o.screen) {
      const rows = result.screen?.rows.map((r) => r.replace(/\s+$/, '')) ?? ['(no text screen)'];
      process.stdout.write(`+${'-'.repeat(80)}+\n${rows.map((r) => `|${r.padEnd(80)}|`).join('\n')}\n+${'-'.repeat(80)}+\n`);
    }
    if (result.timedOut) for (const l of result.lines) if (l.startsWith('[host] ')) process.stderr.write(l + '\n');
    process.stderr.write(summary(result, o.until, o.timeoutS) + '\n');
    if (result.decodedStop) for (const l of describeStop(result.decodedStop).slice(1)) process.stderr.write(`boot: ${l}\n`);
    if (result.snapshot && o.snapshot) process.stderr.write(`boot: machine state saved to ${o.snapshot} (${(result.snapshot.state.byteLength / 1048576).toFixed(1)} MiB)\n`);
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
