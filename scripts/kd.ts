// `npm run kd`: a prompt for the kernel debugger on COM2 (kernel/kd).
//
//   npm start -- --kd                   # in one terminal: prints the port
//   npm run kd                          # in another: kd> !process
//   npm run kd -- --port 8087 '!object \Sessions' '!log 20'   # one-shot: run, print, exit
//   npm run kd -- --snapshot state.bin '!process'             # a saved machine state, restored headless
//
// Commands (emulator/core/kd.ts parseKdCommand): !process, !thread [PID],
// !object [\DIR], !handle [PID], !pool, !reg KEY, !session, !log [N],
// !help; a line starting with `{` is sent to the kernel as it is. With
// --json each answer is printed as the kernel sent it.

import { createInterface } from 'node:readline';
import { connect, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KdClient, formatKdAnswer, parseKdCommand, type KdAnswer } from '../emulator/core/kd.ts';
import { boot, type Machine } from '../emulator/node/boot.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_PORT = 8087;

const HELP = `Usage: npm run kd -- [--port N | --socket PATH | --snapshot FILE [--kernel FILE] [--disk FILE]] [--json] [COMMAND ...]

Asks the kernel debugger on COM2. Without --snapshot it connects to a running
\`npm start -- --kd\` (127.0.0.1:${DEFAULT_PORT} by default); with --snapshot it restores
a machine state saved by \`npm start -- --until TEXT --snapshot FILE\` (same kernel
and disk, default build/ntoskrnl.bin and build/disk.img) and asks it.
With COMMANDs it runs them and exits; without, it shows a prompt (kd> ).

Commands:
  !process            processes: pid, parent, session, image name, threads, handles
  !thread [PID]       threads (of one process): state, priority, wait reason
  !object [\\DIR]      an object directory: names, types, link targets (default \\)
  !handle [PID]       handle counts of every process, or one process's handle table
  !pool               pool usage by tag
  !reg KEY            a registry key: subkeys and values (HKLM\\..., \\REGISTRY\\...)
  !session            sessions and their processes
  !log [N]            the kernel log's last N lines (default 20)
  !help               the kernel's list of queries
  {"id":1,"q":...}    a raw request line
`;

interface Options { port: number; socket?: string; snapshot?: string; kernel: string; disk: string; json: boolean; commands: string[] }

function parseArgs(argv: string[]): Options | string {
  const o: Options = { port: DEFAULT_PORT, kernel: join(ROOT, 'build/ntoskrnl.bin'), disk: join(ROOT, 'build/disk.img'), json: false, commands: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    try {
      if (a === '--port') { o.port = Number(value()); if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) return `--port: a port in 1..65535`; }
      else if (a === '--socket') o.socket = value();
      else if (a === '--snapshot') o.snapshot = resolve(value());
      else if (a === '--kernel') o.kernel = resolve(value());
      else if (a === '--disk') o.disk = resolve(value());
      else if (a === '--json') o.json = true;
      else if (a === '--help' || a === '-h') return HELP;
      else if (a.startsWith('--')) return `unknown option: ${a} (see --help)`;
      else o.commands.push(a);
    } catch (e) {
      return (e as Error).message;
    }
  }
  for (const f of o.snapshot ? [o.snapshot, o.kernel, o.disk] : []) if (!existsSync(f)) return `cannot read ${f}: no such file`;
  return o;
}

/** What the prompt talks to: a query function and a way to close it. */
interface Target { kd(q: string, args: Record<string, string | number>): Promise<KdAnswer>; raw(line: string): Promise<KdAnswer>; close(): Promise<void> }

function connectTcp(o: Options): Promise<Target> {
  return new Promise((resolveTarget, reject) => {
    const socket: Socket = o.socket ? connect(o.socket) : connect(o.port, '127.0.0.1');
    const client = new KdClient((bytes) => socket.write(bytes));
    socket.on('data', (data: Buffer) => { for (const b of data) client.pushByte(b); });
    socket.once('error', (e) => reject(new Error(`cannot reach the debugger at ${o.socket ?? '127.0.0.1:' + o.port} (${e.message}); is \`npm start -- --kd\` running?`)));
    socket.once('connect', () => {
      socket.on('close', () => client.close('kd: the connection closed'));
      resolveTarget({
        kd: (q, args) => client.query(q, args),
        raw: (line) => client.raw(line),
        close: async () => { socket.end(); },
      });
    });
  });
}

async function restoreSnapshot(o: Options): Promise<Target> {
  const abort = new AbortController();
  let machine: Machine | undefined;
  let ready!: () => void;
  const up = new Promise<void>((r) => { ready = r; });
  const done = boot({ kernel: o.kernel, disk: o.disk, restore: o.snapshot!, timeout: Infinity, signal: abort.signal, onReady: (m) => { machine = m; ready(); } });
  await Promise.race([up, done.then((r) => { throw new Error(`the machine stopped (${r.reason}${r.crash ? ': ' + r.crash : ''}) before it could be asked`); })]);
  return {
    kd: (q, args) => machine!.kd(q, args),
    raw: (line) => machine!.kdRaw(line),
    close: async () => { abort.abort(); await done; },
  };
}

async function run(target: Target, text: string, json: boolean): Promise<boolean> {
  const t = text.trim();
  if (t === '') return true;
  let answer: KdAnswer;
  if (t.startsWith('{')) answer = await target.raw(t);
  else {
    const c = parseKdCommand(t);
    if (typeof c === 'string') { console.error(c); return false; }
    answer = await target.kd(c.q, c.args);
  }
  console.log(json ? JSON.stringify(answer) : formatKdAnswer(answer));
  return answer.error === undefined;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (typeof o === 'string') {
    if (o === HELP) { process.stdout.write(HELP); return 0; }
    console.error(`kd: ${o}`);
    return 4;
  }
  let target: Target;
  try {
    target = o.snapshot ? await restoreSnapshot(o) : await connectTcp(o);
  } catch (e) {
    console.error(`kd: ${(e as Error).message}`);
    return 1;
  }
  try {
    if (o.commands.length) {
      let ok = true;
      for (const c of o.commands) ok = (await run(target, c, o.json)) && ok;
      return ok ? 0 : 1;
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'kd> ' });
    rl.prompt();
    for await (const line of rl) {
      if (/^(q|quit|exit)$/i.test(line.trim())) break;
      try {
        await run(target, line, o.json);
      } catch (e) {
        console.error((e as Error).message);
      }
      rl.prompt();
    }
    rl.close();
    return 0;
  } catch (e) {
    console.error(`kd: ${(e as Error).message}`);
    return 1;
  } finally {
    await target.close();
  }
}

main().then((code) => { process.exitCode = code; process.stdout.write('', () => process.exit(code)); });
