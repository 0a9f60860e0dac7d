// npm run stress: boot the kernel many times, in parallel worker processes,
// and report every boot that bug-checks or stops making progress.
//
//   npm run stress -- [--chaos SEED|random] [--boots N] [--jobs N] [--until TEXT]
//                     [--period N] [--stall S] [--timeout S] [--logon] [--seeds A,B,...]
//                     [--kernel FILE] [--disk FILE] [--cmdline TEXT] [--out DIR]
//   npm run stress -- powercut     (the power-cut tests with fsck.fat on every recorded state)
//
// With --chaos the chaos kernel (build/chaos/ntoskrnl.bin, `npm run build --
// --chaos`) boots with `chaos=SEED` on its command line: boot i gets SEED + i,
// or a random seed with `--chaos random` (printed); --seeds boots exactly the
// seeds listed. Without --chaos the product kernel boots (build/ntoskrnl.bin).
// A boot passes when a line contains --until (default the logon screen; with
// --logon it types the default account at winlogon's prompts and waits for the
// shell's first prompt). It fails on a bug check, an emulator crash, a guest
// that powers off or halts first, a timeout, or a stall: no serial line for
// --stall seconds (default 30). On a stall the kernel debugger on COM2 is asked
// for its threads and processes. Each failure's serial log, and the kd answers,
// go to build/stress/<kernel>-seed-<SEED>.log (or -boot-<N> without chaos).
// The exit code is 1 when any boot failed.
//
// Each worker is a child process (this file with --worker) that boots one
// machine at a time: v86 runs on the main thread, so boots in one process
// would share one core.

import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot, type Machine } from '../emulator/node/boot.ts';
import { formatKdAnswer } from '../emulator/core/kd.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const LOGON_SCREEN = 'winlogon: session 1: logon screen';
const SHELL_PROMPT = 'nsh: session 1: prompt';

interface Job { n: number; seed?: number }
interface Settings {
  kernel: string; disk: string; until: string; cmdline: string; period?: number;
  stallMs: number; timeoutMs: number; logon: boolean; out: string; tag: string;
}
interface Outcome {
  n: number; seed?: number; ok: boolean; what: string; seconds: number; instructions: number;
  last: string[]; file?: string; kdThreads?: string;
}

function usage(): never {
  console.error('usage: npm run stress -- [--chaos SEED|random] [--boots N] [--jobs N] [--until TEXT] [--period N] [--stall S] [--timeout S] [--logon] [--seeds A,B] [--kernel FILE] [--disk FILE] [--cmdline TEXT] [--out DIR]\n       npm run stress -- powercut');
  process.exit(4);
}

// ---- a worker: one boot per message ----

async function runBoot(s: Settings, job: Job): Promise<Outcome> {
  const cmdline = [s.cmdline, job.seed !== undefined ? `chaos=${job.seed}` : '', job.seed !== undefined && s.period ? `chaosperiod=${s.period}` : '']
    .filter(Boolean).join(' ');
  const lines: string[] = [];
  let lastLine = Date.now();
  let machine: Machine | undefined;
  let stalled = false;
  let kdText = '';
  let kdThreads: string | undefined;
  const ac = new AbortController();
  const t0 = Date.now();
  const watch = setInterval(() => {
    if (!machine || stalled || Date.now() - lastLine < s.stallMs) return;
    stalled = true;
    void (async () => {
      for (const q of ['thread', 'process']) {
        try {
          const a = await Promise.race([machine!.kd(q), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no answer within 20 s')), 20_000))]);
          const text = formatKdAnswer(a);
          kdText += `---- kd ${q}\n${text}\n`;
          if (q === 'thread') kdThreads = text;
        } catch (e) {
          kdText += `---- kd ${q}: ${(e as Error).message}\n`;
        }
      }
      ac.abort();
    })();
  }, 1000);
  const input = s.logon ? [{ after: 'winlogon: session 1: user name:', text: 'Administrator\r' }, { after: 'winlogon: session 1: password:', text: 'password\r' }] : undefined;
  const r = await boot({
    kernel: s.kernel, disk: s.disk, cmdline, until: s.until, timeout: s.timeoutMs / 1000, signal: ac.signal, input,
    onReady: (m) => { machine = m; }, onLine: (l) => { lines.push(l); lastLine = Date.now(); },
  });
  clearInterval(watch);
  const seconds = (Date.now() - t0) / 1000;
  const last = lines.filter((l) => l.trim() !== '').slice(-3);
  const ok = r.reached && !stalled;
  let what: string;
  if (ok) what = 'ok';
  else if (stalled) what = `STALL (no line for ${s.stallMs / 1000} s)`;
  else if (r.reason === 'stop') what = `STOP ${r.decodedStop ? `0x${r.decodedStop.code.toString(16).toUpperCase().padStart(8, '0')} ${r.decodedStop.name}` : ''}`.trim();
  else if (r.reason === 'crash') what = `CRASH ${r.crash ?? ''}`.trim();
  else if (r.reason === 'timeout') what = `TIMEOUT after ${s.timeoutMs / 1000} s`;
  else what = `ENDED (${r.reason}${r.exitCode !== undefined ? ` ${r.exitCode}` : ''})`;
  const out: Outcome = { n: job.n, seed: job.seed, ok, what, seconds, instructions: r.instructions, last, kdThreads };
  if (!ok) {
    mkdirSync(s.out, { recursive: true });
    const file = join(s.out, `${s.tag}-${job.seed !== undefined ? `seed-${job.seed}` : `boot-${job.n}`}.log`);
    const head = [`# ${what}`, `# kernel ${s.kernel}, command line "${cmdline}", until "${s.until}"`,
      `# ${(r.instructions / 1e6).toFixed(1)} M instructions, ${seconds.toFixed(1)} s`, ''];
    const stop = r.decodedStop ? `---- stop\n${JSON.stringify(r.decodedStop, null, 2)}\n` : '';
    writeFileSync(file, head.join('\n') + r.lines.join('\n') + '\n' + stop + kdText);
    out.file = file;
  }
  return out;
}

function worker(): void {
  process.on('message', (msg: { settings: Settings; job: Job } | 'exit') => {
    if (msg === 'exit') process.exit(0);
    runBoot(msg.settings, msg.job).then(
      (o) => process.send!(o),
      (e) => process.send!({ n: msg.job.n, seed: msg.job.seed, ok: false, what: `CRASH ${(e as Error).message}`, seconds: 0, instructions: 0, last: [] } satisfies Outcome),
    );
  });
}

// ---- the runner ----

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === 'powercut') {
    const r = spawnSync('npx', ['vitest', 'run', 'test/boot/powercut.test.ts', 'test/boot/registry.test.ts', '-t', 'power cut'],
      { cwd: ROOT, stdio: 'inherit', env: { ...process.env, POWERCUT_ALL: '1' } });
    process.exit(r.status ?? 1);
  }
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    if (i + 1 >= args.length) usage();
    return args[i + 1];
  };
  const num = (name: string, dflt: number): number => {
    const v = opt(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) usage();
    return n;
  };
  const known = new Set(['--chaos', '--boots', '--jobs', '--until', '--period', '--stall', '--timeout', '--seeds', '--kernel', '--disk', '--cmdline', '--out']);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--logon') continue;
    if (!known.has(args[i])) usage();
    i++;
  }
  const chaos = opt('--chaos');
  const seedList = opt('--seeds')?.split(',').map((x) => Number(x.trim()));
  if (seedList?.some((x) => !Number.isInteger(x) || x < 0 || x >= 0xFFFFFFFF)) usage();
  const useChaos = chaos !== undefined || seedList !== undefined;
  const logon = args.includes('--logon');
  const boots = seedList?.length ?? num('--boots', 20);
  const jobs = Math.max(1, Math.min(boots, num('--jobs', Math.max(1, cpus().length))));
  const kernel = opt('--kernel') ?? join(ROOT, 'build', useChaos ? 'chaos' : '', 'ntoskrnl.bin');
  const disk = opt('--disk') ?? join(ROOT, 'build', 'disk.img');
  for (const f of [kernel, disk]) {
    if (!existsSync(f)) { console.error(`stress: ${relative(ROOT, f)} is missing: npm run build${useChaos && f === kernel ? ' -- --chaos' : ''}`); process.exit(4); }
  }
  const settings: Settings = {
    kernel, disk, until: opt('--until') ?? (logon ? SHELL_PROMPT : LOGON_SCREEN), cmdline: opt('--cmdline') ?? '',
    period: opt('--period') !== undefined ? num('--period', 0) : undefined,
    stallMs: num('--stall', 30) * 1000, timeoutMs: num('--timeout', 600) * 1000, logon,
    out: opt('--out') ?? join(ROOT, 'build', 'stress'), tag: useChaos ? 'chaos' : 'product',
  };
  let seeds: Array<number | undefined>;
  if (seedList) seeds = seedList;
  else if (!useChaos) seeds = Array.from({ length: boots }, () => undefined);
  else if (chaos === 'random') seeds = Array.from({ length: boots }, () => Math.floor(Math.random() * 0x7FFFFFFF));
  else {
    const base = Number(chaos);
    if (!Number.isInteger(base) || base < 0) usage();
    seeds = Array.from({ length: boots }, (_, i) => (base + i) % 0xFFFFFFFF);
  }
  console.log(`stress: ${boots} boots of ${relative(ROOT, kernel)} in ${jobs} workers, until "${settings.until}"` +
    (useChaos ? `, chaos seeds ${seeds.length <= 8 ? seeds.join(' ') : `${seeds[0]}..${seeds.at(-1)}`}${chaos === 'random' ? ' (random)' : ''}${settings.period ? `, period ${settings.period}` : ''}` : '') +
    `; a stall is ${settings.stallMs / 1000} s without a line`);

  const queue: Job[] = seeds.map((seed, n) => ({ n, seed }));
  const outcomes: Outcome[] = [];
  const t0 = Date.now();
  const children: ChildProcess[] = [];
  const stopAll = () => { for (const c of children) c.kill(); };
  process.on('SIGINT', () => { stopAll(); process.exit(130); });
  await Promise.all(Array.from({ length: jobs }, () => new Promise<void>((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--worker'], { execArgv: ['--import', new URL('./tsx.mjs', import.meta.url).href], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    let current: Job | undefined;
    const next = () => {
      current = queue.shift();
      if (!current) { child.send('exit'); return; }
      child.send({ settings, job: current });
    };
    child.on('message', (o: Outcome) => {
      outcomes.push(o);
      const who = o.seed !== undefined ? `seed ${o.seed}` : `boot ${o.n}`;
      console.log(`${who}: ${o.what}, ${o.seconds.toFixed(1)} s, ${(o.instructions / 1e6).toFixed(1)} M instructions` +
        (o.ok ? '' : `\n  last: ${o.last.join('\n        ')}${o.file ? `\n  log:  ${relative(ROOT, o.file)}` : ''}`));
      next();
    });
    child.on('exit', (code) => {
      if (current && !outcomes.some((o) => o.n === current!.n)) {
        outcomes.push({ n: current.n, seed: current.seed, ok: false, what: `CRASH (worker exited with ${code})`, seconds: 0, instructions: 0, last: [] });
        console.log(`${current.seed !== undefined ? `seed ${current.seed}` : `boot ${current.n}`}: CRASH (worker exited with ${code})`);
      }
      resolve();
    });
    next();
  })));
  const failed = outcomes.filter((o) => !o.ok).sort((a, b) => a.n - b.n);
  console.log(`stress: ${outcomes.length} boots in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${outcomes.length - failed.length} ok, ${failed.length} failed` +
    (failed.length ? ` (${failed.map((o) => (o.seed !== undefined ? `seed ${o.seed}` : `boot ${o.n}`) + ': ' + o.what.split(' ')[0]).join(', ')})` : ''));
  process.exit(failed.length ? 1 : 0);
}

if (process.argv.includes('--worker')) worker();
else main().catch((e) => { console.error(`stress: ${(e as Error).message}`); process.exit(4); });
