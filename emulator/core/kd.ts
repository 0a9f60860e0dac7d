// The kernel debugger's host side: requests and answers on COM2 (JSON lines),
// and the `!command` names people type. Host-independent: the Node harness
// (emulator/node/boot.ts), `npm run kd` (scripts/kd.ts) and the page all use it.
//
//   const kd = new KdClient((bytes) => emulator.serial_send_bytes(1, bytes));
//   emulator.add_listener('serial1-output-byte', (b) => kd.pushByte(b));
//   const answer = await kd.query('process');            // {id, q, processes: [...]}
//   const dir = await kd.query('object', { path: '\\' }); // {id, q, path, type, entries: [...]}
//
// The kernel answers one request at a time, in order (kernel/kd/kdinit.ts),
// so answers are matched to requests first in, first out; the id is checked
// as well where the kernel could read one.

/** One answer: `id` as sent (null when the kernel could not read the request), `error` when it was refused. */
export interface KdAnswer {
  id: number | null;
  q?: string;
  error?: string;
  [member: string]: unknown;
}

/** The queries the kernel serves (kernel/kd/kdinit.ts QUERIES). */
export const KD_QUERIES = ['process', 'thread', 'object', 'handle', 'pool', 'reg', 'session', 'log', 'help'] as const;

export class KdTimeoutError extends Error {}

interface Pending {
  id: number | null;
  resolve: (a: KdAnswer) => void;
  reject: (e: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

function latin1(bytes: number[]): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.slice(i, i + 8192));
  return s;
}

export class KdClient {
  private line: number[] = [];
  private readonly pending: Pending[] = [];
  private nextId = 1;
  /** every answer line received, for logs and tests */
  readonly received: string[] = [];

  constructor(private readonly send: (bytes: Uint8Array) => void, private readonly timeoutMs = 30_000) {}

  /** Feeds one byte from COM2. */
  pushByte(b: number): void {
    if (b === 0x0a) {
      const text = latin1(this.line).replace(/\r$/, '');
      this.line = [];
      if (text.trim() !== '') this.onLine(text);
      return;
    }
    this.line.push(b & 0xff);
  }

  private onLine(text: string): void {
    this.received.push(text);
    const p = this.pending.shift();
    if (!p) return;
    clearTimeout(p.timer);
    let answer: KdAnswer;
    try {
      answer = JSON.parse(text) as KdAnswer;
    } catch (e) {
      p.reject(new Error(`kd: the kernel's answer is not JSON (${(e as Error).message}): ${text.slice(0, 200)}`));
      return;
    }
    if (p.id !== null && answer.id !== p.id) {
      p.reject(new Error(`kd: answer for id ${answer.id} where ${p.id} was expected`));
      return;
    }
    p.resolve(answer);
  }

  /** Sends a line as it is (tests send malformed ones) and resolves with the answer to it. */
  raw(line: string, expectId: number | null = null): Promise<KdAnswer> {
    return new Promise<KdAnswer>((resolve, reject) => {
      const p: Pending = { id: expectId, resolve, reject };
      p.timer = setTimeout(() => {
        const i = this.pending.indexOf(p);
        if (i >= 0) this.pending.splice(i, 1);
        reject(new KdTimeoutError(`kd: no answer within ${this.timeoutMs} ms to ${line.slice(0, 100)}`));
      }, this.timeoutMs);
      this.pending.push(p);
      const text = line.endsWith('\n') ? line : line + '\n';
      this.send(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
    });
  }

  /** Asks one query (`process`, `object` with `{path}`, `reg` with `{key}`, `handle`/`thread` with `{pid}`, `log` with `{n}`, ...). */
  query(q: string, args: Record<string, string | number> = {}): Promise<KdAnswer> {
    const id = this.nextId++;
    return this.raw(JSON.stringify({ id, q, ...args }), id);
  }

  /** Gives up on every request still waiting (the machine is gone). */
  close(reason = 'kd: the machine stopped'): void {
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
  }
}

/** A `!command args` (or a bare query name) as a request; a string is an error to show. */
export function parseKdCommand(text: string): { q: string; args: Record<string, string | number> } | string {
  const t = text.trim();
  if (t.startsWith('{')) return 'raw JSON: send it with KdClient.raw';
  const m = /^!?(\w+)\s*(.*)$/.exec(t);
  if (!m) return `not a command: ${t}`;
  const name = m[1].toLowerCase();
  const rest = m[2].trim();
  const q = name === 'handles' ? 'handle' : name === 'processes' ? 'process' : name === 'threads' ? 'thread' : name === 'sessions' ? 'session' : name;
  if (!(KD_QUERIES as readonly string[]).includes(q)) return `unknown command !${name} (${KD_QUERIES.map((k) => '!' + k).join(' ')})`;
  const number = (what: string): number | string => {
    const n = /^(0x[0-9a-f]+|\d+)$/i.test(rest) ? Number(rest) : NaN;
    return Number.isFinite(n) ? n : `!${name} takes ${what}`;
  };
  switch (q) {
    case 'object':
      return { q, args: { path: rest === '' ? '\\' : rest } };
    case 'reg':
      if (rest === '') return '!reg takes a key: !reg HKLM\\SYSTEM\\CurrentControlSet\\Control';
      return { q, args: { key: rest } };
    case 'handle':
    case 'thread': {
      if (rest === '') return { q, args: {} };
      const pid = number('a process id');
      return typeof pid === 'string' ? pid : { q, args: { pid } };
    }
    case 'log': {
      if (rest === '') return { q, args: {} };
      const n = number('a number of lines');
      return typeof n === 'string' ? n : { q, args: { n } };
    }
    default:
      return { q, args: {} };
  }
}

type Row = Record<string, unknown>;

function table(rows: Row[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

/** An answer as text for a person (what `npm run kd` prints). */
export function formatKdAnswer(a: KdAnswer): string {
  if (a.error) return `error: ${a.error}`;
  switch (a.q) {
    case 'process':
      return table(a.processes as Row[], ['pid', 'parent', 'session', 'name', 'threads', 'handles', 'basePriority', 'critical']);
    case 'thread':
      return table(a.threads as Row[], ['tid', 'pid', 'name', 'state', 'priority', 'basePriority', 'mode', 'wait', 'waitObject']);
    case 'handle':
      if (Array.isArray(a.handles)) {
        const p = a.process as Row;
        return `process ${p.pid} (${p.name}): ${a.count} handles\n` + table((a.handles as Row[]).map((h) => ({ ...h, handle: '0x' + (h.handle as number).toString(16) })), ['handle', 'access', 'type', 'name']);
      }
      return table(a.processes as Row[], ['pid', 'name', 'handles']);
    case 'object': {
      const head = `${a.path}: ${a.type}${a.target ? ' -> ' + a.target : ''}`;
      if (!Array.isArray(a.entries)) return head;
      return `${head}, ${a.entries.length} entries\n` + table(a.entries as Row[], ['name', 'type', 'target']);
    }
    case 'pool':
      return `pool: ${a.pages} pages, ${a.bytes} bytes in ${a.allocations} allocations\n` + table(a.tags as Row[], ['tag', 'allocs', 'frees', 'bytes']);
    case 'reg': {
      const subkeys = (a.subkeys as string[]).map((s) => `  [${s}]`);
      const values = (a.values as Row[]).map((v) => `  ${v.name === '' ? '@' : JSON.stringify(v.name)} ${v.type} = ${JSON.stringify(v.data)}`);
      return [`${a.name}`, ...subkeys, ...values].join('\n');
    }
    case 'session':
      return `active session: ${a.active}\n` + table((a.sessions as Row[]).map((s) => ({ ...s, pids: (s.pids as number[]).join(' ') })), ['id', 'processes', 'pages', 'win32k', 'pids']);
    case 'log':
      return (a.lines as string[]).join('\n');
    case 'help':
      return (a.queries as string[]).map((q) => '!' + q).join(' ');
    default:
      return JSON.stringify(a);
  }
}
