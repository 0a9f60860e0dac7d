// The browser page: the kernel and disk booted in v86 in a tab, with the
// serial console in an xterm terminal (typing goes to COM1), the VGA screen,
// a status line, and panels drawn live from the log library (timeline,
// processes, objects), a registry editor that rebuilds the hive and the disk
// in the tab, files dropped into the image, and buttons to save the log, the
// disk and the machine state. Bundled by emulator/browser/build.ts.
//
// URL parameters: ?kernel=ntoskrnl.bin&disk=disk.img (disk=none for none)
// &memory=32&cmdline=TEXT

import { V86 } from 'v86';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { BootLog, describeStop } from '../core/bootlog.ts';
import { hex32 } from '../core/log.ts';
import { SerialMonitor } from '../core/monitor.ts';
import { padToSectors, toArrayBuffer, v86Config } from '../core/options.ts';
import { checkReg, editDisk, readSystemReg } from '../../images/disk/edit.ts';
import { drawObjects, drawProcesses, drawTimeline, type KdView } from './panels.ts';
import { KdClient, type KdAnswer } from '../core/kd.ts';
import { packState, unpackState, type PageState } from './state.ts';

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');

function show(text: string, cls: 'booting' | 'running' | 'stop' | 'off'): void {
  status.textContent = text;
  status.className = cls;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function download(name: string, data: BlobPart): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([data]));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---- the terminal ----

const term = new Terminal({ convertEol: true, cols: 100, rows: 18, scrollback: 10_000, fontSize: 12 });
const fit = new FitAddon();
term.loadAddon(fit);
term.open($('terminal'));
try { fit.fit(); } catch { /* not laid out yet */ }

// ---- the machine ----

interface Emulator {
  v86?: { cpu: { io: { register_write(port: number, dev: object, a: (v: number) => void, b: (v: number) => void, c: (v: number) => void): void }; devices?: { ide?: { primary?: { master?: { buffer?: { buffer?: ArrayBuffer } } } } } } };
  add_listener(event: string, fn: (arg: any) => void): void;
  serial0_send(text: string): void;
  serial_send_bytes(serial: number, bytes: Uint8Array): void;
  save_state(): Promise<ArrayBuffer>;
  stop(): Promise<void>;
  run(): Promise<void>;
  destroy(): Promise<void>;
}

let kernel: ArrayBuffer;
let emulator: Emulator | undefined;
let bootDisk: Uint8Array | undefined; // the image the running boot started from
let log = new BootLog();
let serial = '';
let typed = '';
let ended = false;
/** Machines started in this tab (boots, restarts, restores), and how the current one began. */
let starts = 0;
let startedBy: 'boot' | 'restart' | 'restore' = 'boot';
const pendingFiles = new Map<string, Uint8Array>();
/** The kernel debugger on COM2 of the running boot, and what it said last (the process and object panels). */
let kd: KdClient | undefined;
let kdView: KdView = { directories: new Map() };
/** Seconds between the panels' questions to the debugger. */
const KD_POLL_MS = 3000;
/** Object directories asked at most per round (the root, then its subdirectories, breadth first). */
const KD_DIRECTORIES = 24;

/** The disk as the guest left it so far (v86 writes into its own buffer). */
function diskNow(): Uint8Array | undefined {
  const b = emulator?.v86?.cpu.devices?.ide?.primary?.master?.buffer?.buffer;
  return b ? new Uint8Array(b.slice(0)) : bootDisk?.slice();
}

let drawQueued = false;
function redraw(): void {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    drawTimeline($('timeline'), log);
    drawProcesses($('processes'), log, kd ? kdView : undefined);
    drawObjects($('objects'), log, kd ? kdView : undefined);
  });
}

function showProgress(): void {
  const m = log.lastMilestone;
  const where = m ? `${m.label} at ${m.seconds.toFixed(3)} s` : 'starting';
  const running = log.milestones.some((x) => x.id === 'smss-running');
  const restored = startedBy === 'restore' ? ' (restored)' : '';
  show(`${running ? 'running' : 'booting'}${restored} · last milestone: ${where}`, running ? 'running' : 'booting');
}

async function start(disk: Uint8Array | undefined, state?: PageState, how: typeof startedBy = state ? 'restore' : 'boot'): Promise<void> {
  if (emulator) {
    const old = emulator;
    emulator = undefined;
    try { await old.stop(); await old.destroy(); } catch { /* already gone */ }
  }
  log = new BootLog();
  serial = '';
  ended = false;
  kd?.close('the machine restarted');
  kd = undefined;
  kdView = { directories: new Map() };
  term.reset();
  starts++;
  startedBy = how;
  bootDisk = disk;
  if (disk) $<HTMLTextAreaElement>('reg-text').value = safeReadReg(disk);
  redraw();
  show(state ? 'restoring the saved state...' : 'booting...', 'booting');
  const monitor = new SerialMonitor();
  if (state?.log) {
    // the log the saved machine had received: the terminal and the panels as they were
    serial = state.log;
    term.write(state.log);
    monitor.preload(state.log);
    for (const l of monitor.lines) log.push(l);
    showProgress();
  }
  const config = v86Config({
    kernel,
    disk: disk ? toArrayBuffer(padToSectors(disk)) : undefined,
    memoryMB: params.has('memory') ? Number(params.get('memory')) : undefined,
    cmdline: params.get('cmdline') ?? undefined,
    wasmPath: 'v86.wasm',
    screenContainer: $('screen'),
    interactive: true,
  });
  if (state) config.initial_state = { buffer: state.state };
  const emu = new V86(config as any) as unknown as Emulator;
  emulator = emu;
  emu.add_listener('emulator-ready', () => {
    // port 0xF4: the guest powers off with an exit code
    const onExit = (v: number) => {
      if (emulator !== emu || ended) return;
      ended = true;
      show(`powered off (port 0xF4 = ${hex32(v)}) · last milestone: ${log.lastMilestone?.label ?? 'none'}`, 'off');
      void emu.stop();
    };
    emu.v86!.cpu.io.register_write(0xf4, { name: 'page-exit' }, onExit, onExit, onExit);
  });
  // COM2: the kernel debugger (kernel/kd); asked once the kernel says it is there
  const client = new KdClient((bytes) => { if (emulator === emu) emu.serial_send_bytes(1, bytes); }, 15_000);
  emu.add_listener('serial1-output-byte', (b: number) => { if (emulator === emu) client.pushByte(b); });
  if (state) {
    // a restored machine said its kd line before it was saved: ask it once it runs
    emu.add_listener('emulator-loaded', () => {
      if (emulator !== emu || kd) return;
      kd = client;
      void pollKd(emu, client);
    });
  }
  emu.add_listener('serial0-output-byte', (b: number) => {
    if (emulator !== emu) return;
    const ch = String.fromCharCode(b);
    serial += ch;
    term.write(ch);
    const line = monitor.pushByte(b);
    if (line === undefined) return;
    log.push(line);
    if (!kd && line.includes('kd: kernel debugger on COM2')) {
      kd = client;
      void pollKd(emu, client);
    }
    redraw();
    if (log.stop) {
      ended = true;
      show(describeStop(log.stop).map((l) => l.trim()).join(' · '), 'stop');
    } else if (!ended) showProgress();
  });
  emu.add_listener('cpu-event-halt', () => {
    if (emulator !== emu || log.stop) return;
    ended = true;
    show(`halted · last milestone: ${log.lastMilestone?.label ?? 'none'}`, 'off');
  });
}

/** Asks the debugger for the process list and the object namespace every KD_POLL_MS while this boot runs. */
async function pollKd(emu: Emulator, client: KdClient): Promise<void> {
  while (emulator === emu && kd === client) {
    if (!ended) {
      try {
        const view: KdView = { directories: new Map(), processes: await client.query('process') };
        const queue = ['\\'];
        while (queue.length && view.directories.size < KD_DIRECTORIES) {
          const path = queue.shift()!;
          const dir: KdAnswer = await client.query('object', { path });
          if (dir.error) continue;
          view.directories.set(path, dir);
          for (const e of (dir.entries as Array<{ name: string; type: string }>) ?? []) {
            if (e.type === 'Directory') queue.push(path === '\\' ? `\\${e.name}` : `${path}\\${e.name}`);
          }
        }
        view.at = performance.now();
        if (kd === client) kdView = view;
      } catch (e) {
        if (kd === client) kdView = { ...kdView, error: (e as Error).message };
      }
      redraw();
    }
    await new Promise((r) => setTimeout(r, KD_POLL_MS));
  }
}

function safeReadReg(disk: Uint8Array): string {
  try {
    return readSystemReg(disk);
  } catch (e) {
    return `; the disk has no readable SYSTEM hive: ${(e as Error).message}\r\n`;
  }
}

// ---- typing ----

term.onData((data) => {
  typed += data;
  emulator?.serial0_send(data);
});
$('screen').addEventListener('click', () => {
  term.blur();
  $('screen').focus();
});

// ---- panels and buttons ----

for (const b of document.querySelectorAll<HTMLButtonElement>('nav button')) {
  b.addEventListener('click', () => {
    document.querySelectorAll('nav button, .panel').forEach((x) => x.classList.remove('active'));
    b.classList.add('active');
    $(b.dataset.panel!).classList.add('active');
  });
}

// ---- save state, restore state, restart (emulator/browser/state.ts: the file carries the log too) ----

$('restart').addEventListener('click', () => void start(diskNow(), undefined, 'restart'));
$('save-log').addEventListener('click', () => download('serial.log', new Uint8Array([...serial].map((c) => c.charCodeAt(0)))));
$('save-disk').addEventListener('click', () => {
  const d = diskNow();
  if (d) download('disk.img', d as Uint8Array<ArrayBuffer>);
});
$('save-state').addEventListener('click', async () => {
  const emu = emulator;
  if (!emu) return;
  // paused while saving, so the log kept is exactly what came before the state
  await emu.stop();
  let saved: PageState;
  try {
    saved = { state: await emu.save_state(), log: serial };
  } finally {
    if (emulator === emu && !ended) await emu.run();
  }
  download('machine.state', packState(saved) as Uint8Array<ArrayBuffer>);
});
$<HTMLInputElement>('restore-state').addEventListener('change', async (e) => {
  const input = e.target as HTMLInputElement;
  const f = input.files?.[0];
  input.value = ''; // the same file can be chosen again
  if (!f) return;
  try {
    await start(diskNow(), unpackState(await f.arrayBuffer()));
  } catch (err) {
    show(`cannot restore ${f.name}: ${err instanceof Error ? err.message : err}`, 'stop');
  }
});

const regText = $<HTMLTextAreaElement>('reg-text');
function checkRegText(): boolean {
  const bad = checkReg(regText.value);
  $('reg-error').textContent = bad ? `line ${bad.line ?? '?'}: ${bad.message}` : '';
  return !bad;
}
regText.addEventListener('input', () => checkRegText());
$('reg-apply').addEventListener('click', () => {
  if (!checkRegText()) return;
  rebootWith({ systemReg: { text: regText.value, fileName: 'SYSTEM.reg' } });
});

function rebootWith(edit: Parameters<typeof editDisk>[1]): void {
  const disk = diskNow();
  if (!disk) {
    $('reg-error').textContent = 'no disk to change';
    return;
  }
  try {
    const next = editDisk(disk, { ...edit, files: new Map(pendingFiles) });
    pendingFiles.clear();
    drawPending();
    void start(next);
  } catch (e) {
    $('reg-error').textContent = (e as Error).message;
  }
}

function drawPending(): void {
  $('pending-files').replaceChildren(...[...pendingFiles].map(([p, d]) => Object.assign(document.createElement('li'), { textContent: `${p} (${d.length} bytes)` })));
}
async function addFile(f: File): Promise<void> {
  let path = $<HTMLInputElement>('drop-path').value.trim() || '\\';
  if (path.endsWith('\\')) path += f.name;
  pendingFiles.set(path, new Uint8Array(await f.arrayBuffer()));
  drawPending();
}
const zone = $('drop-zone');
zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', async (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  for (const f of e.dataTransfer?.files ?? []) await addFile(f);
});
$<HTMLInputElement>('drop-input').addEventListener('change', async (e) => {
  for (const f of (e.target as HTMLInputElement).files ?? []) await addFile(f);
});
$('files-apply').addEventListener('click', () => rebootWith({}));

// For tests and the console: what the page knows.
(window as any).ntPage = {
  get log() { return log; },
  get serial() { return serial; },
  get typed() { return typed; },
  get pendingFiles() { return [...pendingFiles.keys()]; },
  /** machines started in this tab, and how the current one began ('boot', 'restart', 'restore') */
  get starts() { return starts; },
  get startedBy() { return startedBy; },
  /** The VGA text screen as v86 draws it in the page: 25 rows of text. */
  screenText(): string[] {
    return [...$('screen').firstElementChild!.children].map((row) => (row.textContent ?? '').replace(/\u00a0/g, ' '));
  },
  /** Asks the kernel debugger on COM2 (undefined until the kernel has started it). */
  kd(q: string, args: Record<string, string | number> = {}): Promise<KdAnswer> | undefined { return kd?.query(q, args); },
  get kdView() { return kdView; },
  /** The terminal's whole buffer (scrollback too) as text, a row per line. */
  terminalText(): string {
    const buffer = term.buffer.active;
    const rows: string[] = [];
    for (let i = 0; i < buffer.length; i++) rows.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return rows.join('\n');
  },
};

async function main(): Promise<void> {
  const diskUrl = params.get('disk') ?? 'disk.img';
  show('loading the kernel and the disk...', 'booting');
  const [k, d] = await Promise.all([fetchBytes(params.get('kernel') ?? 'ntoskrnl.bin'), diskUrl === 'none' ? undefined : fetchBytes(diskUrl)]);
  kernel = toArrayBuffer(k);
  await start(d);
}

main().catch((err) => show(`error: ${err instanceof Error ? err.message : err}`, 'stop'));
