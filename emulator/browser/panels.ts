// The page's panels drawn from the log library: the boot timeline (kernel
// phases, smss steps, processes with their session; hovering a row shows
// its log lines), the process tree and the object namespace as far as the
// log names it. Plain DOM, redrawn at most once per animation frame.

import { type BootLog } from '../core/bootlog.ts';
import { treeText } from '../core/logtext.ts';
import { type KdAnswer } from '../core/kd.ts';

/** What the kernel debugger (COM2) said last: the process list and object directories by path. */
export interface KdView {
  processes?: KdAnswer;
  /** directory path -> the `object` answer for it */
  directories: Map<string, KdAnswer>;
  /** when the last answers came (performance.now()), and the last error */
  at?: number;
  error?: string;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The boot timeline: one row per entry, a bar on a shared time axis. */
export function drawTimeline(host: HTMLElement, log: BootLog): void {
  const entries = log.timeline();
  host.replaceChildren();
  if (entries.length === 0) {
    host.append(el('p', '', 'waiting for the first log line...'));
    return;
  }
  const t0 = Math.min(...entries.map((e) => e.start));
  const last = log.events.length ? log.events[log.events.length - 1].seconds : t0;
  const t1 = Math.max(last, ...entries.map((e) => e.end ?? e.start));
  const span = t1 - t0 || 1;
  host.append(el('div', 'tl-axis', `${t0.toFixed(3)} s ... ${t1.toFixed(3)} s of machine time`));
  const hover = el('div', '');
  hover.id = 'tl-hover';
  hover.textContent = 'hover a row to see its log lines';
  for (const e of entries) {
    const row = el('div', `tl-row tl-${e.kind}`);
    const label = e.kind === 'process' ? `${e.label}${e.session !== undefined ? ` · session ${e.session}` : ''}` : e.label;
    row.append(el('span', 'tl-label', `${e.kind === 'phase' ? '' : e.kind + ': '}${label}`));
    const track = el('span', 'tl-track');
    const bar = el('span', 'tl-bar');
    const end = e.end ?? t1;
    bar.style.left = `${((e.start - t0) / span) * 100}%`;
    bar.style.width = `${Math.max(0.3, ((end - e.start) / span) * 100)}%`;
    track.append(bar);
    row.append(track);
    row.dataset.kind = e.kind;
    const lines = e.lines.map((i) => log.events[i]?.line ?? '').join('\n');
    row.title = lines;
    row.addEventListener('mouseenter', () => { hover.textContent = lines || '(no lines)'; });
    host.append(row);
  }
  host.append(hover);
}

type Row = Record<string, any>;

/** The kernel's own process tree (the `process` query), as indented text. */
function kdProcessTree(answer: KdAnswer): string {
  const ps = (answer.processes as Row[]) ?? [];
  const pids = new Set(ps.map((p) => p.pid));
  const out: string[] = [];
  const walk = (p: Row, depth: number) => {
    out.push(`${'  '.repeat(depth)}${p.name} (pid ${p.pid}, parent ${p.parent}, session ${p.session}${p.critical ? ', critical' : ''}, ${p.threads} threads, ${p.handles} handles)`);
    for (const c of ps.filter((x) => x.parent === p.pid && x.pid !== p.pid)) walk(c, depth + 1);
  };
  for (const root of ps.filter((p) => !pids.has(p.parent) || p.parent === p.pid)) walk(root, 0);
  return out.join('\n');
}

function kdSection(host: HTMLElement, kd: KdView | undefined, body: () => string | undefined): void {
  if (!kd) return;
  host.append(el('h2', '', 'from the kernel debugger (COM2)'));
  const text = body();
  const note = kd.error ? `(${kd.error})` : text === undefined ? '(asking...)' : '';
  if (note) host.append(el('p', '', note));
  if (text !== undefined) host.append(el('div', 'tree kd-tree', text));
}

/** The process tree and sessions; then, once the kernel debugger answered, the kernel's own list. */
export function drawProcesses(host: HTMLElement, log: BootLog, kd?: KdView): void {
  host.replaceChildren();
  const tree = treeText(log);
  host.append(el('div', 'tree', tree.length ? tree.join('\n') : '(no process lines yet)'));
  const sessions = log.sessions();
  if (sessions.length) {
    host.append(el('h2', '', 'sessions'));
    host.append(el('div', 'tree', sessions.map((s) => `session ${s.id}: ${s.processes.map((p) => `${log.processes.get(p)!.name} (${p})`).join(', ')}`).join('\n')));
  }
  kdSection(host, kd, () => (kd?.processes ? kdProcessTree(kd.processes) : undefined));
}

/** The object namespace the kernel debugger listed: every directory asked, with types and link targets. */
function kdObjectTree(kd: KdView): string | undefined {
  if (!kd.directories.has('\\')) return undefined;
  const out: string[] = ['\\'];
  const walk = (path: string, depth: number) => {
    const dir = kd.directories.get(path);
    const entries = ((dir?.entries as Row[]) ?? []).slice().sort((a, b) => String(a.name).localeCompare(String(b.name)));
    for (const e of entries) {
      out.push(`${'  '.repeat(depth)}${e.name}  [${e.type}]${e.target ? ` -> ${e.target}` : ''}`);
      const child = path === '\\' ? `\\${e.name}` : `${path}\\${e.name}`;
      if (e.type === 'Directory' && kd.directories.has(child)) walk(child, depth + 1);
    }
  };
  walk('\\', 1);
  return out.join('\n');
}

/**
 * The object namespace as the log names it: every absolute NT path
 * (\Device\..., \??\C:, \KnownDlls\..., \REGISTRY\...) that appears in a
 * message, as a tree; then the real one, from the kernel debugger on COM2.
 */
export function drawObjects(host: HTMLElement, log: BootLog, kd?: KdView): void {
  type Node = Map<string, Node>;
  const root: Node = new Map();
  for (const e of log.events) {
    if (e.kind !== 'log') continue;
    for (const m of e.message.matchAll(/(?:^|[\s(,])(\\(?:Device|\?\?|KnownDlls|REGISTRY|SystemRoot|Sessions|Windows|RPC Control|ObjectTypes|BaseNamedObjects|SmApiPort|KernelObjects)[^\s,;()"]*)/g)) {
      let n = root;
      for (const part of m[1].split('\\').filter(Boolean)) {
        let c = n.get(part);
        if (!c) n.set(part, (c = new Map()));
        n = c;
      }
    }
  }
  const out: string[] = ['\\'];
  const walk = (n: Node, depth: number) => {
    for (const [name, c] of [...n].sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`${'  '.repeat(depth)}${name}`);
      walk(c, depth + 1);
    }
  };
  walk(root, 1);
  host.replaceChildren(el('p', '', 'Names the log has mentioned so far:'), el('div', 'tree', out.join('\n')));
  kdSection(host, kd, () => (kd ? kdObjectTree(kd) : undefined));
}
