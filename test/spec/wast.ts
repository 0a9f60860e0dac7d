// A reader for the WebAssembly spec test scripts (.wast): S-expressions,
// then commands (module, register, action, assert_*). Text modules are kept as
// their source text and turned into binaries by wabt (the `wabt` package,
// used only in tests); binary and quoted modules are decoded here.

export type SExpr = Atom | List;
export interface Atom { kind: 'atom'; text: string; start: number; end: number; str?: Uint8Array }
export interface List { kind: 'list'; items: SExpr[]; start: number; end: number }

export class WastSyntaxError extends Error {
  constructor(msg: string, public file: string, public line: number) { super(`${file}:${line}: ${msg}`); }
}

/** Line number (1-based) of a character offset. */
export function lineOf(src: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src.charCodeAt(i) === 10) n++;
  return n;
}

/** Reads every top-level S-expression of a script. */
export function readSExprs(src: string, file = 'script.wast'): List[] {
  let i = 0;
  const fail = (msg: string, at = i): never => { throw new WastSyntaxError(msg, file, lineOf(src, at)); };
  const skipSpace = (): void => {
    for (;;) {
      const c = src[i];
      if (c === undefined) return;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
      if (c === ';' && src[i + 1] === ';') { while (i < src.length && src[i] !== '\n') i++; continue; }
      if (c === '(' && src[i + 1] === ';') {
        const at = i; let depth = 0;
        do {
          if (i >= src.length) fail('unterminated block comment', at);
          if (src[i] === '(' && src[i + 1] === ';') { depth++; i += 2; } else if (src[i] === ';' && src[i + 1] === ')') { depth--; i += 2; } else i++;
        } while (depth > 0);
        continue;
      }
      return;
    }
  };
  const readString = (): Atom => {
    const start = i; i++;
    const bytes: number[] = [];
    const enc = new TextEncoder();
    while (src[i] !== '"') {
      if (i >= src.length) fail('unterminated string', start);
      const c = src[i];
      if (c === '\\') {
        const d = src[i + 1];
        const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, "'": 39, '\\': 92 };
        if (d in simple) { bytes.push(simple[d]); i += 2; continue; }
        if (d === 'u') {
          const close = src.indexOf('}', i);
          const cp = parseInt(src.slice(i + 3, close).replace(/_/g, ''), 16);
          bytes.push(...enc.encode(String.fromCodePoint(cp))); i = close + 1; continue;
        }
        if (/[0-9a-fA-F]{2}/.test(src.slice(i + 1, i + 3))) { bytes.push(parseInt(src.slice(i + 1, i + 3), 16)); i += 3; continue; }
        fail(`bad escape \\${d}`);
      }
      const cp = src.codePointAt(i)!;
      bytes.push(...enc.encode(String.fromCodePoint(cp)));
      i += cp > 0xFFFF ? 2 : 1;
    }
    i++;
    return { kind: 'atom', text: src.slice(start, i), start, end: i, str: new Uint8Array(bytes) };
  };
  const readExpr = (): SExpr => {
    skipSpace();
    const start = i;
    if (src[i] === '(') {
      i++;
      const items: SExpr[] = [];
      for (;;) {
        skipSpace();
        if (i >= src.length) fail('unclosed parenthesis', start);
        if (src[i] === ')') { i++; return { kind: 'list', items, start, end: i }; }
        items.push(readExpr());
      }
    }
    if (src[i] === '"') return readString();
    if (src[i] === ')') fail('unexpected )');
    while (i < src.length && !/[\s()";]/.test(src[i])) i++;
    return { kind: 'atom', text: src.slice(start, i), start, end: i };
  };
  const out: List[] = [];
  for (;;) {
    skipSpace();
    if (i >= src.length) return out;
    const e = readExpr();
    if (e.kind !== 'list') fail('expected a command', e.start);
    out.push(e as List);
  }
}

// ---- values ----

export type Value =
  | { type: 'i32'; value: number }
  | { type: 'i64'; value: bigint }
  | { type: 'f32' | 'f64'; text: string }
  | { type: 'ref'; text: string };

/** Parses an integer literal of the text format (sign, hex, underscores) to `bits` bits, two's complement. */
export function parseInt_(text: string, bits: 32 | 64): bigint {
  let t = text.replace(/_/g, '');
  let neg = false;
  if (t[0] === '-' || t[0] === '+') { neg = t[0] === '-'; t = t.slice(1); }
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) throw new Error(`bad integer literal ${text}`);
  let v = BigInt(t);
  if (neg) v = -v;
  return BigInt.asUintN(bits, v);
}

function parseConst(e: SExpr): Value {
  if (e.kind !== 'list' || e.items[0]?.kind !== 'atom') throw new Error('expected a constant');
  const op = (e.items[0] as Atom).text;
  const arg = e.items.slice(1).map((a) => (a.kind === 'atom' ? a.text : '(...)')).join(' ');
  switch (op) {
    case 'i32.const': return { type: 'i32', value: Number(parseInt_(arg, 32)) | 0 };
    case 'i64.const': return { type: 'i64', value: parseInt_(arg, 64) };
    case 'f32.const': return { type: 'f32', text: arg };
    case 'f64.const': return { type: 'f64', text: arg };
    default: return { type: 'ref', text: `${op} ${arg}`.trim() };
  }
}

// ---- commands ----

export type ModuleSource =
  | { form: 'text'; text: string }
  | { form: 'binary'; bytes: Uint8Array }
  | { form: 'quote'; text: string };

export interface ModuleCmd { kind: 'module'; line: number; name?: string; source: ModuleSource; definition?: boolean }
export interface Action { kind: 'invoke' | 'get'; module?: string; name: string; args: Value[] }
export type Command =
  | ModuleCmd
  | { kind: 'instance'; line: number; name?: string; of: string }
  | { kind: 'register'; line: number; as: string; module?: string }
  | { kind: 'action'; line: number; action: Action }
  | { kind: 'assert_return'; line: number; action: Action; expected: Array<Value | { either: Value[] }> }
  | { kind: 'assert_trap'; line: number; action: Action; message: string }
  | { kind: 'assert_exhaustion'; line: number; action: Action; message: string }
  | { kind: 'assert_module_trap'; line: number; module: ModuleCmd; message: string }
  | { kind: 'assert_invalid' | 'assert_malformed' | 'assert_unlinkable' | 'assert_uninstantiable'; line: number; message: string };

const text = (src: string, e: SExpr) => src.slice(e.start, e.end);
const isAtom = (e: SExpr | undefined, t?: string): e is Atom => e?.kind === 'atom' && (t === undefined || e.text === t);
const strOf = (e: SExpr | undefined): string => (isAtom(e) && e.str ? new TextDecoder().decode(e.str) : '');

function parseModule(src: string, e: List, line: number): ModuleCmd {
  let k = 1;
  let definition = false;
  if (isAtom(e.items[k], 'definition')) { definition = true; k++; }
  let name: string | undefined;
  if (isAtom(e.items[k]) && (e.items[k] as Atom).text.startsWith('$')) { name = (e.items[k] as Atom).text; k++; }
  const mode = e.items[k];
  if (isAtom(mode, 'binary') || isAtom(mode, 'quote')) {
    const parts = e.items.slice(k + 1).map((a) => (a as Atom).str ?? new Uint8Array());
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0; for (const p of parts) { bytes.set(p, o); o += p.length; }
    if (mode.text === 'binary') return { kind: 'module', line, name, definition, source: { form: 'binary', bytes } };
    return { kind: 'module', line, name, definition, source: { form: 'quote', text: `(module ${new TextDecoder().decode(bytes)})` } };
  }
  // Text: the module form without its name and `definition` keyword (wabt does not know the latter).
  const body = e.items.slice(k).map((x) => text(src, x)).join('\n');
  return { kind: 'module', line, name, definition, source: { form: 'text', text: `(module\n${body}\n)` } };
}

function parseAction(e: SExpr, line: number, file: string): Action {
  if (e.kind !== 'list' || !isAtom(e.items[0])) throw new WastSyntaxError('expected an action', file, line);
  const kind = (e.items[0] as Atom).text;
  if (kind !== 'invoke' && kind !== 'get') throw new WastSyntaxError(`unknown action ${kind}`, file, line);
  let k = 1;
  let module: string | undefined;
  if (isAtom(e.items[k]) && !(e.items[k] as Atom).str) { module = (e.items[k] as Atom).text; k++; }
  const name = strOf(e.items[k]); k++;
  return { kind, module, name, args: e.items.slice(k).map(parseConst) };
}

/** Parses a script into commands, each with its line. */
export function parseWast(src: string, file = 'script.wast'): Command[] {
  const out: Command[] = [];
  for (const e of readSExprs(src, file)) {
    const line = lineOf(src, e.start);
    const head = isAtom(e.items[0]) ? (e.items[0] as Atom).text : '';
    switch (head) {
      case 'module': {
        if (isAtom(e.items[1], 'instance')) {
          const a = e.items.slice(2).filter((x): x is Atom => isAtom(x)).map((x) => x.text);
          out.push({ kind: 'instance', line, name: a.length > 1 ? a[0] : undefined, of: a[a.length - 1] });
        } else out.push(parseModule(src, e, line));
        break;
      }
      case 'register': out.push({ kind: 'register', line, as: strOf(e.items[1]), module: isAtom(e.items[2]) ? (e.items[2] as Atom).text : undefined }); break;
      case 'invoke': case 'get': out.push({ kind: 'action', line, action: parseAction(e, line, file) }); break;
      case 'assert_return': {
        const expected = e.items.slice(2).map((x) => {
          if (x.kind === 'list' && isAtom(x.items[0], 'either')) return { either: x.items.slice(1).map(parseConst) };
          return parseConst(x);
        });
        out.push({ kind: 'assert_return', line, action: parseAction(e.items[1], line, file), expected });
        break;
      }
      case 'assert_trap': {
        const what = e.items[1];
        if (what.kind === 'list' && isAtom(what.items[0], 'module')) out.push({ kind: 'assert_module_trap', line, module: parseModule(src, what, line), message: strOf(e.items[2]) });
        else out.push({ kind: 'assert_trap', line, action: parseAction(what, line, file), message: strOf(e.items[2]) });
        break;
      }
      case 'assert_exhaustion': out.push({ kind: 'assert_exhaustion', line, action: parseAction(e.items[1], line, file), message: strOf(e.items[2]) }); break;
      case 'assert_invalid': case 'assert_malformed': case 'assert_unlinkable': case 'assert_uninstantiable':
        out.push({ kind: head, line, message: strOf(e.items[2]) }); break;
      default: throw new WastSyntaxError(`unknown command ${head || text(src, e).slice(0, 20)}`, file, line);
    }
  }
  return out;
}
