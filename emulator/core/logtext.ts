// A BootLog as text for a terminal: the summary, the process tree and the
// timeline as bars. Used by `npm run log` and by `npm start` at the end of a
// run. Host-independent.

import { hex32 } from './log.ts';
import { ntStatusName } from './bugcodes.ts';
import { describeStop, type BootLog, type ProcessInfo, type TimelineEntry } from './bootlog.ts';

function secs(s: number): string {
  return s.toFixed(6).padStart(11);
}

/** `smss.exe (pid 8, parent 4, session 0, critical) exited 0xC0000005 ...` */
export function describeProcess(p: ProcessInfo): string {
  const facts = [`pid ${p.pid}`];
  if (p.parent !== undefined) facts.push(`parent ${p.parent}`);
  if (p.session !== undefined) facts.push(`session ${p.session}`);
  if (p.critical) facts.push('critical');
  let s = `${p.imagePath ?? p.name} (${facts.join(', ')})`;
  if (p.exited !== undefined) {
    const status = p.exitStatus !== undefined ? hex32(p.exitStatus) : '?';
    const name = p.exitStatus !== undefined ? ntStatusName(p.exitStatus) : undefined;
    s += ` exited at ${p.exited.toFixed(6)} s with ${status}${name ? ` ${name}` : ''}`;
  } else {
    s += ` running since ${p.started.toFixed(6)} s`;
  }
  return s;
}

/** The process tree, indented. */
export function treeText(log: BootLog): string[] {
  const out: string[] = [];
  const walk = (nodes: ReturnType<BootLog['tree']>, depth: number): void => {
    for (const n of nodes) {
      out.push(`${'  '.repeat(depth)}${depth ? '└ ' : ''}${describeProcess(n.process)}`);
      walk(n.children, depth + 1);
    }
  };
  walk(log.tree(), 0);
  return out;
}

/** Milestones, processes, warnings and errors by component, the bug check. */
export function summaryText(log: BootLog): string[] {
  const out: string[] = [];
  const logLines = log.events.filter((e) => e.kind === 'log').length;
  const end = log.events.length ? log.events[log.events.length - 1].seconds : 0;
  out.push(`${log.events.length} lines (${logLines} log lines), ${end.toFixed(6)} s of machine time`);
  out.push('', 'milestones:');
  if (log.milestones.length === 0) out.push('  (none)');
  for (const m of log.milestones) out.push(`  ${secs(m.seconds)}  ${m.label}`);
  out.push('', 'processes:');
  const tree = treeText(log);
  out.push(...(tree.length ? tree.map((l) => '  ' + l) : ['  (none)']));
  const sessions = log.sessions();
  if (sessions.length) {
    out.push('', 'sessions:');
    for (const s of sessions) out.push(`  session ${s.id}: ${s.processes.map((pid) => `${log.processes.get(pid)!.name} (${pid})`).join(', ')}`);
  }
  const counts = Object.entries(log.counts());
  out.push('', 'warnings and errors:');
  if (counts.length === 0) out.push('  none');
  for (const [component, c] of counts.sort()) out.push(`  ${component.padEnd(10)} ${c.errors} error${c.errors === 1 ? '' : 's'}, ${c.warnings} warning${c.warnings === 1 ? '' : 's'}`);
  out.push('');
  if (log.stop) out.push('bug check:', ...describeStop(log.stop).map((l) => '  ' + l));
  else out.push(`no bug check; last milestone: ${log.lastMilestone?.label ?? '(none)'}`);
  return out;
}

/** The timeline as text bars, `width` columns for the time axis. */
export function timelineText(log: BootLog, width = 50): string[] {
  const entries = log.timeline();
  if (entries.length === 0) return ['(empty log)'];
  const t0 = Math.min(...entries.map((e) => e.start));
  const t1 = Math.max(...entries.map((e) => e.end ?? e.start), log.events.length ? log.events[log.events.length - 1].seconds : 0);
  const span = t1 - t0 || 1;
  const col = (t: number) => Math.min(width - 1, Math.max(0, Math.round(((t - t0) / span) * (width - 1))));
  const labelWidth = Math.min(44, Math.max(...entries.map((e) => label(e).length)));
  const out = [`${''.padEnd(labelWidth)}  |${t0.toFixed(3)} s${''.padEnd(Math.max(1, width - 16))}${t1.toFixed(3)} s|`];
  for (const e of entries) {
    const a = col(e.start);
    const b = e.end !== undefined ? col(e.end) : width - 1;
    const ch = e.kind === 'phase' ? '=' : e.kind === 'smss' ? '-' : e.kind === 'stop' ? '!' : '#';
    const bar = ' '.repeat(a) + ch.repeat(Math.max(1, b - a + 1)) + (e.end === undefined ? '>' : '');
    out.push(`${label(e).slice(0, labelWidth).padEnd(labelWidth)}  |${bar.padEnd(width)}| ${e.start.toFixed(3)}${e.end !== undefined ? `-${e.end.toFixed(3)}` : '-'}`);
  }
  return out;
}

function label(e: TimelineEntry): string {
  const kind = e.kind === 'process' ? `process${e.session !== undefined ? ` s${e.session}` : ''}` : e.kind;
  return `${kind}: ${e.label}`;
}
