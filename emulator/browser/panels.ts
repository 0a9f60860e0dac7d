// The page's panels drawn from the log library: the boot timeline (kernel
// phases, smss steps, processes with their session; hovering a row shows
// its log lines), the process tree and the object namespace as far as the
// log names it. Plain DOM, redrawn at most once per animation frame.

import { type BootLog } from '../core/bootlog.ts';
import { treeText } from '../core/logtext.ts';

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

/** The process tree and sessions. */
export function drawProcesses(host: HTMLElement, log: BootLog): void {
  host.replaceChildren();
  const tree = treeText(log);
  host.append(el('div', 'tree', tree.length ? tree.join('\n') : '(no process lines yet)'));
  const sessions = log.sessions();
  if (sessions.length) {
    host.append(el('h2', '', 'sessions'));
    host.append(el('div', 'tree', sessions.map((s) => `session ${s.id}: ${s.processes.map((p) => `${log.processes.get(p)!.name} (${p})`).join(', ')}`).join('\n')));
  }
}

/**
 * The object namespace as the log names it: every absolute NT path
 * (\Device\..., \??\C:, \KnownDlls\..., \REGISTRY\...) that appears in a
 * message, as a tree. (The kernel debugger on COM2 will give the real one.)
 */
export function drawObjects(host: HTMLElement, log: BootLog): void {
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
}
