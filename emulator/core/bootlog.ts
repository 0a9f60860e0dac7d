// The boot log as data: the serial console's lines turned into events,
// milestones, the process tree, sessions, a timeline and the bug check, if
// any. One library for the CLI (`npm start`, `npm run log`), the browser page
// (fed live, line by line) and the tests.
//
// Input is what COM1 carries (DESIGN.md section 5): `[    0.012345] ke: ...`
// lines, and on a bug check the block
//
//   *** STOP: 0x000000EF (0x80A1B000, 0x00000000, 0x00000000, 0x00000000)
//   CRITICAL_PROCESS_DIED
//   (optional further text lines, e.g. Windows' message for 0xC000021A)
//
// Lines from other sources (QEMU's `-serial file:` with its escape codes, a
// log saved by the page with CR LF) are tolerated: what does not parse is an
// event of kind 'text'.
//
// The process lines it understands (kernel/ps):
//   ps: System process (pid 4)
//   ps: process 8 (smss.exe) created from its image at 0x.., entry 0x..[, parent 4, session 0]
//   ps: process 9 (x.exe) created: image at 0x.., entry 0x..     (a boot module; parent System)
//   ps: process 10 created as a copy of process 9
//   ps: session manager started: process 8 (\SystemRoot\System32\smss.exe)
//   ps: process 8 is critical: its end stops the system  /  is no longer critical
//   ps: process 8 (smss.exe) exited with status 0x..
//   ps: process 8 (smss.exe): unhandled exception 0x.. (...) at 0x..

import { hex32, parseLogLine, parseStop, parseStopName } from './log.ts';
import { bugCheckInfo, bugCheckName, ntStatusName } from './bugcodes.ts';

export type EventKind = 'log' | 'stop' | 'text';
export type Level = 'info' | 'warning' | 'error';

export interface LogEvent {
  /** index of the line in the log (0-based) */
  index: number;
  /** the line as received, without its terminator */
  line: string;
  kind: EventKind;
  /** machine uptime in seconds (log lines; other lines carry the last time seen) */
  seconds: number;
  /** component of a log line ('' for other lines) */
  component: string;
  message: string;
  level: Level;
}

export interface Milestone {
  /** stable id: 'kernel', 'phase0', 'volume', 'hive', 'smss', 'idle', ... */
  id: string;
  label: string;
  seconds: number;
  /** the line that reached it */
  index: number;
}

export interface ProcessInfo {
  pid: number;
  /** short image name (smss.exe) */
  name: string;
  /** full image path when the log gave one */
  imagePath?: string;
  parent?: number;
  session?: number;
  critical: boolean;
  started: number;
  exited?: number;
  exitStatus?: number;
  /** a line about an unhandled exception, if any */
  exception?: string;
  /** indices of the lines about this process */
  lines: number[];
}

export interface SessionInfo {
  id: number;
  /** pids in the session, in order of creation */
  processes: number[];
}

export interface StopParam {
  value: number;
  /** what the parameter holds for this code ('' when unused or unknown) */
  meaning: string;
  /** the value explained: a status name, a process, a string */
  explained?: string;
}

export interface DecodedStop {
  code: number;
  name: string;
  /** one sentence for the code, if known */
  meaning?: string;
  params: StopParam[];
  /** 0xC000021A: the name of the process that ended, read back from the block text */
  processName?: string;
  /** 0xEF: the process that died, named from the log */
  process?: ProcessInfo;
  /** other text lines of the block (messages) */
  text: string[];
  /** index of the STOP line */
  index: number;
  seconds: number;
}

export interface TimelineEntry {
  kind: 'phase' | 'smss' | 'process' | 'stop';
  label: string;
  start: number;
  /** undefined: still going at the end of the log */
  end?: number;
  session?: number;
  /** the log lines that belong to the entry */
  lines: number[];
}

interface MilestoneRule {
  id: string;
  label: string;
  /** what the machine did between the previous milestone and this one */
  phase: string;
  test: (e: LogEvent) => boolean;
}

const is = (component: string, re: RegExp) => (e: LogEvent) => e.component === component && re.test(e.message);

/** Known milestones in boot order. The timeline's kernel phases run between them. */
export const MILESTONES: MilestoneRule[] = [
  { id: 'kernel', label: 'kernel started', phase: 'multiboot entry', test: is('ke', /starting$/) },
  { id: 'interrupts', label: 'interrupts enabled', phase: 'phase 0: serial, VGA, IDT, PIC, PIT', test: is('ke', /^interrupts enabled/) },
  { id: 'memory', label: 'memory manager ready', phase: 'phase 0: memory map, page frames, pool', test: is('mm', /^page frame database/) },
  { id: 'phase0', label: 'phase 0 done', phase: 'phase 0: objects, CPU, scheduler', test: is('ke', /^scheduler:/) },
  { id: 'disk', label: 'disk found', phase: 'phase 1: system process, token, IDE', test: is('io', /^\\Device\\Harddisk0: /) },
  { id: 'volume', label: 'system volume mounted', phase: 'phase 1: FAT mount', test: is('fat', /^mounted /) },
  { id: 'hive', label: 'SYSTEM hive loaded', phase: 'phase 1: registry', test: is('cm', /^loaded .*\\SYSTEM:/) },
  { id: 'ntdll', label: 'ntdll.dll mapped', phase: 'phase 1: ntdll.dll', test: is('ps', /ntdll\.dll: mapped/) },
  { id: 'smss', label: 'Session Manager started', phase: 'phase 1: smss.exe', test: is('ps', /^session manager started/) },
  { id: 'smss-running', label: 'Session Manager running', phase: 'ntdll loader, smss start', test: (e) => e.component === 'smss' },
  { id: 'bootexecute', label: 'BootExecute done', phase: 'smss: API port, configuration, object directories, environment, DOS devices, BootExecute', test: is('smss', /^BootExecute\b/i) },
  { id: 'renames', label: 'file renames done', phase: 'smss: file renames', test: is('smss', /^renames\b/i) },
  { id: 'knowndlls', label: 'KnownDlls made', phase: 'smss: KnownDlls', test: is('smss', /^KnownDlls\b/) },
  { id: 'pagingfiles', label: 'paging files', phase: 'smss: paging files', test: is('smss', /^paging files\b/) },
  { id: 'subsystems', label: 'subsystems', phase: 'smss: dynamic environment, subsystems', test: is('smss', /subsystems\b/i) },
  { id: 'csrss', label: 'csrss running', phase: 'smss: up to csrss', test: (e) => e.component === 'csrss' },
  { id: 'logon', label: 'logon screen', phase: 'sessions, winlogon', test: is('winlogon', /logon screen/) },
  { id: 'idle', label: 'phase 1 done (idle loop)', phase: 'phase 1: waiting on smss', test: is('ke', /^idle loop/) },
  { id: 'poweroff', label: 'power off', phase: 'shutting down', test: is('ke', /^power off/) },
];

const ERROR_RE = /\b(failed|FAILED|cannot|error|unhandled exception|corrupt|damaged)\b/i;
const WARNING_RE = /\b(warning|not found|skipping|missing|refused|ignored|unusable|no longer|invalid)\b/i;

/** How serious a log message reads: errors fail, warnings do without. */
export function levelOf(message: string): Level {
  if (ERROR_RE.test(message)) return 'error';
  if (WARNING_RE.test(message)) return 'warning';
  return 'info';
}

// Strips terminal escapes (QEMU, a terminal's log) and stray CRs.
function clean(line: string): string {
  return line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1bc/g, '').replace(/\r/g, '');
}

const RE_SYSTEM = /^System process \(pid (\d+)\)/;
const RE_CREATED = /^process (\d+) \(([^)]*)\) created(?: from its image at|: image at) (0x[0-9A-Fa-f]+), entry (0x[0-9A-Fa-f]+)(.*)$/;
const RE_COPY = /^process (\d+) created as a copy of process (\d+)/;
const RE_SMSS = /^session manager started: process (\d+) \((.*)\)$/;
const RE_CRITICAL = /^process (\d+) is (critical|no longer critical)/;
const RE_EXITED = /^process (\d+) \(([^)]*)\) exited with status (0x[0-9A-Fa-f]+)/;
const RE_EXCEPTION = /^process (\d+) \(([^)]*)\): unhandled exception/;
const RE_PARENT = /\bparent (\d+)/;
const RE_SESSION = /\bsession (\d+)/;
const RE_21A = /The (.+?) system process terminated unexpectedly with a status of (0x[0-9A-Fa-f]+)/;

/**
 * The log of one boot, built line by line. `push` each line as it arrives
 * (or use `parseBootLog` on a whole text); read the fields at any time.
 */
export class BootLog {
  readonly events: LogEvent[] = [];
  readonly milestones: Milestone[] = [];
  readonly processes = new Map<number, ProcessInfo>();
  stop?: DecodedStop;
  /** called for every new event, milestone, process change and the bug check */
  onChange?: (what: 'event' | 'milestone' | 'process' | 'stop', event: LogEvent) => void;

  private lastSeconds = 0;
  private stopState: 'none' | 'name' | 'text' = 'none';

  /** Adds one line (without its terminator). Returns its event. */
  push(raw: string): LogEvent {
    const line = clean(raw);
    const index = this.events.length;
    const parsed = parseLogLine(line);
    let event: LogEvent;
    if (parsed) {
      this.lastSeconds = parsed.seconds;
      event = { index, line, kind: 'log', seconds: parsed.seconds, component: parsed.component, message: parsed.message, level: levelOf(parsed.message) };
    } else {
      const stop = parseStop(line);
      event = { index, line, kind: stop ? 'stop' : 'text', seconds: this.lastSeconds, component: '', message: line.trim(), level: stop ? 'error' : 'info' };
    }
    this.events.push(event);
    this.onChange?.('event', event);
    if (event.kind === 'stop' && !this.stop) this.startStop(event);
    else if (this.stop && this.stopState !== 'none' && event.kind === 'text') this.stopText(event);
    else if (event.kind === 'log') {
      this.milestone(event);
      if (event.component === 'ps') this.processLine(event);
    }
    return event;
  }

  /** Adds several lines. */
  pushAll(lines: Iterable<string>): this {
    for (const l of lines) this.push(l);
    return this;
  }

  /** The last milestone reached, if any. */
  get lastMilestone(): Milestone | undefined {
    return this.milestones[this.milestones.length - 1];
  }

  /** Processes as a forest: roots are processes whose parent is unknown or absent. */
  tree(): Array<{ process: ProcessInfo; children: any[] }> {
    type Node = { process: ProcessInfo; children: Node[] };
    const nodes = new Map<number, Node>();
    for (const p of this.processes.values()) nodes.set(p.pid, { process: p, children: [] });
    const roots: Node[] = [];
    for (const n of nodes.values()) {
      const parent = n.process.parent !== undefined ? nodes.get(n.process.parent) : undefined;
      if (parent && parent !== n) parent.children.push(n);
      else roots.push(n);
    }
    return roots;
  }

  /** Sessions seen on process lines, by id. */
  sessions(): SessionInfo[] {
    const out = new Map<number, SessionInfo>();
    for (const p of this.processes.values()) {
      if (p.session === undefined) continue;
      let s = out.get(p.session);
      if (!s) out.set(p.session, (s = { id: p.session, processes: [] }));
      s.processes.push(p.pid);
    }
    return [...out.values()].sort((a, b) => a.id - b.id);
  }

  /** Warnings and errors counted by component. */
  counts(): Record<string, { warnings: number; errors: number }> {
    const out: Record<string, { warnings: number; errors: number }> = {};
    for (const e of this.events) {
      if (e.level === 'info') continue;
      const c = (out[e.component || (e.kind === 'stop' ? 'stop' : 'text')] ??= { warnings: 0, errors: 0 });
      if (e.level === 'error') c.errors++;
      else c.warnings++;
    }
    return out;
  }

  /** Events of one component. */
  grep(component: string): LogEvent[] {
    return this.events.filter((e) => e.component === component);
  }

  /**
   * The boot as intervals: kernel phases between milestones, each smss step
   * (one `smss:` line = one step, lasting until the next smss line), each
   * process from its start to its exit, and the bug check.
   */
  timeline(): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    const logEvents = this.events.filter((e) => e.kind === 'log');
    const endSeconds = this.events.length ? this.events[this.events.length - 1].seconds : 0;
    // kernel phases: from one milestone to the next
    let from = 0;
    let fromSeconds = logEvents.length ? logEvents[0].seconds : 0;
    for (const m of this.milestones) {
      const rule = MILESTONES.find((r) => r.id === m.id)!;
      const lines = this.events.slice(from, m.index + 1).filter((e) => e.kind === 'log' && e.component !== 'smss').map((e) => e.index);
      out.push({ kind: 'phase', label: rule.phase, start: fromSeconds, end: m.seconds, lines });
      from = m.index + 1;
      fromSeconds = m.seconds;
    }
    // smss steps: a step logs its line when it is done, so it runs from the
    // line before it (the previous step's end) to its own
    const smss = logEvents.filter((e) => e.component === 'smss');
    smss.forEach((e, i) => {
      const prev = smss[i - 1];
      const step = /^([^:]{1,40}):/.exec(e.message)?.[1] ?? e.message.slice(0, 40);
      out.push({ kind: 'smss', label: step, start: prev ? prev.seconds : e.seconds, end: e.seconds, lines: [e.index] });
    });
    for (const p of this.processes.values()) {
      out.push({ kind: 'process', label: `${p.name} (${p.pid})`, start: p.started, end: p.exited, session: p.session, lines: p.lines });
    }
    if (this.stop) {
      out.push({ kind: 'stop', label: `STOP ${hex32(this.stop.code)} ${this.stop.name}`, start: this.stop.seconds, end: endSeconds, lines: [this.stop.index] });
    }
    return out;
  }

  private milestone(e: LogEvent): void {
    for (const rule of MILESTONES) {
      if (this.milestones.some((m) => m.id === rule.id)) continue;
      if (!rule.test(e)) continue;
      const m: Milestone = { id: rule.id, label: rule.label, seconds: e.seconds, index: e.index };
      this.milestones.push(m);
      this.onChange?.('milestone', e);
      return;
    }
  }

  private proc(pid: number, name: string, e: LogEvent): ProcessInfo {
    let p = this.processes.get(pid);
    if (!p || p.exited !== undefined && name && p.name !== name) {
      p = { pid, name, critical: false, started: e.seconds, lines: [] };
      this.processes.set(pid, p);
    }
    if (name && !p.name) p.name = name;
    if (!p.lines.includes(e.index)) p.lines.push(e.index);
    return p;
  }

  private processLine(e: LogEvent): void {
    const msg = e.message;
    let m: RegExpExecArray | null;
    if ((m = RE_SYSTEM.exec(msg))) {
      const p = this.proc(+m[1], 'System', e);
      p.critical = true;
      p.session = undefined;
    } else if ((m = RE_CREATED.exec(msg))) {
      const p = this.proc(+m[1], m[2], e);
      const rest = m[5];
      const parent = RE_PARENT.exec(rest);
      const session = RE_SESSION.exec(rest);
      if (parent) p.parent = +parent[1];
      else if (msg.includes(': image at') && this.processes.has(4)) p.parent = 4; // boot modules come from the system process
      if (session) p.session = +session[1];
    } else if ((m = RE_COPY.exec(msg))) {
      const parent = this.processes.get(+m[2]);
      const p = this.proc(+m[1], parent?.name ?? '', e);
      p.parent = +m[2];
      p.session = parent?.session;
    } else if ((m = RE_SMSS.exec(msg))) {
      const path = m[2];
      const p = this.proc(+m[1], path.split('\\').pop() ?? path, e);
      p.imagePath = path;
      if (p.parent === undefined && this.processes.has(4)) p.parent = 4;
    } else if ((m = RE_CRITICAL.exec(msg))) {
      const p = this.proc(+m[1], '', e);
      p.critical = m[2] === 'critical';
    } else if ((m = RE_EXITED.exec(msg))) {
      const p = this.proc(+m[1], m[2], e);
      p.exited = e.seconds;
      p.exitStatus = parseInt(m[3], 16) >>> 0;
    } else if ((m = RE_EXCEPTION.exec(msg))) {
      const p = this.proc(+m[1], m[2], e);
      p.exception = msg;
    } else {
      return;
    }
    this.onChange?.('process', e);
  }

  private startStop(e: LogEvent): void {
    const s = parseStop(e.line)!;
    const info = bugCheckInfo(s.code);
    this.stop = {
      code: s.code,
      name: info?.name ?? 'UNKNOWN_BUGCHECK_CODE',
      meaning: info?.meaning,
      params: s.params.map((value, i) => ({ value, meaning: info?.params[i] ?? '' })),
      text: [],
      index: e.index,
      seconds: e.seconds,
    };
    this.stopState = 'name';
    this.explainStop();
    this.onChange?.('stop', e);
  }

  private stopText(e: LogEvent): void {
    const stop = this.stop!;
    if (e.message === '') return;
    if (this.stopState === 'name') {
      this.stopState = 'text';
      const name = parseStopName(e.line);
      if (name) {
        stop.name = name;
        return;
      }
    }
    stop.text.push(e.message);
    this.explainStop();
    this.onChange?.('stop', e);
  }

  // Fills in the explanations that need the code, the block text or the log.
  private explainStop(): void {
    const stop = this.stop!;
    const info = bugCheckInfo(stop.code);
    for (const i of info?.statusParams ?? []) {
      const name = ntStatusName(stop.params[i].value);
      if (name) stop.params[i].explained = name;
    }
    if (stop.code === 0xc000021a || stop.code === 0x21a) {
      const m = stop.text.map((t) => RE_21A.exec(t)).find((x) => x);
      if (m) {
        stop.processName = m[1];
        stop.params[0].explained = `"${m[1]}"`;
      }
    }
    if (stop.code === 0xef) {
      // the kernel logs the process's end just before the bug check
      let dead: ProcessInfo | undefined;
      for (const p of this.processes.values()) {
        if (p.exited !== undefined && (!dead || p.exited >= dead.exited!)) dead = p;
      }
      if (dead) {
        stop.process = dead;
        const status = dead.exitStatus !== undefined ? `, exit status ${hex32(dead.exitStatus)}${ntStatusName(dead.exitStatus) ? ' ' + ntStatusName(dead.exitStatus) : ''}` : '';
        stop.params[0].explained = `process ${dead.pid} (${dead.imagePath ?? dead.name})${status}`;
      }
    }
  }
}

/** Parses a whole log text (any line ends). */
export function parseBootLog(text: string): BootLog {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return new BootLog().pushAll(lines);
}

/** Explains a bug check in a few lines of text. */
export function describeStop(stop: DecodedStop): string[] {
  const out = [`STOP ${hex32(stop.code)} ${stop.name}${stop.meaning ? `: ${stop.meaning}` : ''}`];
  stop.params.forEach((p, i) => {
    if (!p.meaning && p.value === 0) return;
    const explained = p.explained ? ` = ${p.explained}` : '';
    out.push(`  p${i + 1} ${hex32(p.value)}${p.meaning ? ` ${p.meaning}` : ''}${explained}`);
  });
  for (const t of stop.text) out.push(`  ${t}`);
  return out;
}

export { bugCheckName };
